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
	"github.com/stepscaler/stepscaler/internal/service"
	"github.com/stepscaler/stepscaler/internal/stability"
	"github.com/stepscaler/stepscaler/internal/workflow"
)

// PolicyAlarm is one alarm of the service and the policy it applies when it fires.
type PolicyAlarm struct {
	Policy scaling.Policy `json:"policy"`
	Alarm  AlarmSpec      `json:"alarm"`
}

// Stepscaler replays Stepscaler's Scale state machine (statemachine/scale.asl.json): per
// notification of a transition into ALARM, take the service's lease or record
// ScalingInProgress; plan with workflow.Decide, the plan step's own code; update
// desiredCount; poll stability.Judge at the policy's poll interval until the service is
// stable or the stabilization timeout passes; record the cooldown; and, while
// workflow.Continuation says so and the alarm is still in ALARM, wait and take the next
// step. A dry-run policy decides and never applies. The workflow's few seconds of Lambda
// and Step Functions latency are not modelled, and no execution fails or loses its lease.
type Stepscaler struct {
	Label    string // the result's name; "stepscaler" when empty
	Policies []PolicyAlarm
}

// NewStepscaler pairs one service's policies with their alarms, found by the policies'
// AlarmName. Fields the configuration never leaves zero (poll interval, stabilization
// timeout, maxSteps, maxDurationSeconds) get the configuration's defaults when zero, and a
// policy's OutAlarms, when nil, names the other scale-out policies' alarms, as the
// configuration resolves them.
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
		p.MaxSteps = orDefault(p.MaxSteps, config.DefaultMaxSteps)
		p.MaxDurationSeconds = orDefault(p.MaxDurationSeconds, config.DefaultMaxDurationSeconds)
		p.StepAdjustments = slices.Clone(p.StepAdjustments)
		if p.OutAlarms == nil {
			for _, q := range policies {
				if q.Direction == scaling.Out && q.AlarmName != p.AlarmName {
					p.OutAlarms = append(p.OutAlarms, q.AlarmName)
				}
			}
		} else {
			p.OutAlarms = slices.Clone(p.OutAlarms)
		}
		st.Policies = append(st.Policies, PolicyAlarm{Policy: p, Alarm: spec})
	}
	if err := errors.Join(problems...); err != nil {
		return nil, fmt.Errorf("stepscaler: %w", err)
	}
	return st, nil
}

// StepscalerFromConfig builds the Stepscaler of one configured service, named
// "cluster/service" or, when unambiguous, "service". Each alarm's definition comes from
// alarms when given there, else from its metric block; an alarm with neither is an error.
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
	return st, nil
}

// Name labels the results.
func (st *Stepscaler) Name() string { return orLabel(st.Label, "stepscaler") }

// Bounds are the policies' minCapacity and maxCapacity (the service's), for a Setup.
func (st *Stepscaler) Bounds() (minCapacity, maxCapacity int) {
	if len(st.Policies) == 0 {
		return 0, 0
	}
	p := st.Policies[0].Policy
	return p.MinCapacity, p.MaxCapacity
}

// Start adds the alarms. Every autoscaler is compared within the same bounds, so the
// setup's Min and Max replace the policies' minCapacity and maxCapacity.
func (st *Stepscaler) Start(s *Sim) (Controller, error) {
	if len(st.Policies) == 0 {
		return nil, errors.New("no policies")
	}
	r := &stepscalerRun{}
	for _, pa := range st.Policies {
		a, err := s.AddAlarm(pa.Alarm)
		if err != nil {
			return nil, err
		}
		p := pa.Policy
		p.MinCapacity, p.MaxCapacity = s.Setup().Min, s.Setup().Max
		r.policies = append(r.policies, p)
		r.alarms = append(r.alarms, a)
	}
	return r, nil
}

// stepscalerRun is one service's workflow: its state item in DynamoDB and the execution
// holding its lease, if any.
type stepscalerRun struct {
	policies []scaling.Policy
	alarms   []*Alarm
	state    activity.State
	exec     *execution
}

// execution is one Scale state machine execution, between its states.
type execution struct {
	policy  int
	step    int // evaluations so far
	scaled  int // of which scaled the service: what maxSteps bounds
	started time.Time
	// lease is the lease as acquired, with the state item read then: the state machine
	// passes this same lease to every step's plan ("Next step" in the ASL).
	lease   activity.Lease
	due     time.Time // when the next state runs
	waiting bool      // in the stability loop
	between bool      // waiting between steps, the lease given back
	plan    scaling.Decision
	update  workflow.UpdateResult
}

func (r *stepscalerRun) Step(s *Sim) {
	r.advance(s)
	for i, a := range r.alarms {
		if !a.EnteredAlarm() {
			continue
		}
		// The starter starts an execution per notification; one that finds the lease held
		// is recorded as not scaled, and the transition is not seen again. An execution
		// waiting between steps has given the lease back: the new one takes it, and the
		// waiting one, finding it taken at its next step, ends.
		if r.exec != nil && !r.exec.between {
			s.Note("not scaled: " + scaling.ScalingInProgress)
			continue
		}
		s.Note("executions")
		r.exec = &execution{policy: i, started: s.Now(), due: s.Now(),
			lease: activity.Lease{Acquired: true, Owner: a.Spec().Name, State: r.state}}
	}
	r.advance(s)
}

// advance runs the execution's states that are due.
func (r *stepscalerRun) advance(s *Sim) {
	for r.exec != nil && !r.exec.due.After(s.Now()) {
		if r.exec.waiting {
			r.checkStability(s)
		} else {
			r.planStep(s)
		}
	}
}

// planStep is "Read alarm states" → "Describe ECS service" → "Plan scaling" → "Update
// desired count".
func (r *stepscalerRun) planStep(s *Sim) {
	e, now := r.exec, s.Now()
	p, a := r.policies[e.policy], r.alarms[e.policy]
	// Every step takes the lease again ("Next step" → "Acquire scaling lease"), reading
	// the state item as it is now.
	e.between = false
	e.lease.State = r.state
	// The first step acts on the notification; later ones only while CloudWatch still
	// reports ALARM.
	if e.step > 0 && a.State() != StateAlarm {
		r.exec = nil
		return
	}
	var metric *scaling.MetricValue
	if v, ok := a.Breach(); ok {
		metric = &scaling.MetricValue{Value: v, Threshold: a.Spec().Threshold}
	}
	// "Read alarm states" lists the policy's outAlarms that are in ALARM; alarms the
	// backtest does not simulate never are.
	var outInAlarm []string
	for _, name := range p.OutAlarms {
		for _, other := range r.alarms {
			if other.Spec().Name == name && other.State() == StateAlarm && !slices.Contains(outInAlarm, name) {
				outInAlarm = append(outInAlarm, name)
			}
		}
	}
	d := workflow.Decide(workflow.PlanRequest{
		Policy:  p,
		Service: r.snapshot(s),
		Lease:   e.lease,
		AlarmState: workflow.AlarmState{AlarmName: p.AlarmName, State: string(a.State()), InAlarm: true,
			Metric: metric, OutAlarmsInAlarm: outInAlarm},
		Execution: workflow.Execution{StartTime: e.started},
	}, now)
	switch {
	case !d.Scale:
		code := "unknown"
		if len(d.NotScaledReasons) > 0 {
			code = d.NotScaledReasons[0].Code
		}
		s.Note("not scaled: " + code)
		// As "Record outcome" does: a reason that may pass (cooldown, breach below the
		// steps) keeps the execution watching the alarm; a bound ends it.
		cont, wait := workflow.KeepWatching(p, d, e.started, now)
		if !cont {
			r.exec = nil
			return
		}
		e.step++
		e.between = true
		e.due = now.Add(time.Duration(wait) * time.Second)
		return
	case d.DryRun:
		s.Note("dry run: would scale")
		r.exec = nil
		return
	}
	s.SetDesired(d.To)
	s.Note("steps")
	e.plan = d
	e.update = workflow.UpdateResult{DesiredCount: d.To, UpdatedAt: now,
		Deadline: now.Add(time.Duration(p.StabilizationTimeoutSeconds) * time.Second)}
	e.waiting, e.due = true, now.Add(r.poll(p))
}

// checkStability is "Check stability", then "Record outcome" once the verdict is final.
func (r *stepscalerRun) checkStability(s *Sim) {
	e, now := r.exec, s.Now()
	p := r.policies[e.policy]
	v := stability.Judge(r.snapshot(s), stability.Expectation{DesiredCount: e.update.DesiredCount,
		Since: e.update.UpdatedAt, Deadline: e.update.Deadline}, now)
	if v.Status == stability.InProgress {
		e.due = now.Add(r.poll(p))
		return
	}
	markScaled(&r.state, p.Direction, e.update.UpdatedAt, e.plan.Base)
	if v.Status != stability.Stable {
		s.Note("unfulfilled: " + string(v.Status))
		r.exec = nil
		return
	}
	updated := e.update.UpdatedAt
	cont, wait := workflow.Continuation(p, e.scaled, e.plan.To, &updated, e.started, now)
	if !cont {
		r.exec = nil
		return
	}
	e.step++
	e.scaled++
	e.between = true
	e.waiting, e.due = false, now.Add(time.Duration(wait)*time.Second)
}

func (r *stepscalerRun) poll(p scaling.Policy) time.Duration {
	return time.Duration(max(p.PollIntervalSeconds, 1)) * time.Second
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
