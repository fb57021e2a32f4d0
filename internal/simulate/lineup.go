package simulate

import (
	"fmt"
	"time"

	"github.com/stepscaler/stepscaler/internal/presets"
	"github.com/stepscaler/stepscaler/internal/scaling"
)

// Models are the modelling choices the documentation of the autoscalers leaves open, each
// with the model's default and, in the package documentation, its source. The backtest
// exposes each as a flag, and Sensitivity shows how the rankings move with them.
// CloudWatch's metric delay, which applies to every alarm-driven autoscaler, is
// Setup.MetricDelay.
type Models struct {
	// HPAMetricWindow and HPAMetricDelay are the HPA's metric pipeline (DefaultHPAMetricWindow,
	// DefaultHPAMetricDelay).
	HPAMetricWindow time.Duration
	HPAMetricDelay  time.Duration
	// TTScaleInLimit, TTCooldownBase and TTPeriod are AASTargetTracking's ScaleInLimit,
	// CooldownBase and Period.
	TTScaleInLimit float64
	TTCooldownBase string
	TTPeriod       time.Duration
	// Cadence and Lead are what-ifs for Stepscaler, not modelling choices: the deployed
	// evaluation runs every minute (Stepscaler.Cadence), and no preset sizes for the
	// start-up delay (presets.Preset.Lead). The sensitivity shows what each would change.
	Cadence time.Duration
	Lead    bool
}

// DefaultModels are the model's defaults.
func DefaultModels() Models {
	return Models{
		HPAMetricWindow: DefaultHPAMetricWindow,
		HPAMetricDelay:  DefaultHPAMetricDelay,
		TTCooldownBase:  CooldownBaseBefore,
		TTPeriod:        time.Minute,
		Cadence:         time.Minute,
	}
}

// HPA is the HPA on target (requests per second per task) under the models.
func (m Models) HPA(target float64) *HPA {
	h := NewHPA(target)
	h.MetricWindow, h.MetricDelay = m.HPAMetricWindow, m.HPAMetricDelay
	return h
}

// TargetTracking is AAS target tracking on target under the models.
func (m Models) TargetTracking(target float64) *AASTargetTracking {
	t := NewAASTargetTracking(target)
	t.ScaleInLimit, t.CooldownBase, t.Period = m.TTScaleInLimit, m.TTCooldownBase, m.TTPeriod
	return t
}

// Preset is the Stepscaler of preset p at target (a fraction of TaskCapacity; 0: the
// preset's) under the models' what-ifs.
func (m Models) Preset(p presets.Preset, setup Setup, target float64) (*Stepscaler, error) {
	if m.Lead && !p.Lead {
		p.Lead = true
	}
	st, err := FromPreset(p, setup, target)
	if err != nil {
		return nil, err
	}
	st.Cadence = m.Cadence
	return st, nil
}

// Stepscaler is st under the models' what-ifs.
func (m Models) Stepscaler(st *Stepscaler) *Stepscaler {
	c := *st
	c.Cadence = m.Cadence
	return &c
}

// Lineup is the backtest's line-up: the configured Stepscaler, each preset at its
// defaults, the seed Lambda and AAS step scaling on the configured policies, AAS target
// tracking and the HPA at anchorTarget (a fraction of TaskCapacity), and the oracle.
func Lineup(st *Stepscaler, ps []presets.Preset, setup Setup, m Models, anchorTarget float64) ([]Autoscaler, error) {
	line := []Autoscaler{m.Stepscaler(st)}
	for _, p := range ps {
		s, err := m.Preset(p, setup, 0)
		if err != nil {
			return nil, err
		}
		line = append(line, s)
	}
	value := anchorTarget * setup.TaskCapacity
	return append(line,
		&Seed{Policies: st.Policies},
		&AASStepScaling{Policies: st.Policies},
		m.TargetTracking(value),
		m.HPA(value),
		&Oracle{},
	), nil
}

// Grid is what the frontier sweeps: the presets' and the anchors' targets (fractions of
// TaskCapacity) and the step policies' scale-out thresholds (in the metric's units).
// The configured Stepscaler's curve sweeps ConfigParam (one of SweepParams; "" is
// "threshold") over ConfigValues (nil: Thresholds).
type Grid struct {
	PresetTargets []float64
	AnchorTargets []float64
	Thresholds    []float64
	ConfigParam   string
	ConfigValues  []float64
}

// DefaultGrid sweeps the anchors' targets from 40% to 90% in steps of 5, the presets' from
// 40% to 95% in steps of 1 (their knob is as continuous as the anchors'; the finer grid
// only draws their curve more precisely), and the step policies' thresholds from 40 to
// 90 in steps of 10.
func DefaultGrid() Grid {
	var g Grid
	for v := 40; v <= 95; v++ {
		g.PresetTargets = append(g.PresetTargets, float64(v)/100)
	}
	for v := 40; v <= 90; v += 5 {
		g.AnchorTargets = append(g.AnchorTargets, float64(v)/100)
	}
	for v := 40; v <= 90; v += 10 {
		g.Thresholds = append(g.Thresholds, float64(v))
	}
	return g
}

// Families are the frontier's curves: the configured Stepscaler's (its scale-out
// threshold), each preset's and the anchors' (their target), AAS step scaling's and the
// seed's (the threshold of the same alarms), and the oracle's single point.
func Families(st *Stepscaler, ps []presets.Preset, setup Setup, m Models, g Grid, anchorTarget float64) ([]Family, error) {
	threshold, ok := scaleOutValue(st, "threshold")
	if !ok {
		return nil, fmt.Errorf("families: %s has no scale-out alarm", st.Name())
	}
	param, values := g.ConfigParam, g.ConfigValues
	if param == "" {
		param = "threshold"
	}
	if values == nil {
		values = g.Thresholds
	}
	current, ok := scaleOutValue(st, param)
	if !ok {
		return nil, fmt.Errorf("families: %s: unknown parameter %q or no scale-out policy; known: %v", st.Name(), param, SweepParams)
	}
	with := func(param string, v float64) (*Stepscaler, error) {
		c, err := vary(st, param, v)
		if err != nil {
			return nil, err
		}
		c.Label = st.Name()
		return c, nil
	}
	withThreshold := func(v float64) (*Stepscaler, error) { return with("threshold", v) }
	fams := []Family{{
		Name: st.Name(), Knob: param, Values: values, Default: current, Ours: true,
		Build: func(v float64) (Autoscaler, error) {
			c, err := with(param, v)
			if err != nil {
				return nil, err
			}
			return m.Stepscaler(c), nil
		},
	}}
	for _, p := range ps {
		fams = append(fams, Family{
			Name: "stepscaler " + p.Name, Knob: "target", Unit: "%", Values: g.PresetTargets, Default: p.Target, Ours: true, Preset: true,
			Build: func(v float64) (Autoscaler, error) { return m.Preset(p, setup, v) },
		})
	}
	return append(fams,
		Family{Name: "seed", Knob: "threshold", Values: g.Thresholds, Default: threshold,
			Build: func(v float64) (Autoscaler, error) {
				c, err := withThreshold(v)
				return &Seed{Policies: policiesOf(c)}, err
			}},
		Family{Name: "aas-step", Knob: "threshold", Values: g.Thresholds, Default: threshold,
			Build: func(v float64) (Autoscaler, error) {
				c, err := withThreshold(v)
				return &AASStepScaling{Policies: policiesOf(c)}, err
			}},
		Family{Name: "aas-target-tracking", Knob: "target", Unit: "%", Values: g.AnchorTargets, Default: anchorTarget,
			Build: func(v float64) (Autoscaler, error) { return m.TargetTracking(v * setup.TaskCapacity), nil }},
		Family{Name: "hpa", Knob: "target", Unit: "%", Values: g.AnchorTargets, Default: anchorTarget,
			Build: func(v float64) (Autoscaler, error) { return m.HPA(v * setup.TaskCapacity), nil }},
		Family{Name: "oracle", Knob: "target", Unit: "%", Default: 1,
			Build: func(float64) (Autoscaler, error) { return &Oracle{}, nil }},
	), nil
}

func policiesOf(st *Stepscaler) []PolicyAlarm {
	if st == nil {
		return nil
	}
	return st.Policies
}

// scaleOutValue is param (one of SweepParams) of st's first scale-out policy, or its
// alarm's threshold.
func scaleOutValue(st *Stepscaler, param string) (float64, bool) {
	for _, pa := range st.Policies {
		p := pa.Policy
		if p.Direction != scaling.Out {
			continue
		}
		switch param {
		case "threshold":
			return pa.Alarm.Threshold, true
		case "adjustment":
			return float64(p.Adjustment), true
		case "cooldownSeconds":
			return float64(p.CooldownSeconds), true
		case "targetValue":
			return p.TargetValue, true
		case "pollIntervalSeconds":
			return float64(p.PollIntervalSeconds), true
		}
		return 0, false
	}
	return 0, false
}
