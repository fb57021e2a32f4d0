package simulate

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/stepscaler/stepscaler/internal/activity"
	"github.com/stepscaler/stepscaler/internal/config"
	"github.com/stepscaler/stepscaler/internal/scaling"
	"github.com/stepscaler/stepscaler/internal/schedule"
	"github.com/stepscaler/stepscaler/internal/service"
	"github.com/stepscaler/stepscaler/internal/stability"
	"github.com/stepscaler/stepscaler/internal/workflow"
)

// PolicyAlarm is one alarm of the service and the policy it applies when it fires.
type PolicyAlarm struct {
	Policy scaling.Policy `json:"policy"`
	Alarm  AlarmSpec      `json:"alarm"`
}

// Stepscaler replays Stepscaler as deployed: the two triggers and the Scale state machine
// (statemachine/scale.asl.json). Every minute the evaluation (and, at once, an alarm's
// transition into ALARM) starts an execution for the service if one of its alarms is in
// ALARM or one of its scheduled actions fired in the minute or the four before it
// (evaluate.ServicesScheduled): at most one per minute, and one that finds another
// execution holding the lease ends at once. An execution reads every alarm's state and
// the value of its metric over its evaluation periods (with its trend, scaling.Slope),
// plans as the plan step does (workflow.Decide, whose scaling.Decide it calls with the
// state item's history, within the bounds the schedule has in force), updates
// desiredCount, polls stability.Check at the deciding policy's poll interval until its
// verdict, and records the cooldown and the decision's recommendation. A dry-run policy
// decides and never applies. The workflow's few seconds of Lambda and Step Functions
// latency are not modelled, and no execution fails.
//
// The notes count the executions ("executions"), the state transitions they make
// ("state transitions", what a Standard workflow is billed for) and the Lambda
// invocations ("lambda invocations"), by the paths through the state machine.
type Stepscaler struct {
	Label    string // the result's name; "stepscaler" when empty
	Policies []PolicyAlarm
	// Cadence is a what-if, not the deployed behaviour: how often the evaluation runs and
	// how long one execution name lasts. 0 is the deployed minute (the EventBridge
	// schedule's finest rate, and the name's minute). The backtest's sensitivity uses it
	// to show what the per-minute cadence costs against the HPA's 15 s.
	Cadence time.Duration
	// Schedule is the service's scheduled actions (config.ServiceTarget.Schedule), applied
	// as deployed: each firing sets the minimum, the maximum or both from then on, over
	// the setup's Min and Max, which stand for the service's configured bounds; the
	// evaluation starts an execution in the minute an action fires and the four after,
	// and workflow.Decide moves the desired count into the bounds in force. No bound is
	// clamped into the setup's: a run in which the schedule's bounds lead Stepscaler to a
	// desired count outside [Min, Max], where the deployed workflow would go, fails.
	// Only Stepscaler applies it; the other autoscalers, the presets included, keep the
	// setup's bounds.
	Schedule schedule.Schedule
}

// NewStepscaler pairs one service's policies with their alarms, found by the policies'
// AlarmName. Fields the configuration never leaves zero (poll interval, stabilization
// timeout) get the configuration's defaults when zero.
func NewStepscaler(policies []scaling.Policy, alarms map[string]AlarmSpec) (*Stepscaler, error) {
	if len(policies) == 0 {
		return nil, errors.New("stepscaler: no policies")
	}
	st := &Stepscaler{}
	var problems []error
	seen := map[string]bool{}
	for _, p := range policies {
		// One alarm drives one policy, as in the configuration.
		if seen[p.AlarmName] {
			problems = append(problems, fmt.Errorf("alarm %s: drives more than one policy", p.AlarmName))
			continue
		}
		seen[p.AlarmName] = true
		spec, ok := alarms[p.AlarmName]
		if !ok {
			problems = append(problems, fmt.Errorf("alarm %s: no alarm definition; give its threshold, comparison and periods", p.AlarmName))
			continue
		}
		if !p.Direction.Valid() {
			problems = append(problems, fmt.Errorf("alarm %s: direction must be out or in, got %q", p.AlarmName, p.Direction))
		}
		spec.Name = p.AlarmName
		p.PollIntervalSeconds = orDefault(p.PollIntervalSeconds, config.DefaultPollIntervalSeconds)
		p.StabilizationTimeoutSeconds = orDefault(p.StabilizationTimeoutSeconds, config.DefaultStabilizationTimeoutSeconds)
		p.StepAdjustments = slices.Clone(p.StepAdjustments)
		st.Policies = append(st.Policies, PolicyAlarm{Policy: p, Alarm: spec})
	}
	if err := errors.Join(problems...); err != nil {
		return nil, fmt.Errorf("stepscaler: %w", err)
	}
	return st, nil
}

// StepscalerFromConfig builds the Stepscaler of one configured service, named
// "cluster/service" or, when unambiguous, "service", with its scheduled actions. Each
// alarm's definition comes from alarms when given there, else from its metric block; an
// alarm with neither is an error.
// cfg must come from config.Load or config.Parse, which resolve the policies.
func StepscalerFromConfig(cfg *config.Config, name string, alarms map[string]AlarmSpec) (*Stepscaler, error) {
	var svc *config.Service
	var names []string
	for i := range cfg.Services {
		s := &cfg.Services[i]
		ref := s.Cluster + "/" + s.Service
		names = append(names, ref)
		if name == ref || (!strings.Contains(name, "/") && name == s.Service) {
			if svc != nil {
				return nil, fmt.Errorf("stepscaler: service %q is ambiguous; name it cluster/service", name)
			}
			svc = s
		}
	}
	if svc == nil {
		return nil, fmt.Errorf("stepscaler: no service %q in the configuration (have %s)", name, strings.Join(names, ", "))
	}
	var policies []scaling.Policy
	specs := map[string]AlarmSpec{}
	for _, a := range svc.Alarms {
		t, ok := cfg.Lookup(a.AlarmName)
		if !ok {
			return nil, fmt.Errorf("stepscaler: alarm %s is not indexed; load the configuration with config.Load or config.Parse", a.AlarmName)
		}
		policies = append(policies, t.Policy)
		switch spec, given := alarms[a.AlarmName]; {
		case given:
			specs[a.AlarmName] = spec
		case a.Metric != nil:
			specs[a.AlarmName] = AlarmSpecFromMetric(a.AlarmName, *a.Metric)
		}
	}
	st, err := NewStepscaler(policies, specs)
	if err != nil {
		return nil, err
	}
	st.Label = "stepscaler " + svc.Cluster + "/" + svc.Service
	if t, ok := cfg.Service(scaling.ServiceRef{Cluster: svc.Cluster, Service: svc.Service}); ok {
		st.Schedule = t.Schedule
	}
	return st, nil
}

// Name labels the results.
func (st *Stepscaler) Name() string { return orLabel(st.Label, "stepscaler") }

// Target is what the scale-out policies aim at, for the measures: a TargetRatio
// policy's target value, or the scale-out alarm's threshold; the lowest of them.
func (st *Stepscaler) Target(Setup) float64 { return policiesTarget(st.Policies) }

// policiesTarget is the lowest target value or scale-out alarm threshold of policies; 0
// without a scale-out policy.
func policiesTarget(policies []PolicyAlarm) float64 {
	target := 0.0
	for _, pa := range policies {
		if pa.Policy.Direction != scaling.Out {
			continue
		}
		v := pa.Alarm.Threshold
		if pa.Policy.AdjustmentType == scaling.TargetRatio {
			v = pa.Policy.TargetValue
		}
		if v > 0 && (target == 0 || v < target) {
			target = v
		}
	}
	return target
}

// Bounds are the policies' minCapacity and maxCapacity (the service's), for a Setup.
func (st *Stepscaler) Bounds() (minCapacity, maxCapacity int) {
	if len(st.Policies) == 0 {
		return 0, 0
	}
	p := st.Policies[0].Policy
	return p.MinCapacity, p.MaxCapacity
}

// Start adds the alarms. Every autoscaler is compared within the same bounds, so the
// setup's Min and Max replace the policies' minCapacity and maxCapacity, and are the
// bounds the schedule's actions then change.
func (st *Stepscaler) Start(s *Sim) (Controller, error) {
	if len(st.Policies) == 0 {
		return nil, errors.New("no policies")
	}
	r := &stepscalerRun{alarms: map[string]*Alarm{}, cadence: st.Cadence}
	r.target.Bounds = schedule.Bounds{Min: s.Setup().Min, Max: s.Setup().Max}
	r.target.Schedule = st.Schedule.Clone()
	if r.cadence == 0 {
		r.cadence = time.Minute
	}
	if tick := s.TickLength(); r.cadence < tick || r.cadence%tick != 0 || time.Minute%r.cadence != 0 {
		return nil, fmt.Errorf("cadence %s must be whole ticks of %s and divide a minute", r.cadence, tick)
	}
	for _, pa := range st.Policies {
		a, err := s.AddAlarm(pa.Alarm)
		if err != nil {
			return nil, err
		}
		p := pa.Policy
		p.MinCapacity, p.MaxCapacity = s.Setup().Min, s.Setup().Max
		r.target.Policies = append(r.target.Policies, p)
		r.alarms[p.AlarmName] = a
		r.window = max(r.window, time.Duration(p.ScaleInStabilizationWindowSeconds)*time.Second)
	}
	return r, nil
}

// stepscalerRun is one service: its state item in DynamoDB, the execution holding its
// lease, if any, and the minute of the newest execution (names are per service and minute).
type stepscalerRun struct {
	target     config.ServiceTarget
	alarms     map[string]*Alarm
	state      activity.State
	recs       []scaling.Recommendation // the state item's recommendations
	window     time.Duration            // the longest scale-in stabilization window
	exec       *execution
	lastMinute time.Time
	cadence    time.Duration
	evaluated  bool // the run's first evaluation has come
}

// State transitions and Lambda invocations of one execution of statemachine/scale.asl.json,
// by its path (TestExecutionPathsMatchTheStateMachine walks the ASL to check them). A
// scaling execution adds three transitions (wait, check, choice) and an invocation per
// stability check.
const (
	leaseHeldTransitions = 5  // acquire, choice, record, choice, end
	notScaledTransitions = 9  // acquire, choice, read, describe, plan, choice, record, choice, end
	scalingTransitions   = 10 // as not scaled, plus the update
	leaseHeldInvocations = 2
	notScaledInvocations = 5
	scalingInvocations   = 6
	transitionsPerCheck  = 3
	invocationsPerCheck  = 1
)

// execution is one Scale state machine execution in its stability loop.
type execution struct {
	plan  scaling.Decision
	watch stability.Watch
	due   time.Time // the next stability check
}

func (r *stepscalerRun) Step(s *Sim) {
	// The stability check due now runs before this minute's evaluation: both happen
	// within seconds of each other, and a step that just became stable frees the lease.
	if r.exec != nil && !r.exec.due.After(s.Now()) {
		r.checkStability(s)
	}
	if !r.triggered(s) {
		return
	}
	s.Note("executions")
	if r.exec != nil {
		// "Lease acquired?" → "Another scaling in progress": the execution ends.
		s.Note("not scaled: " + scaling.ScalingInProgress)
		r.bill(s, leaseHeldTransitions, leaseHeldInvocations)
		return
	}
	r.plan(s)
}

func (r *stepscalerRun) bill(s *Sim, transitions, invocations int) {
	s.NoteN("state transitions", transitions)
	s.NoteN("lambda invocations", invocations)
}

// triggered says whether an execution starts now: the alarms were evaluated this tick and
// one entered ALARM (the starter's notification) or, on the evaluation's minute, one is
// in ALARM or a scheduled action is due (the evaluation); at most once per service and
// minute, as the execution's name is derived from them. So a scale-out alarm that enters
// ALARM in a minute whose execution has already run (say, the evaluation's, for a
// scale-in alarm in ALARM at the minimum) waits for the next minute.
func (r *stepscalerRun) triggered(s *Sim) bool {
	minute := s.Now().Truncate(r.cadence)
	if minute.Equal(r.lastMinute) {
		return false
	}
	notified, inAlarm := false, false
	for _, a := range r.alarms {
		notified = notified || a.EnteredAlarm()
		inAlarm = inAlarm || (a.Evaluated() && a.State() == StateAlarm)
	}
	evaluation := s.Now().Equal(minute)
	due := evaluation && r.scheduleDue(s)
	if !notified && !(evaluation && inAlarm) && !due {
		return false
	}
	r.lastMinute = minute
	return true
}

// scheduleDue says whether the evaluation now starts an execution for the schedule: an
// action fired within the catch-up, or, at the run's first evaluation, the desired count
// lies outside the bounds an action that fired before the trace has in force. The deployed
// service would be within them already: the trace begins in the middle of its history,
// and the firing had its execution then.
func (r *stepscalerRun) scheduleDue(s *Sim) bool {
	first := !r.evaluated
	r.evaluated = true
	if len(r.target.Schedule) == 0 {
		return false
	}
	if r.target.Schedule.DueWithin(s.Now()) {
		return true
	}
	return first && r.target.BoundsAt(s.Now()).Bounds.Clamp(s.Desired()) != s.Desired()
}

// plan is "Read alarms and metrics" → "Describe ECS service" → "Plan scaling" → "Update
// desired count", or the record of a decision that changed nothing.
func (r *stepscalerRun) plan(s *Sim) {
	now := s.Now()
	readings := make([]scaling.AlarmReading, 0, len(r.target.Policies))
	for _, p := range r.target.Policies {
		a := r.alarms[p.AlarmName]
		since := a.Since()
		reading := scaling.AlarmReading{Name: p.AlarmName, State: string(a.State()), StateSince: &since}
		if v, ok := a.Breach(p.MetricAggregationType); ok && a.State() == StateAlarm {
			reading.Metric = &scaling.MetricValue{Value: v, Threshold: a.Spec().Threshold}
			if slope, ok := a.Trend(); ok {
				reading.Metric.SlopePerSecond = slope
			}

		}
		readings = append(readings, reading)
	}
	before := r.snapshot(s)
	// The record step keeps the recommendations in the state item, where the plan reads them.
	state := r.state
	state.Recommendations = r.recs
	d := workflow.Decide(r.target, workflow.PlanRequest{
		Before: before,
		Lease:  activity.Lease{Acquired: true, State: state},
		Alarms: workflow.Alarms{ReadAt: now, Alarms: readings},
	}, now)
	if rec := d.Recommendation; rec != nil && r.window > 0 {
		r.recs = scaling.KeepRecommendations(r.recs, *rec, r.window)
	}
	switch {
	case !d.Scale:
		code := "unknown"
		if len(d.NotScaledReasons) > 0 {
			code = d.NotScaledReasons[0].Code
		}
		s.Note("not scaled: " + code)
		r.bill(s, notScaledTransitions, notScaledInvocations)
		return
	case d.DryRun:
		s.Note("dry run: would scale")
		r.bill(s, notScaledTransitions, notScaledInvocations)
		return
	}
	if setup := s.Setup(); d.To < setup.Min || d.To > setup.Max {
		// Only the schedule's bounds reach past the setup's. Clamping the count would
		// replay a service the deployed workflow does not run.
		s.err = fmt.Errorf("at %s the scheduled actions have the bounds %s in force, and Stepscaler sets desired count %d (%s), outside the setup's [%d, %d] that every autoscaler shares: widen the setup's Min and Max to cover the schedule's bounds",
			now.Format(time.RFC3339), r.target.BoundsAt(now).Bounds, d.To, d.Reason, setup.Min, setup.Max)
		return
	}
	timeout, pollSeconds, _ := r.target.Watch(d.AlarmName)
	s.SetDesired(d.To)
	s.Note("steps")
	w := stability.NewWatch(before, d.To, now, now.Add(time.Duration(timeout)*time.Second), pollSeconds)
	r.exec = &execution{plan: d, watch: w, due: now.Add(poll(w))}
}

// checkStability is "Check stability", then "Record outcome" once the verdict is final.
func (r *stepscalerRun) checkStability(s *Sim) {
	e, now := r.exec, s.Now()
	e.watch = stability.Check(r.snapshot(s), e.watch, now)
	r.bill(s, transitionsPerCheck, invocationsPerCheck)
	if e.watch.Status == stability.InProgress {
		e.due = now.Add(poll(e.watch))
		return
	}
	r.bill(s, scalingTransitions, scalingInvocations)
	markScaled(&r.state, e.plan.Direction, e.watch.Since, e.plan.Base)
	if e.watch.Status != stability.Stable {
		s.Note("unfulfilled: " + string(e.watch.Status))
	}
	r.exec = nil
}

func poll(w stability.Watch) time.Duration {
	return time.Duration(max(w.PollSeconds, 1)) * time.Second
}

// snapshot is what DescribeServices would report: an active service whose one deployment
// has completed (changing desiredCount starts no deployment).
func (r *stepscalerRun) snapshot(s *Sim) service.Snapshot {
	return service.Snapshot{
		Status:       service.StatusActive,
		DesiredCount: s.Desired(),
		RunningCount: s.Running(),
		PendingCount: s.Pending(),
		Deployments: []service.Deployment{{ID: "primary", Status: service.DeploymentPrimary, RolloutState: service.RolloutCompleted,
			DesiredCount: s.Desired(), RunningCount: s.Running(), PendingCount: s.Pending()}},
		ObservedAt: s.Now(),
	}
}

// markScaled is what activity.Store.MarkScaled writes to the state item: the cooldown's
// start and, for a scale-out, the capacity it was counted from.
func markScaled(st *activity.State, dir scaling.Direction, at time.Time, from int) {
	if dir == scaling.Out {
		st.LastScaleOutAt, st.LastScaleOutFrom = &at, &from
		return
	}
	st.LastScaleInAt = &at
}

func orDefault(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

func orLabel(label, def string) string {
	if label == "" {
		return def
	}
	return label
}
