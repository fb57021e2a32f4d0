package simulate

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/stepscaler/stepscaler/internal/scaling"
)

// SweepParams are the Stepscaler parameters Sweep varies. Each applies to every scale-out
// policy (and threshold to its alarm): scale-out is where a policy's shape shows.
var SweepParams = []string{"adjustment", "cooldownSeconds", "threshold", "targetValue", "pollIntervalSeconds"}

// SweepPoint is one value of the swept parameter and the run's measures.
type SweepPoint struct {
	Value    float64  `json:"value"`
	Measures Measures `json:"measures"`
}

// Sweep runs base once per value of one parameter (see SweepParams) and returns the
// measures in the order of values. adjustment sets a simple step of that magnitude in
// place of any step adjustments; targetValue applies to TargetRatio policies only.
func Sweep(tr Trace, setup Setup, base *Stepscaler, param string, values []float64) ([]SweepPoint, error) {
	if !slices.Contains(SweepParams, param) {
		return nil, fmt.Errorf("sweep: unknown parameter %q; known: %s", param, strings.Join(SweepParams, ", "))
	}
	if base == nil || !slices.ContainsFunc(base.Policies, func(pa PolicyAlarm) bool { return pa.Policy.Direction == scaling.Out }) {
		return nil, errors.New("sweep: the Stepscaler has no scale-out policy to vary")
	}
	w, err := newWorld(tr, setup)
	if err != nil {
		return nil, err
	}
	points := make([]SweepPoint, 0, len(values))
	for _, v := range values {
		st, err := vary(base, param, v)
		if err != nil {
			return nil, fmt.Errorf("sweep: %s = %v: %w", param, v, err)
		}
		r, err := w.run(st)
		if err != nil {
			return nil, fmt.Errorf("sweep: %s = %v: %w", param, v, err)
		}
		points = append(points, SweepPoint{Value: v, Measures: r.Measures})
	}
	return points, nil
}

// vary copies base with param set to v on its scale-out policies.
func vary(base *Stepscaler, param string, v float64) (*Stepscaler, error) {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil, errors.New("not a finite number")
	}
	integer := func(lo int) (int, error) {
		if v != math.Trunc(v) || v < float64(lo) || v > math.MaxInt32 {
			return 0, fmt.Errorf("want a whole number of at least %d", lo)
		}
		return int(v), nil
	}
	st := &Stepscaler{Label: fmt.Sprintf("%s %s=%v", base.Name(), param, v), Policies: slices.Clone(base.Policies), Schedule: base.Schedule.Clone()}
	for i := range st.Policies {
		pa := &st.Policies[i]
		if pa.Policy.Direction != scaling.Out {
			continue
		}
		p := &pa.Policy
		var err error
		switch param {
		case "adjustment":
			if p.AdjustmentType == scaling.TargetRatio {
				return nil, fmt.Errorf("alarm %s is TargetRatio, which has no adjustment", p.AlarmName)
			}
			p.Adjustment, err = integer(0)
			p.StepAdjustments = nil
		case "cooldownSeconds":
			p.CooldownSeconds, err = integer(0)
		case "threshold":
			pa.Alarm.Threshold = v
		case "targetValue":
			if p.AdjustmentType != scaling.TargetRatio {
				return nil, fmt.Errorf("alarm %s is %s; targetValue applies to TargetRatio", p.AlarmName, p.AdjustmentType)
			}
			if !(v > 0) {
				return nil, errors.New("want a positive number")
			}
			p.TargetValue = v
		case "pollIntervalSeconds":
			p.PollIntervalSeconds, err = integer(1)
		}
		if err != nil {
			return nil, err
		}
	}
	return st, nil
}
