package simulate

import (
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/stepscaler/stepscaler/internal/presets"
)

// Knob is one modelling choice the sensitivity varies: its name (the simulate flag's),
// the values tried, the default among them, where the default comes from, and how a value
// applies to a run's setup and models.
type Knob struct {
	Name    string
	Values  []string
	Default string
	Source  string
	apply   func(s *Setup, m *Models, v string) error
}

// Apply sets the knob to v on setup and models.
func (k Knob) Apply(s *Setup, m *Models, v string) error {
	if err := k.apply(s, m, v); err != nil {
		return fmt.Errorf("%s=%s: %w", k.Name, v, err)
	}
	return nil
}

// Knobs are the modelling choices and what-ifs the backtest exposes, each a simulate flag
// of the same name.
func Knobs() []Knob {
	duration := func(set func(*Setup, *Models, time.Duration)) func(*Setup, *Models, string) error {
		return func(s *Setup, m *Models, v string) error {
			d, err := time.ParseDuration(v)
			if err != nil || d < 0 {
				return fmt.Errorf("want a duration such as 15s, got %q", v)
			}
			set(s, m, d)
			return nil
		}
	}
	return []Knob{
		{Name: "metric-delay", Values: []string{"0s", "auto", "60s", "120s"}, Default: "auto",
			Source: "not published; auto is one evaluation interval of each alarm (10 s for 10 s and 30 s periods, 60 s otherwise): a datapoint completed at one evaluation is first seen by the next",
			apply: func(s *Setup, _ *Models, v string) error {
				if v == "auto" {
					s.MetricDelay = MetricDelayOneEvaluation
					return nil
				}
				d, err := time.ParseDuration(v)
				if err != nil || d < 0 {
					return fmt.Errorf("want auto or a duration, got %q", v)
				}
				s.MetricDelay = d
				return nil
			}},
		{Name: "hpa-metric-window", Values: []string{"15s", "60s"}, Default: "15s",
			Source: "metrics-server FAQ: its CPU figure covers the last 15 s",
			apply:  duration(func(_ *Setup, m *Models, d time.Duration) { m.HPAMetricWindow = d })},
		{Name: "hpa-metric-delay", Values: []string{"0s", "15s", "30s"}, Default: "15s",
			Source: "metrics-server scrapes every --metric-resolution, 15 s in the upstream manifests, out of phase with the HPA's 15 s sync",
			apply:  duration(func(_ *Setup, m *Models, d time.Duration) { m.HPAMetricDelay = d })},
		{Name: "tt-scale-in-limit", Values: []string{"0", "0.1"}, Default: "0",
			Source: "not published; the AAS guide says only that target tracking scales in gradually, through its low alarm (15 minutes 10% below the target) and cooldown",
			apply: func(_ *Setup, m *Models, v string) error {
				f, err := strconv.ParseFloat(v, 64)
				if err != nil || f < 0 || f > 1 {
					return fmt.Errorf("want a fraction, got %q", v)
				}
				m.TTScaleInLimit = f
				return nil
			}},
		{Name: "tt-cooldown-base", Values: []string{CooldownBaseBefore, CooldownBaseCurrent}, Default: CooldownBaseBefore,
			Source: "AAS guide: the capacity the initiating scale-out added counts toward the next during the cooldown",
			apply: func(_ *Setup, m *Models, v string) error {
				if v != CooldownBaseBefore && v != CooldownBaseCurrent {
					return fmt.Errorf("want %s or %s", CooldownBaseBefore, CooldownBaseCurrent)
				}
				m.TTCooldownBase = v
				return nil
			}},
		{Name: "tt-period", Values: []string{"60s", "20s"}, Default: "60s",
			Source: "60 s for ECS's standard metrics; 20 s with ECS's high-resolution CPU metric (datapoints per alarm unpublished: 3 and 15 kept)",
			apply: func(_ *Setup, m *Models, v string) error {
				d, err := time.ParseDuration(v)
				if err != nil || !validPeriod(d) {
					return fmt.Errorf("want an alarm period, got %q", v)
				}
				m.TTPeriod = d
				return nil
			}},
		{Name: "cadence", Values: []string{"1m", "15s"}, Default: "1m",
			Source: "what-if: the deployed evaluation and execution names are per minute; 15 s is the HPA's sync",
			apply: func(_ *Setup, m *Models, v string) error {
				d, err := time.ParseDuration(v)
				if err != nil || d <= 0 || time.Minute%d != 0 {
					return fmt.Errorf("want a duration that divides a minute, got %q", v)
				}
				m.Cadence = d
				return nil
			}},
		{Name: "lead", Values: []string{"off", "on"}, Default: "off",
			Source: "what-if: the presets sizing their scale-outs for the start-up delay (scaleOutLeadSeconds)",
			apply: func(_ *Setup, m *Models, v string) error {
				if v != "on" && v != "off" {
					return fmt.Errorf("want on or off")
				}
				m.Lead = v == "on"
				return nil
			}},
	}
}

// LookupKnob finds a knob by name.
func LookupKnob(name string) (Knob, bool) {
	i := slices.IndexFunc(Knobs(), func(k Knob) bool { return k.Name == name })
	if i < 0 {
		return Knob{}, false
	}
	return Knobs()[i], true
}

// SensitivityRow is the line-up's results with one knob at one value, the others at the
// run's settings.
type SensitivityRow struct {
	Knob    string   `json:"knob"`
	Value   string   `json:"value"`
	Default bool     `json:"default,omitempty"`
	Results []Result `json:"results"`
}

// Sensitivity runs the line-up (Lineup) once per value of each knob, every other knob at
// setup's and models' settings, without samples.
func Sensitivity(tr Trace, setup Setup, models Models, st *Stepscaler, ps []presets.Preset, anchorTarget float64, knobs []Knob) ([]SensitivityRow, error) {
	var rows []SensitivityRow
	for _, k := range knobs {
		for _, v := range k.Values {
			s, m := setup, models
			if err := k.Apply(&s, &m, v); err != nil {
				return nil, err
			}
			line, err := Lineup(st, ps, s, m, anchorTarget)
			if err != nil {
				return nil, err
			}
			rs, err := Compare(tr, s, line)
			if err != nil {
				return nil, fmt.Errorf("sensitivity %s=%s: %w", k.Name, v, err)
			}
			for i := range rs {
				rs[i].Samples = nil
			}
			rows = append(rows, SensitivityRow{Knob: k.Name, Value: v, Default: v == k.Default, Results: rs})
		}
	}
	return rows, nil
}
