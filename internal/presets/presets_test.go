package presets

import (
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stepscaler/stepscaler/internal/scaling"
)

// TestBalancedRules works the balanced preset's rules out by hand for a service whose
// metric is CPU utilization in percent (a task's capacity is 100) and whose tasks start in
// a minute: a target of 70, the scale-out alarm above 70 × 1.1 = 77 on one of three 10 s
// datapoints, the scale-in alarm below 70 × 0.9 = 63 on both of two 30 s datapoints, a
// scale-out cooldown of the start-up (60 s) plus the alarm's window (30 s) plus one
// evaluation interval (10 s), and the HPA's 300 s scale-in window.
func TestBalancedRules(t *testing.T) {
	rules, err := Balanced.Rules(Service{Name: "web", Min: 2, Max: 20, Capacity: 100, StartupDelay: time.Minute}, 0)
	if err != nil {
		t.Fatal(err)
	}
	base := scaling.Policy{MinCapacity: 2, MaxCapacity: 20, AdjustmentType: scaling.TargetRatio, TargetValue: 70, Tolerance: 0.1,
		PollIntervalSeconds: 15, StabilizationTimeoutSeconds: 600, MetricAggregationType: "Maximum"}
	out, in := base, base
	out.AlarmName, out.Direction, out.CooldownSeconds = "web-out", scaling.Out, 100
	in.AlarmName, in.Direction, in.CooldownSeconds, in.ScaleInStabilizationWindowSeconds = "web-in", scaling.In, 60, 300
	want := []Rule{
		{Policy: out, Alarm: Alarm{Name: "web-out", Threshold: 77, ComparisonOperator: "GreaterThanThreshold", Period: 10 * time.Second,
			EvaluationPeriods: 3, DatapointsToAlarm: 1, TreatMissingData: "notBreaching"}},
		{Policy: in, Alarm: Alarm{Name: "web-in", Threshold: 63, ComparisonOperator: "LessThanThreshold", Period: 30 * time.Second,
			EvaluationPeriods: 2, DatapointsToAlarm: 2, TreatMissingData: "notBreaching"}},
	}
	for i := range want {
		got, w := rules[i], want[i]
		if math.Abs(got.Alarm.Threshold-w.Alarm.Threshold) > 1e-9 {
			t.Errorf("rule %d threshold %v, want %v", i, got.Alarm.Threshold, w.Alarm.Threshold)
		}
		got.Alarm.Threshold = w.Alarm.Threshold
		if !reflect.DeepEqual(got, w) {
			t.Errorf("rule %d:\n%+v\nwant\n%+v", i, got, w)
		}
	}

	// A target of 50% on tasks that each serve 200 requests a second aims at 100.
	rules, err = Balanced.Rules(Service{Name: "api", Min: 1, Max: 5, Capacity: 200, StartupDelay: time.Minute}, 0.5)
	if err != nil || rules[0].Policy.TargetValue != 100 {
		t.Errorf("target value %v (%v), want 100", rules[0].Policy.TargetValue, err)
	}
}

func TestRulesRefuseBadInput(t *testing.T) {
	svc := Service{Name: "web", Min: 2, Max: 20, Capacity: 100, StartupDelay: time.Minute}
	tests := []struct {
		name   string
		svc    Service
		target float64
		want   string
	}{
		{"target above 1", svc, 1.5, "target 1.5 must be a fraction"},
		{"negative target", svc, -0.2, "target -0.2 must be a fraction"},
		{"no capacity", Service{Name: "web", Min: 1, Max: 2}, 0, "capacity 0 must be a positive number"},
		{"bounds", Service{Name: "web", Min: 3, Max: 2, Capacity: 1}, 0, "want 0 <= min <= max"},
		{"start-up", Service{Name: "web", Min: 1, Max: 2, Capacity: 1, StartupDelay: -time.Second}, 0, "start-up delay -1s is negative"},
	}
	for _, tt := range tests {
		_, err := CostFirst.Rules(tt.svc, tt.target)
		if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "preset cost-first: ") {
			t.Errorf("%s: error %v, want %q", tt.name, err, tt.want)
		}
	}
}

// TestLead: with Lead, a preset sizes its scale-out for the metric the start-up delay
// (60 s), half the scale-out alarm's window (15 s of 30 s) and one evaluation interval
// (10 s) ahead: 85 s.
func TestLead(t *testing.T) {
	p := LatencyFirst
	p.Lead = true
	rules, err := p.Rules(Service{Name: "web", Min: 1, Max: 9, Capacity: 100, StartupDelay: time.Minute}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := rules[0].Policy.ScaleOutLeadSeconds; got != 85 {
		t.Errorf("lead %ds, want 85", got)
	}
	if rules[1].Policy.ScaleOutLeadSeconds != 0 {
		t.Error("the scale-in policy has a lead")
	}
	for _, q := range All {
		if q.Lead {
			t.Errorf("%s sizes for the start-up delay, which docs/backtest.md measured as only adding idle capacity", q.Name)
		}
	}
}

// TestPresetsAreValidAlarms checks every preset against PutMetricAlarm's rules: a period
// of 10, 20 or 30 s or a multiple of 60, at most as many datapoints to alarm as
// evaluation periods, and proportional policies in both directions.
func TestPresetsAreValidAlarms(t *testing.T) {
	if len(All) != 3 || !reflect.DeepEqual(Names(), []string{"latency-first", "balanced", "cost-first"}) {
		t.Fatalf("presets %v", Names())
	}
	for _, p := range All {
		for _, s := range []Shape{p.Out, p.In} {
			valid := s.Period == 10*time.Second || s.Period == 20*time.Second || s.Period == 30*time.Second ||
				(s.Period >= time.Minute && s.Period%time.Minute == 0)
			if !valid || s.DatapointsToAlarm < 1 || s.DatapointsToAlarm > s.EvaluationPeriods {
				t.Errorf("%s: alarm %+v is not one CloudWatch accepts", p.Name, s)
			}
		}
		if !(p.Target > 0 && p.Target <= 1) || p.Tolerance != 0.1 || p.ScaleInWindow <= 0 || p.Metric == "" || p.Summary == "" {
			t.Errorf("%s: %+v", p.Name, p)
		}
		q, ok := Lookup(p.Name)
		if !ok || q.Name != p.Name {
			t.Errorf("Lookup(%q) = %v, %v", p.Name, q.Name, ok)
		}
	}
	if _, ok := Lookup("fastest"); ok {
		t.Error("Lookup found a preset that does not exist")
	}
}

// TestCosts works the monthly charges out from the price list: two high-resolution
// alarms at $0.30; a metric published every 10 s by each of 2 tasks, 30 days × 8,640
// requests a day × 2 = 518,400 requests at $0.01 per 1,000, plus the custom metric's
// $0.30.
func TestCosts(t *testing.T) {
	if got := Balanced.AlarmsMonthly(); math.Abs(got-0.60) > 1e-9 {
		t.Errorf("balanced alarms $%v, want $0.60", got)
	}
	mixed := Balanced
	mixed.In = Shape{Period: time.Minute, EvaluationPeriods: 5, DatapointsToAlarm: 5}
	if got := mixed.AlarmsMonthly(); math.Abs(got-0.40) > 1e-9 {
		t.Errorf("one standard alarm: $%v, want $0.40", got)
	}
	if got := Balanced.MetricMonthly(2); math.Abs(got-(5.184+0.30)) > 1e-9 {
		t.Errorf("metric for 2 tasks at 10 s: $%v, want $5.484", got)
	}
	// Cost-first publishes every 30 s: a third of the requests.
	if got := CostFirst.MetricMonthly(2); math.Abs(got-(1.728+0.30)) > 1e-9 {
		t.Errorf("metric for 2 tasks at 30 s: $%v, want $2.028", got)
	}
}

// TestCostOfAnyPeriod prices alarms and a metric by period alone, as the configured
// policy's are: a 60 s alarm is standard ($0.10), a 30 s one high-resolution ($0.30); a
// metric published every 20 s by 3 tasks is 30 × 4,320 × 3 = 388,800 requests, $3.888,
// plus $0.30.
func TestCostOfAnyPeriod(t *testing.T) {
	if got := AlarmMonthly(time.Minute); math.Abs(got-0.10) > 1e-9 {
		t.Errorf("60 s alarm $%v, want $0.10", got)
	}
	if got := AlarmMonthly(30 * time.Second); math.Abs(got-0.30) > 1e-9 {
		t.Errorf("30 s alarm $%v, want $0.30", got)
	}
	if got := PublishedMetricMonthly(3, 20*time.Second); math.Abs(got-(3.888+0.30)) > 1e-9 {
		t.Errorf("metric for 3 tasks at 20 s: $%v, want $4.188", got)
	}
}
