package stack_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/stepscaler/stepscaler/internal/activity"
	"github.com/stepscaler/stepscaler/internal/scaling"
	"github.com/stepscaler/stepscaler/internal/workflow"
	"github.com/stepscaler/stepscaler/local/ecsemu"
)

// The preset-balanced service of scenarios.json lists no alarm: its balanced preset, on
// the per-task metric Test/Preset LoadPerTask (Average) with a capacity of 100 per task
// and a 70% target, resolves to
//
//	preset-balanced-out  TargetRatio 70, Maximum over the window, cooldown 60 + 30 + 10 = 100 s;
//	                     alarm: Average > 77 (70 × 1.1) in 1 of 3 periods of 10 s
//	preset-balanced-in   TargetRatio 70, Maximum over the window, cooldown 60 s, no lower than
//	                     the highest recommendation of the last 300 s;
//	                     alarm: Average < 63 (70 × 0.9) in 2 of 2 periods of 30 s
//
// both with TreatMissingData notBreaching, created by the stack from their metric blocks.
const (
	presetService   = "preset-balanced"
	presetOut       = presetService + "-out"
	presetIn        = presetService + "-in"
	presetNamespace = "Test/Preset"
	presetMetric    = "LoadPerTask"
)

// The service runs 2 tasks under a load that sends the per-task metric, published every
// 10 s at high resolution, well above the target; the out alarm fires and the service is
// sized proportionally, from the busiest 10 s period of the alarm's window. Then the load
// falls, the in alarm fires, and the scale-in stabilization window holds the service at
// 5: the scale-out's recommendation of 5 tasks is in the window.
//
// Real time throughout (the functions' clocks are the machine's): the scale-out at R0,
// the fall from P+30 s (P is R0 rounded down to 10 s), the in alarm at P+120 s, past the
// scale-in cooldown of 60 s after the scale-out and well inside its 300 s window.
func TestPresetScalesOutAndHoldsScaleIn(t *testing.T) {
	skipShort(t)
	t.Parallel()
	ctx := context.Background()
	svc := presetService
	createService(t, svc, ecsemu.ServiceSpec{DesiredCount: 2})
	t.Cleanup(func() {
		_ = st.SetAlarmStateQuietly(ctx, presetOut, "OK", okReason)
		_ = st.SetAlarmStateQuietly(ctx, presetIn, "OK", okReason)
	})
	// The proportional rule sizes from the running tasks while some are starting
	// (capacityBase): start from 2 running, as the load's story says.
	waitRunning(t, svc, 2)

	// The load. Each 10 s period holds two datapoints, value − spread at +2 s and value +
	// spread at +7 s, so its Average (the alarms' statistic) is the value, its Maximum
	// value + spread.
	//
	// Before the scale-out, the periods cycle through 140, 154, 120 (by the period's index
	// since the epoch, so any three consecutive periods hold one of each), spread 30:
	//   - the out alarm's datapoints are all above 77: ALARM;
	//   - the read step reads the alarm's three complete 10 s periods with the alarm's
	//     statistic, Average: 140, 154 and 120 in some order; the policy's
	//     MetricAggregationType, Maximum, makes that 154;
	//   - TargetRatio: 154 / 70 = 2.2, outside the tolerance of 0.1, so
	//     ceil(2 × 154 / 70) = ceil(4.4) = 5 tasks, within [1, 10].
	// Sizing from the window's average, (140 + 154 + 120) / 3 = 138, would give
	// ceil(3.94) = 4 tasks; from the periods' Maximum statistic, 154 + 30 = 184,
	// ceil(5.26) = 6. Only the documented reading gives 5.
	r0 := time.Now().UTC()
	p := r0.Truncate(10 * time.Second)
	high := []float64{140, 154, 120}
	publishLoad(t, p.Add(-60*time.Second), p.Add(30*time.Second), 30, func(period time.Time) float64 {
		return high[(period.Unix()/10)%3]
	})

	// CloudWatch evaluates both alarms (every 10 s for such periods): the out alarm goes
	// to ALARM and notifies; the in alarm sees 30 s averages of 138 and goes to OK.
	idle(t, svc)
	since := time.Now().UTC().Truncate(time.Millisecond)
	if err := st.CW.EvaluateAlarm(r0, presetOut, presetIn); err != nil {
		t.Fatal(err)
	}
	st.WaitNotifications()
	up := newestSince(t, svc, since)
	if status := finish(t, up); status != sfntypes.ExecutionStatusSucceeded {
		t.Fatalf("scale-out %s: %s", up, status)
	}
	out := executionState(t, up)
	if m := reading(t, out, presetOut).Metric; m == nil || m.Value != 154 || m.Threshold != 77 {
		t.Errorf("%s read %+v, want the Maximum of the 10 s Averages, 154, against the threshold 77", presetOut, m)
	}
	if rec := out.Plan.Recommendation; rec == nil || rec.Tasks != 5 {
		t.Errorf("scale-out recommendation %+v, want 5 tasks", rec)
	}
	a := recorded(t, svc, up)
	wantActivity(t, a, activity.StatusSuccessful, 2, 5, "")
	if want := "metric 154.0 / target 70.0 = ratio 2.20: ceil(2 × 2.20) = 5 tasks"; !strings.Contains(a.Cause, want) {
		t.Errorf("cause %q does not show the proportional size %q", a.Cause, want)
	}
	if d := desired(t, svc); d != 5 {
		t.Fatalf("desired %d after the scale-out, want 5", d)
	}
	t.Logf("%s: %s", up, a.Cause)

	// The per-minute evaluation, with the out alarm still in ALARM and the load still
	// high: within the 100 s cooldown the policy counts from the 2 tasks before the
	// scale-out, ceil(2 × 154 / 70) = 5, which the scale-out already gave; not
	// ceil(5 × 154 / 70) = 11, which would meet the same load twice.
	next := evaluate(t, svc)
	if len(next) != 1 {
		t.Fatalf("evaluation started %v, want one execution of %s", next, svc)
	}
	held := executionState(t, next[0])
	if held.Plan.Scale || held.Plan.To != 5 || !hasReason(held.Plan, scaling.CooldownActive, "asks for 5") {
		t.Errorf("evaluation during the cooldown planned %+v, want no change, held by the cooldown, asking for 5", *held.Plan)
	}
	if d := desired(t, svc); d != 5 {
		t.Errorf("desired %d after the evaluation in the cooldown, want 5", d)
	}

	// The load falls. From P+30 s, each 30 s block (aligned to 30 s, as the read step's
	// window and GetMetricData's periods are) averages 20 or 34 in turn, spread 10:
	//   - any 30 s average is between 20 and 34, below 63: the in alarm's two periods
	//     breach, ALARM; every 10 s average is below 77: the out alarm goes OK;
	//   - the read step reads the in alarm's two complete 30 s periods, one block of each
	//     (Average 20 and 34); Maximum: 34;
	//   - TargetRatio from the 5 tasks running: 34 / 70 = 0.49, outside the tolerance:
	//     ceil(5 × 34 / 70) = ceil(2.43) = 3 tasks, the recommendation recorded.
	// (The window's average, 27, would give 2; the periods' Maximum statistic, 44, 4.)
	//   - The window: the in alarm has been in ALARM for a moment, less than 300 s, so
	//     the desired count, 5, counts as recommended, and the recommendations kept
	//     within the last 300 s hold 5 from the scale-out (and from the evaluation above)
	//     and now 3. The scale-in asks for max(3, 5) = 5: no change, ScaleInStabilized.
	//     (Plan raises a scale-in to the highest kept recommendation only once the in
	//     alarm has been in ALARM for the whole window; by then, in real time, the
	//     scale-out's 5 is older than 300 s. Within the window it is this rule that holds.)
	//   - The scale-in cooldown, 60 s after the scale-out, has run out by P+120 s.
	fall := p.Add(30 * time.Second)
	publishLoad(t, fall, fall.Add(4*time.Minute), 10, func(period time.Time) float64 {
		if (period.Unix()/30)%2 == 0 {
			return 20
		}
		return 34
	})
	time.Sleep(time.Until(p.Add(120 * time.Second)))
	since = time.Now().UTC().Truncate(time.Millisecond)
	if err := st.CW.EvaluateAlarm(time.Now(), presetOut, presetIn); err != nil {
		t.Fatal(err)
	}
	st.WaitNotifications()
	idle(t, svc)
	down := startedSince(t, svc, since)
	if down == "" {
		// The notification's minute was already taken by an evaluation's execution (a
		// duplicate, by name): the next evaluation takes the alarm up.
		started := evaluate(t, svc)
		if len(started) != 1 {
			t.Fatalf("evaluation started %v, want one execution of %s", started, svc)
		}
		down = started[0]
	}
	if status := finish(t, down); status != sfntypes.ExecutionStatusSucceeded {
		t.Fatalf("scale-in %s: %s", down, status)
	}
	in := executionState(t, down)
	if r := reading(t, in, presetOut); r.State != scaling.StateOK {
		t.Errorf("%s is %s after the fall, want OK", presetOut, r.State)
	}
	if m := reading(t, in, presetIn).Metric; m == nil || m.Value != 34 || m.Threshold != 63 {
		t.Errorf("%s read %+v, want the Maximum of the 30 s Averages, 34, against the threshold 63", presetIn, m)
	}
	if rec := in.Plan.Recommendation; rec == nil || rec.Tasks != 3 {
		t.Errorf("scale-in recommendation %+v, want ceil(5 × 34 / 70) = 3 tasks", rec)
	}
	if in.Plan.Scale || in.Plan.Direction != scaling.In || in.Plan.From != 5 || in.Plan.To != 5 ||
		!hasReason(in.Plan, scaling.ScaleInStabilized, "less than the 300s stabilization window: the desired count 5 stands") {
		t.Errorf("scale-in planned %+v, want 5 held by the 300 s stabilization window", *in.Plan)
	}
	if d := desired(t, svc); d != 5 {
		t.Errorf("desired %d after the scale-in alarm, want 5: the window's highest recommendation", d)
	}
	if in.Outcome.StatusCode != activity.StatusNotScaled {
		t.Errorf("outcome %+v, want NotScaled", in.Outcome)
	}
	// The activity: this execution's, or the identical one it repeats.
	id := down
	if in.Outcome.Repeated {
		id = in.Outcome.RepeatOf
	}
	b := recorded(t, svc, id)
	wantActivity(t, b, activity.StatusNotScaled, 5, 5, scaling.ScaleInStabilized)
	for _, want := range []string{
		"no lower than the highest recommendation of the last 300s",
		"metric 34.0 / target 70.0 = ratio 0.49: ceil(5 × 0.49) = 3 tasks, held",
	} {
		if !strings.Contains(b.Cause, want) {
			t.Errorf("cause %q does not say %q", b.Cause, want)
		}
	}
	t.Logf("%s: %s", id, b.Cause)

	// What the record step kept for the window: everything within 300 s of the newest, the
	// scale-out's 5 the highest, the scale-in's 3 the newest.
	state, err := st.Store.State(ctx, ref(svc))
	if err != nil {
		t.Fatal(err)
	}
	recs := state.Recommendations
	if len(recs) < 2 {
		t.Fatalf("recommendations kept %+v, want the scale-out's and the scale-in's at least", recs)
	}
	newest := recs[len(recs)-1]
	if newest.Tasks != 3 || newest.At.Before(since) {
		t.Errorf("newest recommendation %+v, want the scale-in's 3 tasks, made after %s", newest, since.Format(time.RFC3339))
	}
	highest := slices.MaxFunc(recs, func(x, y scaling.Recommendation) int { return x.Tasks - y.Tasks })
	if highest.Tasks != 5 {
		t.Errorf("highest recommendation kept %+v, want the scale-out's 5 tasks", highest)
	}
	for _, r := range recs {
		if !r.At.After(newest.At.Add(-300 * time.Second)) {
			t.Errorf("recommendation %+v is older than the 300 s window of %s", r, newest.At.Format(time.RFC3339))
		}
	}
	t.Logf("recommendations kept: %+v; took %s", recs, time.Since(r0).Round(time.Second))
}

// publishLoad puts the per-task metric as the service's tasks publish it, at high
// resolution: for every 10 s period starting in [from, to), value(period) − spread at
// 2 s into it and value(period) + spread at 7 s.
func publishLoad(t *testing.T, from, to time.Time, spread float64, value func(period time.Time) float64) {
	t.Helper()
	var data []cwtypes.MetricDatum
	for period := from.Truncate(10 * time.Second); period.Before(to); period = period.Add(10 * time.Second) {
		v := value(period)
		for _, d := range []struct {
			offset time.Duration
			value  float64
		}{{2 * time.Second, v - spread}, {7 * time.Second, v + spread}} {
			data = append(data, cwtypes.MetricDatum{
				MetricName:        aws.String(presetMetric),
				Dimensions:        []cwtypes.Dimension{{Name: aws.String("ServiceName"), Value: aws.String(presetService)}},
				Timestamp:         aws.Time(period.Add(d.offset)),
				Value:             aws.Float64(d.value),
				StorageResolution: aws.Int32(1),
			})
		}
	}
	if _, err := st.CloudWatch.PutMetricData(context.Background(), &cloudwatch.PutMetricDataInput{
		Namespace: aws.String(presetNamespace), MetricData: data,
	}); err != nil {
		t.Fatalf("put %d datapoints of %s: %v", len(data), presetMetric, err)
	}
}

// finalState is an execution's output: its state, with the record step's outcome.
type finalState struct {
	workflow.State
	Outcome workflow.Outcome `json:"outcome"`
}

// executionState decodes a finished execution's output.
func executionState(t *testing.T, name string) finalState {
	t.Helper()
	var s finalState
	if err := json.Unmarshal([]byte(aws.ToString(describe(t, name).Output)), &s); err != nil {
		t.Fatalf("decode the output of %s: %v", name, err)
	}
	if s.Alarms == nil || s.Plan == nil {
		t.Fatalf("execution %s ended without reading alarms or planning: %+v", name, s)
	}
	return s
}

// reading is what the execution's read step found of an alarm.
func reading(t *testing.T, s finalState, alarm string) scaling.AlarmReading {
	t.Helper()
	for _, r := range s.Alarms.Alarms {
		if r.Name == alarm {
			return r
		}
	}
	t.Fatalf("the execution read no alarm %s: %+v", alarm, s.Alarms.Alarms)
	return scaling.AlarmReading{}
}

// hasReason reports whether the decision was held back with code, in a message holding
// text.
func hasReason(d *scaling.Decision, code, text string) bool {
	return slices.ContainsFunc(d.NotScaledReasons, func(r scaling.NotScaledReason) bool {
		return r.Code == code && strings.Contains(r.Message, text)
	})
}
