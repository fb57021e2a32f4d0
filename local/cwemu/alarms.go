package cwemu

import (
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/stepscaler/stepscaler/internal/alarmeval"
)

// alarm is a metric alarm (metric set) or a composite alarm (composite set). CloudWatch
// alarm names are unique within a Region whatever the kind.
type alarm struct {
	name, arn      string
	description    *string
	actionsEnabled bool
	actions        actions
	configUpdated  time.Time

	state             alarmeval.State
	reason            string
	reasonData        string
	stateUpdated      time.Time
	stateTransitioned time.Time

	metric    *metricConfig
	composite *compositeConfig
}

// actions are an alarm's action ARNs for each state it can enter.
type actions struct {
	ok, alarm, insufficientData []string
}

// forState is the list CloudWatch runs when the alarm enters state.
func (a actions) forState(state alarmeval.State) []string {
	switch state {
	case alarmeval.Alarm:
		return a.alarm
	case alarmeval.OK:
		return a.ok
	}
	return a.insufficientData
}

func (a actions) any(match func(string) bool) bool {
	for _, list := range [][]string{a.ok, a.alarm, a.insufficientData} {
		for _, arn := range list {
			if match(arn) {
				return true
			}
		}
	}
	return false
}

// initialReason is the StateReason of an alarm that has not been evaluated yet, as
// CloudWatch words it.
const initialReason = "Unchecked: Initial alarm creation"

// newAlarm makes an alarm in INSUFFICIENT_DATA, the state PutMetricAlarm and
// PutCompositeAlarm create alarms in.
func (e *Emulator) newAlarm(name string, now time.Time) *alarm {
	return &alarm{
		name:              name,
		arn:               e.alarmARN(name),
		state:             alarmeval.InsufficientData,
		reason:            initialReason,
		stateUpdated:      now,
		stateTransitioned: now,
	}
}

func (e *Emulator) alarmARN(name string) string {
	return "arn:" + partition(e.opts.Region) + ":cloudwatch:" + e.opts.Region + ":" + e.opts.AccountID + ":alarm:" + name
}

// alarmByReference finds an alarm by name or by its ARN in this account and Region.
func (e *Emulator) alarmByReference(ref string) *alarm {
	if name, ok := strings.CutPrefix(ref, e.alarmARN("")); ok {
		return e.alarms[name]
	}
	return e.alarms[ref]
}

// checkAlarmName applies the AlarmName constraints: 1 to 255 characters, "only UTF-8
// characters, and can't contain ASCII control characters" (PutMetricAlarm).
func checkAlarmName(name *string, member string) (string, error) {
	switch {
	case name == nil:
		return "", missingParameter(member)
	case *name == "":
		return "", lengthAtLeast("", lowerFirst(member), 1)
	case utf8.RuneCountInString(*name) > 255:
		return "", lengthAtMost(*name, lowerFirst(member), 255)
	case !utf8.ValidString(*name) || strings.IndexFunc(*name, isControl) >= 0:
		return "", validationError("The value for parameter %s must contain only UTF-8 characters and no ASCII control characters.", member)
	}
	return *name, nil
}

// checkDescription applies AlarmDescription's length limit, 0 to 1024 characters.
// alarmSettings are the parameters PutMetricAlarm and PutCompositeAlarm share.
type alarmSettings struct {
	description                 *string
	actionsEnabled              *bool
	ok, alarm, insufficientData []string
}

// putAlarm checks the shared settings and applies them to the alarm called name, which it
// creates (in INSUFFICIENT_DATA) if there is none. An alarm of the other kind by that
// name is an error: CloudWatch names metric and composite alarms in one namespace. The
// caller sets the alarm's own configuration.
func (e *Emulator) putAlarm(c *call, name string, composite bool, s alarmSettings) (*alarm, error) {
	description, err := checkDescription(s.description)
	if err != nil {
		return nil, err
	}
	acts, err := checkActions(s.ok, s.alarm, s.insufficientData)
	if err != nil {
		return nil, err
	}
	a := e.alarms[name]
	switch {
	case a == nil:
		a = e.newAlarm(name, c.now)
		e.alarms[name] = a
	case composite && a.metric != nil:
		return nil, validationError("An alarm named %s already exists as a metric alarm.", name)
	case !composite && a.composite != nil:
		return nil, validationError("An alarm named %s already exists as a composite alarm.", name)
	}
	a.description = description
	a.actions = acts
	a.actionsEnabled = boolOr(s.actionsEnabled, true)
	a.configUpdated = c.now
	return a, nil
}

func checkDescription(d *string) (*string, error) {
	if d == nil || *d == "" {
		return nil, nil
	}
	if utf8.RuneCountInString(*d) > 1024 {
		return nil, lengthAtMost(*d, "alarmDescription", 1024)
	}
	s := *d
	return &s, nil
}

// arnPattern is the general ARN syntax: arn:partition:service:region:account:resource.
var arnPattern = regexp.MustCompile(`^arn:[a-z0-9-]+:[a-z0-9-]+:[a-z0-9-]*:[0-9]*:.+$`)

// checkActions applies the action lists' limits (at most 5 ARNs each, of 1 to 1024
// characters) and ARN syntax. CloudWatch also checks that each action suits the alarm
// (no Auto Scaling action on an anomaly alarm, ...); the emulator does not.
func checkActions(okList, alarmList, insufficientList []string) (actions, error) {
	lists := []struct {
		member string
		arns   []string
	}{{"OKActions", okList}, {"AlarmActions", alarmList}, {"InsufficientDataActions", insufficientList}}
	for _, l := range lists {
		if len(l.arns) > 5 {
			return actions{}, lengthAtMost("["+strings.Join(l.arns, ", ")+"]", lowerFirst(l.member), 5)
		}
		for _, arn := range l.arns {
			if len(arn) > 1024 || !arnPattern.MatchString(arn) {
				return actions{}, validationError("Invalid arn syntax: %s", arn)
			}
		}
	}
	return actions{ok: clone(okList), alarm: clone(alarmList), insufficientData: clone(insufficientList)}, nil
}

// clone copies a list, giving an empty (not nil) list for none: DescribeAlarms and the
// notifications report empty action lists as [].
func clone(list []string) []string {
	return append([]string{}, list...)
}

func boolOr(b *bool, def bool) bool {
	if b == nil {
		return def
	}
	return *b
}
