package scaling

import (
	"strings"
	"testing"
)

// TestDecide checks the rules for several alarms of one service, from Application Auto
// Scaling's documentation: "If a scale-out alarm and a scale-in alarm are both in ALARM
// ... the policy that provides the largest capacity" wins (PutScalingPolicy, API
// Reference), for scale-out and scale-in alike. Each expected count is worked out here.
func TestDecide(t *testing.T) {
	cpu := Policy{AlarmName: "cpu-high", MinCapacity: 2, MaxCapacity: 20, Direction: Out, Adjustment: 1}
	latency := Policy{AlarmName: "latency-high", MinCapacity: 2, MaxCapacity: 20, Direction: Out, Adjustment: 3}
	steps := Policy{AlarmName: "rps-high", MinCapacity: 2, MaxCapacity: 20, Direction: Out,
		StepAdjustments: []StepAdjustment{
			{MetricIntervalLowerBound: f(0), MetricIntervalUpperBound: f(10), ScalingAdjustment: 1},
			{MetricIntervalLowerBound: f(10), ScalingAdjustment: 5},
		}}
	low := Policy{AlarmName: "cpu-low", MinCapacity: 2, MaxCapacity: 20, Direction: In, Adjustment: 1}
	veryLow := Policy{AlarmName: "rps-low", MinCapacity: 2, MaxCapacity: 20, Direction: In, Adjustment: 3}
	all := []Policy{cpu, latency, steps, low, veryLow}

	in := func(name string) AlarmReading { return AlarmReading{Name: name, State: StateAlarm} }
	ok := func(name string) AlarmReading { return AlarmReading{Name: name, State: StateOK} }
	breach := func(name string, value, threshold float64) AlarmReading {
		return AlarmReading{Name: name, State: StateAlarm, Metric: metric(value, threshold)}
	}

	tests := []struct {
		name     string
		alarms   []AlarmReading
		desired  int
		scale    bool
		to       int
		alarm    string
		codes    []string
		messages []string
	}{
		{name: "nothing in ALARM: CloudWatch overrules the notification",
			alarms: []AlarmReading{ok("cpu-high"), {Name: "latency-high", State: StateInsufficientData}}, desired: 4,
			to: 4, codes: []string{NoAlarmInAlarm},
			messages: []string{"cpu-high OK", "latency-high INSUFFICIENT_DATA", "rps-high unknown to CloudWatch"}},
		{name: "one scale-out alarm: its step", alarms: []AlarmReading{in("cpu-high")}, desired: 4,
			scale: true, to: 5, alarm: "cpu-high"},
		{name: "two scale-out alarms: +3 beats +1", alarms: []AlarmReading{in("cpu-high"), in("latency-high")}, desired: 4,
			scale: true, to: 7, alarm: "latency-high"},
		{name: "each alarm is sized from its own metric: breach 12 above takes +5",
			alarms: []AlarmReading{in("latency-high"), breach("rps-high", 112, 100)}, desired: 4,
			scale: true, to: 9, alarm: "rps-high"},
		{name: "scale-out outranks scale-in", alarms: []AlarmReading{in("cpu-high"), in("cpu-low")}, desired: 4,
			scale: true, to: 5, alarm: "cpu-high"},
		{name: "a scale-out alarm in ALARM holds scale-in back even when it cannot scale",
			alarms: []AlarmReading{in("cpu-high"), in("cpu-low")}, desired: 20,
			to: 20, alarm: "cpu-high", codes: []string{AlreadyAtMaxCapacity, ScaleInBlockedByScaleOutAlarm},
			messages: []string{"cpu-low yields to scale-out alarm cpu-high"}},
		{name: "two scale-in alarms: the largest capacity (-1 over -3)", alarms: []AlarmReading{in("cpu-low"), in("rps-low")}, desired: 10,
			scale: true, to: 9, alarm: "cpu-low"},
		{name: "a step policy without its metric says why",
			alarms: []AlarmReading{{Name: "rps-high", State: StateAlarm, MetricNote: "GetMetricData returned no datapoints"}}, desired: 4,
			to: 4, alarm: "rps-high", codes: []string{NoMetricValue}, messages: []string{"GetMetricData returned no datapoints"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := Decide(all, tt.alarms, Observation{Service: active(tt.desired), Now: now})
			if d.Scale != tt.scale || d.To != tt.to || d.From != tt.desired {
				t.Fatalf("Decide = scale %v %d → %d, want scale %v %d → %d (%s)", d.Scale, d.From, d.To, tt.scale, tt.desired, tt.to, d.Description)
			}
			if d.AlarmName != tt.alarm {
				t.Errorf("AlarmName = %q, want %q", d.AlarmName, tt.alarm)
			}
			var codes []string
			for _, r := range d.NotScaledReasons {
				codes = append(codes, r.Code)
			}
			if strings.Join(codes, ",") != strings.Join(tt.codes, ",") {
				t.Errorf("reasons %v, want %v", codes, tt.codes)
			}
			for _, m := range tt.messages {
				if !strings.Contains(d.Description, m) {
					t.Errorf("description %q lacks %q", d.Description, m)
				}
			}
		})
	}
}

func TestDecideRefusesWhatECSWontScale(t *testing.T) {
	p := Policy{AlarmName: "high", MinCapacity: 1, MaxCapacity: 9, Direction: Out, Adjustment: 1}
	d := Decide([]Policy{p}, []AlarmReading{{Name: "high", State: StateAlarm}},
		Observation{Service: active(3), NotScalable: "DAEMON service", Now: now})
	if d.Scale || len(d.NotScaledReasons) != 1 || d.NotScaledReasons[0].Code != ServiceNotScalable {
		t.Fatalf("Decide = %+v, want not scaled with %s", d, ServiceNotScalable)
	}
}

func TestDecideCarriesDryRun(t *testing.T) {
	p := Policy{AlarmName: "high", MinCapacity: 1, MaxCapacity: 9, Direction: Out, Adjustment: 2, DryRun: true}
	d := Decide([]Policy{p}, []AlarmReading{{Name: "high", State: StateAlarm}}, Observation{Service: active(3), Now: now})
	if !d.Scale || !d.DryRun || d.To != 5 {
		t.Fatalf("Decide = %+v, want a dry run to 5", d)
	}
}
