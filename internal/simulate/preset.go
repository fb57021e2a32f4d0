package simulate

import (
	"fmt"
	"strconv"

	"github.com/stepscaler/stepscaler/internal/presets"
	"github.com/stepscaler/stepscaler/internal/scaling"
)

// FromPreset is the Stepscaler of a preset on the simulated service, aiming at target
// (a fraction of TaskCapacity; 0 means the preset's own). The simulated metric is
// requests per second per task, so a task's capacity is TaskCapacity.
func FromPreset(p presets.Preset, setup Setup, target float64) (*Stepscaler, error) {
	rules, err := p.Rules(presets.Service{Name: p.Name, Min: setup.Min, Max: setup.Max,
		Capacity: setup.TaskCapacity, StartupDelay: setup.StartupDelay}, target)
	if err != nil {
		return nil, err
	}
	policies := make([]scaling.Policy, 0, len(rules))
	alarms := map[string]AlarmSpec{}
	for _, r := range rules {
		policies = append(policies, r.Policy)
		alarms[r.Alarm.Name] = AlarmSpec{
			Name:               r.Alarm.Name,
			Threshold:          r.Alarm.Threshold,
			ComparisonOperator: r.Alarm.ComparisonOperator,
			EvaluationPeriods:  r.Alarm.EvaluationPeriods,
			DatapointsToAlarm:  r.Alarm.DatapointsToAlarm,
			Period:             r.Alarm.Period,
			TreatMissingData:   r.Alarm.TreatMissingData,
		}
	}
	st, err := NewStepscaler(policies, alarms)
	if err != nil {
		return nil, fmt.Errorf("preset %s: %w", p.Name, err)
	}
	st.Label = "stepscaler " + p.Name
	if target != 0 && target != p.Target {
		st.Label += " @" + strconv.FormatFloat(100*target, 'f', -1, 64) + "%"
	}
	return st, nil
}
