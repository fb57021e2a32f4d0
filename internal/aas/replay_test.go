package aas

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/stepscaler/stepscaler/internal/config"
	"github.com/stepscaler/stepscaler/internal/scaling"
	"github.com/stepscaler/stepscaler/internal/service"
)

// The replay tests run AAS's documented worked examples through both forms: the AAS
// policies as describe-scaling-policies prints them, decided by aasStep below, a reading
// of AAS's documentation written without internal/scaling; and the configuration `stepscaler
// import` writes from them, decided by Stepscaler's planner. Both must give the documented
// numbers, and the same numbers on the inputs around them.

// aasStep is the capacity AAS sets when a step scaling policy runs, as its documentation
// describes it ("Step scaling policies for Application Auto Scaling", AAS User Guide;
// StepAdjustment and StepScalingPolicyConfiguration, AAS API Reference):
//   - the step is chosen by the breach, the aggregated metric minus the threshold: "If the
//     metric value is above the breach threshold, the lower bound is inclusive and the upper
//     bound is exclusive. If the metric value is below the breach threshold, the lower bound
//     is exclusive and the upper bound is inclusive." A null bound is infinite. (At the
//     threshold itself the documentation gives both readings in its two examples; the
//     replays do not sit on it.)
//   - ChangeInCapacity: "If the current capacity is 3 and the adjustment is 5, then
//     Application Auto Scaling adds 5 to the capacity for a total of 8." ExactCapacity: "If
//     the current capacity is 3 and the adjustment is 5, then Application Auto Scaling
//     changes the capacity to 5." PercentChangeInCapacity: "If the current capacity is 10
//     and the adjustment is 10 percent, then Application Auto Scaling adds 1", rounded:
//     "Values greater than 1 are rounded down ... Values between 0 and 1 are rounded to 1
//     ... Values between 0 and -1 are rounded to -1 ... Values less than -1 are rounded up";
//     MinAdjustmentMagnitude: "25 percent of 4 is 1. However, because you specified a
//     minimum increment of 2, Application Auto Scaling adds 2".
//   - "Scaling policies will never go higher or lower than the minimum-maximum range"
//     ("Application Auto Scaling concepts").
//   - During the scale-out cooldown "capacity added by the initiating scale-out activity is
//     calculated as part of the desired capacity for the next scale-out activity": the step
//     counts from the capacity before that activity, and "The scaling policy won't increase
//     the desired capacity again unless either a larger scale out is triggered or the
//     cooldown period ends."
//
// from is the capacity before the last scale-out while its cooldown runs, nil otherwise.
func aasStep(c *StepScalingPolicyConfiguration, threshold, metric float64, current, lo, hi int, from *int) int {
	breach := metric - threshold
	var adjustment *int
	for _, s := range c.StepAdjustments {
		lower, upper := math.Inf(-1), math.Inf(1)
		if s.MetricIntervalLowerBound != nil {
			lower = *s.MetricIntervalLowerBound
		}
		if s.MetricIntervalUpperBound != nil {
			upper = *s.MetricIntervalUpperBound
		}
		if (breach > 0 && lower <= breach && breach < upper) || (breach < 0 && lower < breach && breach <= upper) {
			adjustment = s.ScalingAdjustment
			break
		}
	}
	if adjustment == nil {
		return current
	}
	base := current
	if from != nil {
		base = *from
	}
	next := base
	switch c.AdjustmentType {
	case "ChangeInCapacity":
		next = base + *adjustment
	case "ExactCapacity":
		next = *adjustment
	case "PercentChangeInCapacity":
		v := float64(base) * float64(*adjustment) / 100
		delta := int(v)
		switch {
		case v == math.Trunc(v):
		case v > 1:
			delta = int(math.Floor(v))
		case v > 0:
			delta = 1
		case v > -1:
			delta = -1
		default:
			delta = int(math.Ceil(v))
		}
		if m := c.MinAdjustmentMagnitude; m != nil && *adjustment != 0 && abs(delta) < *m {
			delta = *m * sign(*adjustment)
		}
		next = base + delta
	}
	next = max(lo, min(next, hi))
	if from != nil && next <= current {
		return current // the last scale-out already covers it
	}
	return next
}

// replayTarget is one imported service, and the AAS policies it came from.
type replayTarget struct {
	target   config.ServiceTarget
	policies map[string]*StepScalingPolicyConfiguration // by alarm name
	min, max int
}

func importedTarget(t *testing.T, in Input, resource string) replayTarget {
	t.Helper()
	r, err := Import(in, Options{})
	if err != nil {
		t.Fatal(err)
	}
	c := parsed(t, r)
	cluster, svc, _ := strings.Cut(strings.TrimPrefix(resource, "service/"), "/")
	target, ok := c.Service(scaling.ServiceRef{Cluster: cluster, Service: svc})
	if !ok {
		t.Fatalf("%s was not imported", resource)
	}
	rt := replayTarget{target: target, policies: map[string]*StepScalingPolicyConfiguration{}}
	for _, tg := range in.Targets.Items {
		if tg.ResourceID == resource {
			rt.min, rt.max = *tg.MinCapacity, *tg.MaxCapacity
		}
	}
	for _, p := range in.Policies.Items {
		for _, a := range p.Alarms {
			if p.ResourceID == resource {
				rt.policies[a.AlarmName] = p.StepScalingPolicyConfiguration
			}
		}
	}
	return rt
}

var replayNow = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

// stepscaler is the desired count Stepscaler's planner sets with the alarms in ALARM at
// the metric's value (the others OK), for a service at current tasks.
func (rt replayTarget) stepscaler(inAlarm map[string]float64, thresholds map[string]float64, current int, h scaling.History, now time.Time) int {
	var readings []scaling.AlarmReading
	for _, name := range rt.target.AlarmNames() {
		r := scaling.AlarmReading{Name: name, State: scaling.StateOK}
		if v, ok := inAlarm[name]; ok {
			r.State, r.Metric = scaling.StateAlarm, &scaling.MetricValue{Value: v, Threshold: thresholds[name]}
		}
		readings = append(readings, r)
	}
	d := scaling.Decide(rt.target.Policies, readings, scaling.Observation{
		Service: service.Snapshot{Status: service.StatusActive, DesiredCount: current, RunningCount: current},
		History: h, Now: now,
	})
	if !d.Scale {
		return current
	}
	return d.To
}

// TestReplayStepAdjustmentsExample is the worked example of "Step scaling policies for
// Application Auto Scaling": "a current capacity and a desired capacity of 10 ... a
// CloudWatch alarm with a breach threshold of 50 percent ... PercentChangeInCapacity",
// scale-out steps 0/10/0, 10/20/10, 20/null/30 and scale-in steps -10/0/0, -20/-10/-10,
// null/-20/-30:
//
//	"The current and desired capacity is maintained while the aggregated metric value is
//	greater than 40 and less than 60. If the metric value gets to 60, Application Auto
//	Scaling increases the desired capacity of the scalable target by 1, to 11 ... If the
//	metric value rises to 70 even after this increase in capacity, Application Auto Scaling
//	increases the target capacity by 3, to 14 ... If the metric value gets to 40,
//	Application Auto Scaling decreases the target capacity by 1, to 13 ... If the metric
//	value falls to 30 even after this decrease in capacity, Application Auto Scaling
//	decreases the target capacity by 3, to 10".
//
// testdata/documented holds the two policies for service/default/example-app, on alarms
// example-app-cpu-high (>= 50) and example-app-cpu-low (<= 50); each step below starts
// after the cooldown, as the example does.
func TestReplayStepAdjustmentsExample(t *testing.T) {
	rt := importedTarget(t, documentedInput(t), "service/default/example-app")
	thresholds := map[string]float64{"example-app-cpu-high": 50, "example-app-cpu-low": 50}
	alarmAt := func(metric float64) string {
		if metric > 50 {
			return "example-app-cpu-high"
		}
		return "example-app-cpu-low"
	}
	documented := []struct {
		metric   float64
		from, to int
	}{{60, 10, 11}, {70, 11, 14}, {40, 14, 13}, {30, 13, 10}}
	for _, s := range documented {
		alarm := alarmAt(s.metric)
		aas := aasStep(rt.policies[alarm], 50, s.metric, s.from, rt.min, rt.max, nil)
		ours := rt.stepscaler(map[string]float64{alarm: s.metric}, thresholds, s.from, scaling.History{}, replayNow)
		if aas != s.to || ours != s.to {
			t.Errorf("metric %v at %d tasks: AAS's reading %d, Stepscaler %d; the guide says %d", s.metric, s.from, aas, ours, s.to)
		}
	}
	// Around the documented points, both forms agree.
	for _, metric := range []float64{30.5, 39, 40, 40.5, 45, 49.9, 50.1, 55, 59.9, 60, 60.1, 69.9, 70, 85, 100, 0, 20, 29.9} {
		for _, current := range []int{1, 2, 3, 7, 10, 13, 33, 100} {
			alarm := alarmAt(metric)
			aas := aasStep(rt.policies[alarm], 50, metric, current, rt.min, rt.max, nil)
			if ours := rt.stepscaler(map[string]float64{alarm: metric}, thresholds, current, scaling.History{}, replayNow); ours != aas {
				t.Errorf("metric %v at %d tasks: AAS's reading %d, Stepscaler %d", metric, current, aas, ours)
			}
		}
	}
}

// TestReplayMinAdjustmentMagnitude is StepScalingPolicyConfiguration's example: "scale out
// an Amazon ECS service by 25 percent and you specify a MinAdjustmentMagnitude of 2. If the
// service has 4 tasks ... 25 percent of 4 is 1. However, because you specified a
// MinAdjustmentMagnitude of 2, Application Auto Scaling scales out the service by 2 tasks."
// (service/default/percent-app, 1 to 20 tasks, alarm >= 60).
func TestReplayMinAdjustmentMagnitude(t *testing.T) {
	rt := importedTarget(t, documentedInput(t), "service/default/percent-app")
	thresholds := map[string]float64{"percent-app-cpu-high": 60}
	policy := rt.policies["percent-app-cpu-high"]
	if aas, ours := aasStep(policy, 60, 75, 4, rt.min, rt.max, nil), rt.stepscaler(map[string]float64{"percent-app-cpu-high": 75}, thresholds, 4, scaling.History{}, replayNow); aas != 6 || ours != 6 {
		t.Errorf("4 tasks: AAS's reading %d, Stepscaler %d; the API Reference says 6", aas, ours)
	}
	for current := 1; current <= 20; current++ {
		aas := aasStep(policy, 60, 75, current, rt.min, rt.max, nil)
		if ours := rt.stepscaler(map[string]float64{"percent-app-cpu-high": 75}, thresholds, current, scaling.History{}, replayNow); ours != aas {
			t.Errorf("%d tasks: AAS's reading %d, Stepscaler %d", current, aas, ours)
		}
	}
}

// TestReplayChangeInCapacityAndCooldown is the policy of "Creating a step scaling policy
// using the AWS CLI" (service/default/sample-app-service, 2 to 10 tasks): "Increase
// capacity by 1 when the value of the metric is greater than or equal to 70 percent but
// less than 85 percent; by 2 when ... greater than or equal to 85 percent but less than 95
// percent; by 3 when ... greater than or equal to 95 percent", Cooldown 60. Then the
// cooldown example of "Step scaling policies for Application Auto Scaling": "an alarm
// triggers a step scaling policy to increase the capacity by 2 ... If the alarm triggers
// again during the cooldown period but at a more aggressive step adjustment of 3, the
// previous increase of 2 is considered part of the current capacity. Therefore, only 1 is
// added to the capacity."
func TestReplayChangeInCapacityAndCooldown(t *testing.T) {
	rt := importedTarget(t, documentedInput(t), "service/default/sample-app-service")
	const alarm = "Step-Scaling-AlarmHigh-ECS:service/default/sample-app-service"
	thresholds := map[string]float64{alarm: 70}
	policy := rt.policies[alarm]
	for _, s := range []struct {
		metric   float64
		from, to int
	}{{70.5, 4, 5}, {84.9, 4, 5}, {85, 4, 6}, {94.9, 4, 6}, {95, 4, 7}, {99, 9, 10}} {
		aas := aasStep(policy, 70, s.metric, s.from, rt.min, rt.max, nil)
		ours := rt.stepscaler(map[string]float64{alarm: s.metric}, thresholds, s.from, scaling.History{}, replayNow)
		if aas != s.to || ours != s.to {
			t.Errorf("metric %v at %d tasks: AAS's reading %d, Stepscaler %d, want %d", s.metric, s.from, aas, ours, s.to)
		}
	}
	// The cooldown: 4 tasks, the alarm at 90 (+2) scales to 6; 30 s later, within the
	// 60 s cooldown, at 96 (+3) only 1 is added; at 90 again, nothing.
	four := 4
	scaledAt := replayNow.Add(-30 * time.Second)
	h := scaling.History{LastScaleOutAt: &scaledAt, LastScaleOutFrom: &four}
	for _, s := range []struct {
		metric float64
		want   int
	}{{96, 7}, {90, 6}} {
		aas := aasStep(policy, 70, s.metric, 6, rt.min, rt.max, &four)
		ours := rt.stepscaler(map[string]float64{alarm: s.metric}, thresholds, 6, h, replayNow)
		if aas != s.want || ours != s.want {
			t.Errorf("within the cooldown at %v: AAS's reading %d, Stepscaler %d, want %d", s.metric, aas, ours, s.want)
		}
	}
}

// TestReplayLargestCapacityWins is PutScalingPolicy's example of two policies firing
// together: "if one policy increases capacity by 3, another policy increases capacity by
// 200 percent, and the current capacity is 10, Application Auto Scaling uses the policy
// with the highest calculated capacity (200% of 10 = 20) and scales out to 30." The
// +200% policy is the AWS CLI's web-app-cpu-gt-75; the +3 one is added beside it, and the
// service may grow to 50.
func TestReplayLargestCapacityWins(t *testing.T) {
	in := documentedInput(t)
	in.Targets.Items = in.Targets.Items[:1]
	fifty := 50
	in.Targets.Items[0].MaxCapacity = &fifty
	in.Actions.Items = nil
	three, zero := 3, 0.0
	in.Policies.Items = append(in.Policies.Items[:1], ScalingPolicy{PolicyName: "add-3", PolicyType: "StepScaling", ServiceNamespace: "ecs",
		ResourceID: "service/default/web-app", ScalableDimension: "ecs:service:DesiredCount",
		StepScalingPolicyConfiguration: &StepScalingPolicyConfiguration{AdjustmentType: "ChangeInCapacity",
			StepAdjustments: []StepAdjustment{{MetricIntervalLowerBound: &zero, ScalingAdjustment: &three}}},
		Alarms: []PolicyAlarm{{AlarmName: "web-app-latency-high"}}})
	rt := importedTarget(t, in, "service/default/web-app")
	metrics := map[string]float64{"web-app-cpu-gt-75": 90, "web-app-latency-high": 2}
	thresholds := map[string]float64{"web-app-cpu-gt-75": 75, "web-app-latency-high": 1}
	aas := max(aasStep(rt.policies["web-app-cpu-gt-75"], 75, 90, 10, rt.min, rt.max, nil), aasStep(rt.policies["web-app-latency-high"], 1, 2, 10, rt.min, rt.max, nil))
	if ours := rt.stepscaler(metrics, thresholds, 10, scaling.History{}, replayNow); aas != 30 || ours != 30 {
		t.Errorf("AAS's reading %d, Stepscaler %d; the API Reference says 30", aas, ours)
	}
}

// TestReplayScaleIn: web-app-cpu-lt-25 removes one task below 25 % CPU; the service's
// minimum is 1, and AAS's activity for it reads "Setting desired count to 1."
func TestReplayScaleIn(t *testing.T) {
	rt := importedTarget(t, documentedInput(t), "service/default/web-app")
	thresholds := map[string]float64{"web-app-cpu-lt-25": 25}
	for _, current := range []int{1, 2, 3, 10} {
		aas := aasStep(rt.policies["web-app-cpu-lt-25"], 25, 20, current, rt.min, rt.max, nil)
		if ours := rt.stepscaler(map[string]float64{"web-app-cpu-lt-25": 20}, thresholds, current, scaling.History{}, replayNow); aas != ours || aas != max(1, current-1) {
			t.Errorf("%d tasks: AAS's reading %d, Stepscaler %d, want %d", current, aas, ours, max(1, current-1))
		}
	}
}

// TestReplayTargetTracking: AAS publishes no formula for target tracking, only that it
// "adds capacity proportional to the metric value": the imported TargetRatio entry sizes
// to ceil(current × metric / target). With the target 75 % CPU of put-scaling-policy's
// first example, 4 tasks at 150 % need ceil(4 × 150 / 75) = 8, and 3 tasks at 80 %,
// ceil(3 × 80 / 75) = ceil(3.2) = 4; the copy of AlarmLow (67.5 %) at 30 % sizes 8 tasks
// to ceil(8 × 30 / 75) = ceil(3.2) = 4.
func TestReplayTargetTracking(t *testing.T) {
	rt := importedTarget(t, documentedInput(t), "service/default/web-app")
	const out, in = "stepscaler-default-web-app-cpu75-target-tracking-scaling-policy-out", "stepscaler-default-web-app-cpu75-target-tracking-scaling-policy-in"
	thresholds := map[string]float64{out: 75, in: 67.5}
	for _, s := range []struct {
		alarm            string
		metric           float64
		current, desired int
	}{{out, 150, 4, 8}, {out, 80, 3, 4}, {in, 30, 8, 4}} {
		if got := rt.stepscaler(map[string]float64{s.alarm: s.metric}, thresholds, s.current, scaling.History{}, replayNow); got != s.desired {
			t.Errorf("%s at %v with %d tasks: %d, want %d", s.alarm, s.metric, s.current, got, s.desired)
		}
	}
}

// TestReplaySchedule replays service/default/web-app's two scheduled actions minute by
// minute, from 2021-01-28 to 2021-02-03, through AAS's documented behaviour and through
// the imported configuration's schedule:
//   - my-recurring-action, the AWS CLI's example: "On the specified schedule (every 5 hours
//     starting on January 30, 2021 at 12:00 PM UTC and ending on January 31, 2021 at 10:00
//     PM UTC), if the value specified for MinCapacity is above the current capacity,
//     Application Auto Scaling scales out to MinCapacity. If the value specified for
//     MaxCapacity is below the current capacity, Application Auto Scaling scales in to
//     MaxCapacity" (MinCapacity=3,MaxCapacity=10);
//   - my-recurring-action-with-time-zone: cron(0 18 ? * MON-FRI *) in Etc/GMT+9, "every
//     Monday through Friday at 6:00 PM local time"; Etc/GMT+9 is UTC-9, so 03:00 UTC the
//     next day (MinCapacity=2,MaxCapacity=10).
//
// The service is registered with [1, 10]. By 2021-01-28 the cron action has run (Tuesday
// 26th, 18:00 local), so the bounds start at [2, 10] and the service at 2 tasks. On the
// 30th at 11:00 someone sets 12 tasks by hand, outside the bounds, and on the 31st at
// 09:00 1 task: the next firing brings each back within the bounds.
func TestReplaySchedule(t *testing.T) {
	rt := importedTarget(t, documentedInput(t), "service/default/web-app")
	type bounds struct{ min, max int }
	// AAS's firings, from the sentences above.
	aasFirings := map[time.Time]bounds{}
	for at := time.Date(2021, 1, 30, 12, 0, 0, 0, time.UTC); !at.After(time.Date(2021, 1, 31, 22, 0, 0, 0, time.UTC)); at = at.Add(5 * time.Hour) {
		aasFirings[at] = bounds{3, 10}
	}
	utcMinus9 := time.FixedZone("UTC-9", -9*3600)
	for day := time.Date(2021, 1, 27, 18, 0, 0, 0, utcMinus9); day.Before(time.Date(2021, 2, 4, 0, 0, 0, 0, utcMinus9)); day = day.AddDate(0, 0, 1) {
		if wd := day.Weekday(); wd >= time.Monday && wd <= time.Friday {
			aasFirings[day.UTC()] = bounds{2, 10}
		}
	}
	aas := bounds{2, 10}
	aasTasks, ourTasks := 2, 2
	manual := map[time.Time]int{time.Date(2021, 1, 30, 11, 0, 0, 0, time.UTC): 12, time.Date(2021, 1, 31, 9, 0, 0, 0, time.UTC): 1}
	firings := 0
	for at := time.Date(2021, 1, 28, 0, 0, 0, 0, time.UTC); at.Before(time.Date(2021, 2, 3, 0, 0, 0, 0, time.UTC)); at = at.Add(time.Minute) {
		if n, ok := manual[at]; ok {
			aasTasks, ourTasks = n, n
		}
		if b, ok := aasFirings[at]; ok {
			aas = b
			aasTasks = max(aas.min, min(aasTasks, aas.max))
			firings++
		}
		effect := rt.target.BoundsAt(at)
		if len(rt.target.Schedule.Due(at)) > 0 {
			ourTasks = effect.Bounds.Clamp(ourTasks)
		}
		if effect.Bounds.Min != aas.min || effect.Bounds.Max != aas.max || ourTasks != aasTasks {
			t.Fatalf("%v: Stepscaler's bounds %v with %d tasks, AAS's [%d, %d] with %d", at, effect.Bounds, ourTasks, aas.min, aas.max, aasTasks)
		}
	}
	// 7 rate firings, and weekday evenings Wednesday 27th to Tuesday 2nd (Wed, Thu, Fri,
	// Mon, Tue) at 03:00 UTC the next day, within the window: 28th, 29th, 30th, 2nd.
	if firings != 11 {
		t.Errorf("%d firings replayed, want 11", firings)
	}
	// The 1 task set by hand on the 31st goes to 3 at the 13:00 firing; Monday evening's
	// [2, 10] leaves 3 as it is.
	if aasTasks != 3 {
		t.Errorf("the replay ends at %d tasks, want 3", aasTasks)
	}
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

func sign(v int) int {
	if v < 0 {
		return -1
	}
	return 1
}
