package cwemu

import (
	"encoding/json"
	"slices"
	"unicode/utf8"

	"github.com/stepscaler/stepscaler/internal/alarmeval"
)

var stateValues = []string{string(alarmeval.OK), string(alarmeval.Alarm), string(alarmeval.InsufficientData)}

// setAlarmState sets an alarm's state, as the SetAlarmState API Reference says:
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_SetAlarmState.html
// "When the updated state differs from the previous value, the action configured for
// the appropriate state is invoked." A metric alarm returns to its evaluated state at the
// next EvaluateAlarms that finds it different; a composite alarm "returns to its actual
// state only once any of its children alarms change state". Setting the state the
// alarm is already in replaces the reason and its data but is no state change: neither
// timestamp moves and no action runs.
func (e *Emulator) setAlarmState(c *call, in *setAlarmStateInput) (noBody, error) {
	name, err := checkAlarmName(in.AlarmName, "AlarmName")
	if err != nil {
		return noBody{}, err
	}
	switch {
	case in.StateValue == "":
		return noBody{}, missingParameter("StateValue")
	case !slices.Contains(stateValues, in.StateValue):
		return noBody{}, enumValue(in.StateValue, "stateValue", stateValues)
	case in.StateReason == nil:
		return noBody{}, missingParameter("StateReason")
	case utf8.RuneCountInString(*in.StateReason) > 1023:
		return noBody{}, lengthAtMost(*in.StateReason, "stateReason", 1023)
	}
	data := ""
	if in.StateReasonData != nil {
		data = *in.StateReasonData
		if utf8.RuneCountInString(data) > 4000 {
			return noBody{}, lengthAtMost(data, "stateReasonData", 4000)
		}
		if !json.Valid([]byte(data)) {
			return noBody{}, errorf("InvalidFormat", "Data was not syntactically valid JSON")
		}
	}
	a := e.alarms[name]
	if a == nil {
		return noBody{}, errorf(ResourceNotFound, "Alarm %s does not exist", name)
	}
	next := alarmeval.State(in.StateValue)
	if next == a.state {
		a.reason, a.reasonData = *in.StateReason, data
		return noBody{}, nil
	}
	e.transition(c, a, next, *in.StateReason, data, map[string]bool{a.name: true})
	return noBody{}, nil
}
