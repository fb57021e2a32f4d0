package aas

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/stepscaler/stepscaler/internal/config"
	"github.com/stepscaler/stepscaler/internal/scaling"
)

// Input is the four CLI outputs, read.
type Input struct {
	Targets  Document[ScalableTarget]
	Policies Document[ScalingPolicy]
	Actions  Document[ScheduledAction]
	Alarms   Alarms
	// AlarmsPaged says describe-alarms printed a NextToken: the file holds one page.
	AlarmsPaged bool
}

// Options tune the import.
type Options struct {
	// DryRun writes every service with dryRun: true, so that deploying the configuration
	// decides and records beside AAS without acting (see docs/migrate.md).
	DryRun bool
}

// Kind says what became of an item.
type Kind string

const (
	// Imported: the item is in the configuration and decides as AAS did.
	Imported Kind = "imported"
	// Changed: the item is in the configuration, written differently from AAS's (a
	// schedule in its documented form, a default made explicit, a field dropped).
	Changed Kind = "changed"
	// Differs: the item is in the configuration, and Stepscaler's behaviour differs from
	// AAS's in the way the message says.
	Differs Kind = "differs"
	// NotImported: the item is not in the configuration, for the reason the message gives.
	NotImported Kind = "not imported"
)

// Finding is what the import did with one item.
type Finding struct {
	// Resource is the scalable target's resource ID (service/cluster/name), or the file
	// for what concerns a whole file.
	Resource string `json:"resource"`
	// Item names the item: `policy "cpu75"`, `scheduled action "night"`, `scalable target`.
	Item    string `json:"item"`
	Kind    Kind   `json:"kind"`
	Message string `json:"message"`
}

// Result is an import's outcome.
type Result struct {
	// Config is the configuration, indented JSON that passed config.Parse; nil when
	// nothing could be imported.
	Config []byte
	// Findings say what became of every item, in the order the inputs list them.
	Findings []Finding
	// ExistingAlarms are the alarms the configuration names without creating them: they
	// drive step policies today, and must add Stepscaler's topic to their actions.
	ExistingAlarms []string
	// Services, Alarms and ScheduledActions count what the configuration holds.
	Services, Alarms, ScheduledActions int
}

// NotImported counts the items that are not in the configuration.
func (r Result) NotImported() int {
	n := 0
	for _, f := range r.Findings {
		if f.Kind == NotImported {
			n++
		}
	}
	return n
}

// ErrNothingImported is returned when no service could be imported.
var ErrNothingImported = errors.New("nothing could be imported")

// ECS's scalable target, as AAS names it.
const (
	ecsNamespace = "ecs"
	ecsDimension = "ecs:service:DesiredCount"
)

// defaultCooldown is AAS's default for Cooldown, and for ScaleOutCooldown and
// ScaleInCooldown of ECS services (StepScalingPolicyConfiguration and
// TargetTrackingScalingPolicyConfiguration, AAS API Reference).
const defaultCooldown = 300

var ecsResource = regexp.MustCompile(`^service/([A-Za-z0-9_-]{1,255})/([A-Za-z0-9_-]{1,255})$`)

// Import maps the AAS setup onto a Stepscaler configuration.
func Import(in Input, o Options) (Result, error) {
	m := &mapper{
		metric:    map[string]*MetricAlarm{},
		composite: map[string]bool{},
		used:      map[string]string{},
	}
	for i := range in.Alarms.MetricAlarms {
		m.metric[in.Alarms.MetricAlarms[i].AlarmName] = &in.Alarms.MetricAlarms[i]
	}
	for _, c := range in.Alarms.CompositeAlarms {
		m.composite[c.AlarmName] = true
	}
	m.pages(in)
	if o.DryRun {
		m.add("every service", "dryRun", Changed, "true: Stepscaler decides and records beside AAS without acting, until you switch each service over (docs/migrate.md)")
	}
	m.targets(in.Targets.Items, o)
	m.policies(in.Policies.Items)
	m.scheduled(in.Actions.Items)
	for _, d := range m.drafts {
		m.targetTrackingScaleIn(d)
	}
	r, err := m.result()
	r.Findings = m.byResource(r.Findings)
	return r, err
}

// byResource orders the findings by service, in the order describe-scalable-targets lists
// them, after those about the files; within a service they keep the order they were made.
func (m *mapper) byResource(fs []Finding) []Finding {
	rank := func(resource string) int {
		for i, d := range m.drafts {
			if d.resource == resource {
				return i + 1
			}
		}
		if strings.HasPrefix(resource, "service/") {
			return len(m.drafts) + 1
		}
		return 0 // files, and the whole configuration
	}
	sorted := slices.Clone(fs)
	slices.SortStableFunc(sorted, func(a, b Finding) int { return rank(a.Resource) - rank(b.Resource) })
	return sorted
}

// mapper holds an import under way.
type mapper struct {
	metric    map[string]*MetricAlarm
	composite map[string]bool
	// used maps each alarm name the configuration takes to what took it, for one alarm
	// drives one policy of one service.
	used     map[string]string
	drafts   []*serviceDraft
	findings []Finding
}

// serviceDraft is a service on its way into the configuration, with where each entry
// came from.
type serviceDraft struct {
	resource  string
	service   config.Service
	alarms    []entry[config.Alarm]
	actions   []entry[config.ScheduledAction]
	suspended SuspendedState
	// trackingScaleIn names the target tracking policies whose scale-in is on.
	trackingScaleIn []string
	dropped         bool
}

// entry is a configuration entry and the AAS item it comes from.
type entry[T any] struct {
	value T
	item  string
	alarm string // for alarms taken from an existing alarm: its name
	// finding is the index of the finding that reports the entry imported, to correct
	// should the entry be left out after all.
	finding int
}

// add records a finding and returns its index.
func (m *mapper) add(resource, item string, kind Kind, format string, args ...any) int {
	m.findings = append(m.findings, Finding{Resource: resource, Item: item, Kind: kind, Message: fmt.Sprintf(format, args...)})
	return len(m.findings) - 1
}

func (m *mapper) pages(in Input) {
	const why = "the CLI printed one page of several (NextToken): run it without --max-items or --no-paginate, and import again"
	for _, p := range []struct {
		file  string
		paged bool
	}{{"describe-scalable-targets", in.Targets.NextToken}, {"describe-scaling-policies", in.Policies.NextToken},
		{"describe-scheduled-actions", in.Actions.NextToken}, {"describe-alarms", in.AlarmsPaged}} {
		if p.paged {
			m.add(p.file, "file", NotImported, "%s; what the other pages hold is not imported", why)
		}
	}
}

func (m *mapper) targets(targets []ScalableTarget, o Options) {
	for _, t := range targets {
		const item = "scalable target"
		if t.ServiceNamespace != ecsNamespace || t.ScalableDimension != ecsDimension {
			m.add(t.ResourceID, item, NotImported, "namespace %s, dimension %s: Stepscaler scales ECS services' desired count (%s) only",
				t.ServiceNamespace, t.ScalableDimension, ecsDimension)
			continue
		}
		match := ecsResource.FindStringSubmatch(t.ResourceID)
		switch {
		case match == nil:
			m.add(t.ResourceID, item, NotImported, "the resource ID is not service/<cluster>/<service> with ECS's names")
			continue
		case t.MinCapacity == nil || t.MaxCapacity == nil:
			m.add(t.ResourceID, item, NotImported, "MinCapacity or MaxCapacity is missing")
			continue
		case m.draft(t.ResourceID) != nil:
			m.add(t.ResourceID, item, NotImported, "listed twice in describe-scalable-targets; the first is imported")
			continue
		}
		d := &serviceDraft{resource: t.ResourceID, service: config.Service{
			Cluster: match[1], Service: match[2], MinCapacity: *t.MinCapacity, MaxCapacity: *t.MaxCapacity,
			DryRun: o.DryRun, Alarms: []config.Alarm{},
		}}
		m.add(t.ResourceID, item, Imported, "service %s/%s with minCapacity %d and maxCapacity %d", match[1], match[2], *t.MinCapacity, *t.MaxCapacity)
		if s := t.SuspendedState; s != nil {
			d.suspended = *s
			run := func(direction string) string {
				return fmt.Sprintf("stepscaler suspend --direction %s %s/%s", direction, match[1], match[2])
			}
			// Suspensions are state the workflow keeps, not configuration.
			switch {
			case s.DynamicScalingOutSuspended && s.DynamicScalingInSuspended:
				m.add(t.ResourceID, item, NotImported, "dynamic scaling is suspended both ways: a suspension is run-time state in Stepscaler; after deploying, run `%s`", run("both"))
			case s.DynamicScalingOutSuspended:
				m.add(t.ResourceID, item, NotImported, "dynamic scale-out is suspended: a suspension is run-time state in Stepscaler; after deploying, run `%s`", run("out"))
			case s.DynamicScalingInSuspended:
				m.add(t.ResourceID, item, NotImported, "dynamic scale-in is suspended: a suspension is run-time state in Stepscaler; after deploying, run `%s`", run("in"))
			}
		}
		m.drafts = append(m.drafts, d)
	}
}

func (m *mapper) draft(resource string) *serviceDraft {
	for _, d := range m.drafts {
		if d.resource == resource {
			return d
		}
	}
	return nil
}

// owner is the draft of the service an AAS item belongs to, or nil, reported, when it
// has none.
func (m *mapper) owner(namespace, resource, dimension, item string) *serviceDraft {
	if namespace != ecsNamespace || dimension != ecsDimension {
		m.add(resource, item, NotImported, "namespace %s, dimension %s: Stepscaler scales ECS services' desired count (%s) only", namespace, dimension, ecsDimension)
		return nil
	}
	d := m.draft(resource)
	if d == nil {
		m.add(resource, item, NotImported, "its scalable target is not imported (not in describe-scalable-targets, or not importable)")
	}
	return d
}

func (m *mapper) policies(policies []ScalingPolicy) {
	for _, p := range policies {
		item := fmt.Sprintf("policy %q", p.PolicyName)
		d := m.owner(p.ServiceNamespace, p.ResourceID, p.ScalableDimension, item)
		if d == nil {
			continue
		}
		switch p.PolicyType {
		case "StepScaling":
			m.stepPolicy(d, p, item)
		case "TargetTrackingScaling":
			m.targetTracking(d, p, item)
		default:
			m.add(d.resource, item, NotImported, "policy type %s: Stepscaler maps step scaling and target tracking policies only", p.PolicyType)
		}
	}
}

// stepPolicy maps a step scaling policy to one alarm entry per alarm that invokes it.
func (m *mapper) stepPolicy(d *serviceDraft, p ScalingPolicy, item string) {
	c := p.StepScalingPolicyConfiguration
	if c == nil || len(c.StepAdjustments) == 0 {
		m.add(d.resource, item, NotImported, "a StepScaling policy without StepScalingPolicyConfiguration.StepAdjustments")
		return
	}
	t := scaling.AdjustmentType(c.AdjustmentType)
	if t != scaling.ChangeInCapacity && t != scaling.PercentChangeInCapacity && t != scaling.ExactCapacity {
		m.add(d.resource, item, NotImported, "AdjustmentType %q is none of ChangeInCapacity, PercentChangeInCapacity and ExactCapacity", c.AdjustmentType)
		return
	}
	if len(p.Alarms) == 0 {
		m.add(d.resource, item, NotImported, "no alarm invokes it, so AAS never runs it: Stepscaler runs a policy on an alarm")
		return
	}
	steps := make([]config.StepAdjustment, len(c.StepAdjustments))
	adds, removes := false, false
	for i, s := range c.StepAdjustments {
		if s.ScalingAdjustment == nil {
			m.add(d.resource, item, NotImported, "StepAdjustments[%d] has no ScalingAdjustment", i)
			return
		}
		steps[i] = config.StepAdjustment{MetricIntervalLowerBound: s.MetricIntervalLowerBound,
			MetricIntervalUpperBound: s.MetricIntervalUpperBound, ScalingAdjustment: s.ScalingAdjustment}
		adds = adds || *s.ScalingAdjustment > 0
		removes = removes || *s.ScalingAdjustment < 0
	}
	var signed scaling.Direction
	switch {
	case t == scaling.ExactCapacity:
	case adds && removes:
		m.add(d.resource, item, NotImported, "its steps both add and remove tasks, and a Stepscaler alarm scales one way: "+
			"split it into a scale-out policy (the positive steps) and a scale-in policy (the negative ones), each on its own alarm, and import again")
		return
	case adds:
		signed = scaling.Out
	case removes:
		signed = scaling.In
	default:
		m.add(d.resource, item, NotImported, "every step adjustment is 0: the policy never scales")
		return
	}
	cooldown := orDefault(c.Cooldown, defaultCooldown)
	minMagnitude := c.MinAdjustmentMagnitude
	if minMagnitude != nil && t != scaling.PercentChangeInCapacity {
		m.add(d.resource, item, Changed, "MinAdjustmentMagnitude %d dropped: it applies to PercentChangeInCapacity only, and AdjustmentType is %s", *minMagnitude, t)
		minMagnitude = nil
	}
	for _, a := range p.Alarms {
		direction := signed
		def := m.metric[a.AlarmName]
		switch {
		case m.composite[a.AlarmName]:
			m.add(d.resource, item, NotImported, "alarm %q is a composite alarm, which has no metric to choose a step from", a.AlarmName)
			continue
		case def != nil && def.ThresholdMetricID != "":
			m.add(d.resource, item, NotImported, "alarm %q compares with an anomaly detection band (ThresholdMetricId), not a threshold the steps can be relative to", a.AlarmName)
			continue
		case t == scaling.ExactCapacity && def == nil:
			m.add(d.resource, item, NotImported, "alarm %q is not in --alarms: an ExactCapacity policy sets a count either way, and only its alarm's comparison says which way it is meant to scale", a.AlarmName)
			continue
		case t == scaling.ExactCapacity:
			if direction = comparisonDirection(def.ComparisonOperator); direction == "" {
				m.add(d.resource, item, NotImported, "alarm %q's comparison %s says neither greater nor less", a.AlarmName, def.ComparisonOperator)
				continue
			}
		}
		if prev, taken := m.used[a.AlarmName]; taken {
			m.add(d.resource, item, NotImported, "alarm %q already drives %s; in Stepscaler one alarm drives one policy of one service", a.AlarmName, prev)
			continue
		}
		m.used[a.AlarmName] = fmt.Sprintf("%s of %s", item, d.resource)
		alarm := config.Alarm{
			AlarmName: a.AlarmName, Direction: direction, AdjustmentType: t,
			StepAdjustments: steps, MinAdjustmentMagnitude: minMagnitude, CooldownSeconds: &cooldown,
			MetricAggregationType: c.MetricAggregationType,
		}
		d.alarms = append(d.alarms, entry[config.Alarm]{value: alarm, item: item, alarm: a.AlarmName,
			finding: m.add(d.resource, item, Imported, "alarm %q, scale-%s, %s with %s, cooldown %ds", a.AlarmName, direction, t, count(len(steps), "step"), cooldown)})
		if t == scaling.ExactCapacity {
			m.add(d.resource, item, Differs, "AAS sets the exact capacity whichever way it lies; Stepscaler's alarm %q only scales %s (its comparison is %s): "+
				"a count the other way is left alone", a.AlarmName, direction, def.ComparisonOperator)
		}
		if direction == scaling.In {
			m.add(d.resource, item, Differs, "Stepscaler's scale-in waits out its cooldown after a scale-out too, and while a scale-out alarm of the service is in ALARM; "+
				"AAS's scale-in cooldown ends at a scale-out")
		}
	}
}

// comparisonDirection is the way an alarm that breaches with the comparison is meant to
// scale: up when the metric is high, down when it is low.
func comparisonDirection(op string) scaling.Direction {
	switch op {
	case "GreaterThanOrEqualToThreshold", "GreaterThanThreshold":
		return scaling.Out
	case "LessThanThreshold", "LessThanOrEqualToThreshold":
		return scaling.In
	}
	return ""
}

// targetTracking maps a target tracking policy to TargetRatio entries, on metric alarms
// copied from the ones AAS created for it: "Do not edit or delete the CloudWatch alarms
// that are configured for the target tracking scaling policy ... deleted automatically
// when no longer needed" (AAS User Guide), so the configuration cannot name them.
//
// A TargetRatio entry sizes the service to ceil(current × metric / target), the
// proportion AAS's target tracking adds and removes capacity by. Its alarm, AAS's own
// copied, says when: the tolerance is 0, so the ratio scales whenever the alarm fires.
func (m *mapper) targetTracking(d *serviceDraft, p ScalingPolicy, item string) {
	c := p.TargetTrackingScalingPolicyConfiguration
	if c == nil || c.TargetValue == nil || !(*c.TargetValue > 0) {
		m.add(d.resource, item, NotImported, "a TargetTrackingScaling policy without a positive TargetValue: a TargetRatio sizes for a positive target")
		return
	}
	var high, low *MetricAlarm
	var missing []string
	for _, a := range p.Alarms {
		def := m.metric[a.AlarmName]
		switch {
		case def == nil:
			missing = append(missing, a.AlarmName)
		case comparisonDirection(def.ComparisonOperator) == scaling.Out:
			high = def
		case comparisonDirection(def.ComparisonOperator) == scaling.In:
			low = def
		}
	}
	if high == nil {
		listed := "AAS lists none"
		if len(missing) > 0 {
			listed = strings.Join(missing, ", ")
		}
		m.add(d.resource, item, NotImported, "its scale-out alarm is not in --alarms (%s): the new alarms copy the metric, period and thresholds of the ones AAS created; "+
			"describe them (aws cloudwatch describe-alarms --alarm-names ...) and import again", listed)
		return
	}
	outCooldown := orDefault(c.ScaleOutCooldown, defaultCooldown)
	zero := 0.0
	ratio := func(direction scaling.Direction, def *MetricAlarm, cooldown *int) (config.Alarm, bool) {
		metric, changes, err := metricOf(def)
		if err != nil {
			m.add(d.resource, item, NotImported, "scale-%s: alarm %q: %v", direction, def.AlarmName, err)
			return config.Alarm{}, false
		}
		for _, ch := range changes {
			m.add(d.resource, item, Changed, "scale-%s alarm: %s", direction, ch)
		}
		name := fmt.Sprintf("stepscaler-%s-%s-%s-%s", d.service.Cluster, d.service.Service, p.PolicyName, direction)
		if prev, taken := m.used[name]; taken || m.metric[name] != nil || m.composite[name] {
			m.add(d.resource, item, NotImported, "scale-%s: the alarm name %q it would get is taken (%s)", direction, name, orString(prev, "an existing alarm"))
			return config.Alarm{}, false
		}
		m.used[name] = fmt.Sprintf("%s of %s", item, d.resource)
		target := *c.TargetValue
		return config.Alarm{AlarmName: name, Direction: direction, AdjustmentType: scaling.TargetRatio,
			TargetValue: &target, Tolerance: &zero, CooldownSeconds: cooldown, Metric: metric}, true
	}
	if out, ok := ratio(scaling.Out, high, &outCooldown); ok {
		d.alarms = append(d.alarms, entry[config.Alarm]{value: out, item: item,
			finding: m.add(d.resource, item, Imported, "scale-out: TargetRatio to %v on new alarm %q, a copy of %q (threshold %v, %d of %d periods of %ds), cooldown %ds",
				*c.TargetValue, out.AlarmName, high.AlarmName, *high.Threshold, orInt(high.DatapointsToAlarm, high.EvaluationPeriods), high.EvaluationPeriods, periodOf(high), outCooldown)})
	}
	if c.DisableScaleIn {
		m.add(d.resource, item, Imported, "DisableScaleIn: no scale-in entry, so this policy never removes tasks, as in AAS")
		return
	}
	if low == nil {
		m.add(d.resource, item, NotImported, "scale-in: its scale-in alarm is not in --alarms (missing: %s)", strings.Join(missing, ", "))
		return
	}
	inCooldown := orDefault(c.ScaleInCooldown, defaultCooldown)
	if in, ok := ratio(scaling.In, low, &inCooldown); ok {
		d.alarms = append(d.alarms, entry[config.Alarm]{value: in, item: item,
			finding: m.add(d.resource, item, Imported, "scale-in: TargetRatio to %v on new alarm %q, a copy of %q (threshold %v, %d of %d periods of %ds), cooldown %ds",
				*c.TargetValue, in.AlarmName, low.AlarmName, *low.Threshold, orInt(low.DatapointsToAlarm, low.EvaluationPeriods), low.EvaluationPeriods, periodOf(low), inCooldown)})
		d.trackingScaleIn = append(d.trackingScaleIn, p.PolicyName)
		m.add(d.resource, item, Differs, "AAS scales in \"more gradually\" by a rule it does not publish; Stepscaler's scale-in sizes to ceil(current × metric / %v) in one step, "+
			"and waits out its cooldown after a scale-out too", *c.TargetValue)
	}
}

// targetTrackingScaleIn reports what a proportional mapping cannot reproduce when a
// service has several target tracking policies that scale in: AAS "will scale in only if
// all of the target tracking policies (with the scale-in portion enabled) are ready to
// scale in" (AAS User Guide).
func (m *mapper) targetTrackingScaleIn(d *serviceDraft) {
	if len(d.trackingScaleIn) < 2 {
		return
	}
	m.add(d.resource, "policies "+quoteAll(d.trackingScaleIn), Differs, "AAS scales in only when every one of these target tracking policies is ready to; "+
		"Stepscaler's scale-in alarms act on their own (of those in ALARM, the one leaving the largest capacity wins). "+
		"To keep AAS's rule, give only one of them a scale-in entry, or scale in on a composite alarm of their AlarmLow copies")
}

func (m *mapper) scheduled(actions []ScheduledAction) {
	for _, a := range actions {
		item := fmt.Sprintf("scheduled action %q", a.ScheduledActionName)
		d := m.owner(a.ServiceNamespace, a.ResourceID, a.ScalableDimension, item)
		if d == nil {
			continue
		}
		if d.suspended.ScheduledScalingSuspended {
			m.add(d.resource, item, NotImported, "scheduled scaling is suspended on the target (ScheduledScalingSuspended), and a Stepscaler scheduled action always runs: add it back when it should")
			continue
		}
		if act, ok := m.action(d, a, item); ok {
			d.actions = append(d.actions, entry[config.ScheduledAction]{value: act, item: item,
				finding: m.add(d.resource, item, Imported, "%s%s, %s", act.Schedule, inZone(act.Timezone), describeTargetAction(act.ScalableTargetAction))})
		}
	}
}

// action maps one scheduled action, writing its schedule in the form AAS documents.
func (m *mapper) action(d *serviceDraft, a ScheduledAction, item string) (config.ScheduledAction, bool) {
	if a.ScalableTargetAction == nil || (a.ScalableTargetAction.MinCapacity == nil && a.ScalableTargetAction.MaxCapacity == nil) {
		m.add(d.resource, item, NotImported, "no ScalableTargetAction: it sets neither bound")
		return config.ScheduledAction{}, false
	}
	schedule, changes := documentedForm(a.Schedule)
	for _, c := range changes {
		m.add(d.resource, item, Changed, "%s", c)
	}
	act := config.ScheduledAction{
		ScheduledActionName: a.ScheduledActionName, Schedule: schedule, Timezone: a.Timezone,
		ScalableTargetAction: &config.ScalableTargetAction{MinCapacity: a.ScalableTargetAction.MinCapacity, MaxCapacity: a.ScalableTargetAction.MaxCapacity},
	}
	kind := strings.SplitN(schedule, "(", 2)[0]
	if kind == "rate" && act.Timezone != "" {
		m.add(d.resource, item, Changed, "Timezone %s dropped: it applies to at() and cron() schedules only", act.Timezone)
		act.Timezone = ""
	}
	if a.StartTime != nil {
		act.StartTime = a.StartTime.UTC().Format(time.RFC3339)
	}
	if a.EndTime != nil {
		act.EndTime = a.EndTime.UTC().Format(time.RFC3339)
	}
	switch {
	case kind == "at" && (act.StartTime != "" || act.EndTime != ""):
		m.add(d.resource, item, Changed, "StartTime and EndTime dropped: they bound a recurring schedule, and an at() schedule runs once")
		act.StartTime, act.EndTime = "", ""
	case kind == "rate" && act.StartTime == "" && a.CreationTime == nil:
		m.add(d.resource, item, NotImported, "a rate() schedule without StartTime or CreationTime: AAS counts its intervals from when it was created, which the output does not say")
		return config.ScheduledAction{}, false
	case kind == "rate" && act.StartTime == "":
		act.StartTime = a.CreationTime.UTC().Format(time.RFC3339)
		m.add(d.resource, item, Changed, "startTime %s, its CreationTime: AAS counts a rate from when the action was created, Stepscaler from startTime", act.StartTime)
	}
	return act, true
}

// documentedForm writes a schedule expression as AAS documents it, saying what it
// changed: two digits for each field of an at() time (AAS prints "at(2020-12-08T9:36:00)"
// in its own guide), capital names in a cron expression (Quartz, whose syntax cron's is,
// reads them in capitals), and the six fields of a cron expression, without the seconds
// field AAS also takes ("this approach doesn't guarantee that the scheduled action will
// run on the precise second", and Stepscaler counts by the minute).
func documentedForm(s string) (string, []string) {
	var changes []string
	if m := looseAt.FindStringSubmatch(s); m != nil {
		n := func(i int) int { v, _ := strconv.Atoi(m[i]); return v } // the pattern admits only digits
		form := fmt.Sprintf("at(%04d-%02d-%02dT%02d:%02d:%02d)", n(1), n(2), n(3), n(4), n(5), n(6))
		if form != s {
			changes = append(changes, fmt.Sprintf("schedule %s written %s, the form at(yyyy-mm-ddThh:mm:ss) AAS documents", s, form))
		}
		return form, changes
	}
	if body, ok := strings.CutPrefix(s, "cron("); ok && strings.HasSuffix(body, ")") {
		body = strings.ToUpper(strings.TrimSuffix(body, ")"))
		form := "cron(" + body + ")"
		if form != s {
			changes = append(changes, fmt.Sprintf("schedule %s written %s: names in capitals", s, form))
		}
		if fields := strings.Fields(body); len(fields) == 7 {
			seconds := form
			form = "cron(" + strings.Join(fields[1:], " ") + ")"
			changes = append(changes, fmt.Sprintf("schedule %s written %s: the seconds field %q dropped, as Stepscaler counts by the minute (and AAS does not guarantee the second)", seconds, form, fields[0]))
		}
		return form, changes
	}
	return s, nil
}

var looseAt = regexp.MustCompile(`^at\(([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})T([0-9]{1,2}):([0-9]{1,2}):([0-9]{1,2})\)$`)

// metricOf is the metric block that recreates an alarm, and what it could not copy.
func metricOf(a *MetricAlarm) (*config.Metric, []string, error) {
	if a.Threshold == nil || a.ThresholdMetricID != "" {
		return nil, nil, errors.New("it compares with an anomaly detection band, not a static threshold")
	}
	if comparisonDirection(a.ComparisonOperator) == "" {
		return nil, nil, fmt.Errorf("comparison %s is none of the four static ones", a.ComparisonOperator)
	}
	m := &config.Metric{Threshold: *a.Threshold, ComparisonOperator: a.ComparisonOperator,
		EvaluationPeriods: a.EvaluationPeriods, TreatMissingData: a.TreatMissingData}
	if a.DatapointsToAlarm != a.EvaluationPeriods {
		m.DatapointsToAlarm = a.DatapointsToAlarm
	}
	var changes []string
	if len(a.Metrics) == 0 {
		stat, err := statisticOf(a.Statistic, a.ExtendedStatistic)
		if err != nil {
			return nil, nil, err
		}
		m.Namespace, m.MetricName, m.Statistic, m.PeriodSeconds = a.Namespace, a.MetricName, stat, a.Period
		m.Dimensions = dimensions(a.Dimensions)
		if a.Unit != "" {
			changes = append(changes, fmt.Sprintf("Unit %s not copied: the new alarm reads the metric in whatever unit it is published", a.Unit))
		}
		return m, changes, nil
	}
	for _, q := range a.Metrics {
		switch {
		case q.AccountID != "":
			return nil, nil, fmt.Errorf("metric %s comes from account %s; the stack creates alarms on this account's metrics", q.ID, q.AccountID)
		case q.Expression != "":
			if m.Expression != "" {
				return nil, nil, errors.New("it has several math expressions; a metric block holds one")
			}
			m.Expression, m.Label = q.Expression, q.Label
			if q.Period > 0 {
				m.PeriodSeconds = q.Period
			}
		case q.MetricStat != nil:
			stat, err := statisticOf(q.MetricStat.Stat, "")
			if err != nil {
				return nil, nil, fmt.Errorf("metric %s: %w", q.ID, err)
			}
			if m.PeriodSeconds != 0 && q.MetricStat.Period != m.PeriodSeconds {
				return nil, nil, errors.New("its metrics have different periods; a metric block has one")
			}
			m.PeriodSeconds = q.MetricStat.Period
			m.Metrics = append(m.Metrics, config.MetricQuery{ID: q.ID, Namespace: q.MetricStat.Metric.Namespace,
				MetricName: q.MetricStat.Metric.MetricName, Dimensions: dimensions(q.MetricStat.Metric.Dimensions), Statistic: stat})
			if q.MetricStat.Unit != "" {
				changes = append(changes, fmt.Sprintf("Unit %s of metric %s not copied", q.MetricStat.Unit, q.ID))
			}
		}
	}
	if m.Expression == "" {
		return nil, nil, errors.New("its metrics have no math expression to alarm on")
	}
	return m, changes, nil
}

// statisticOf is a statistic the configuration takes: one of the five, or a percentile.
func statisticOf(stat, extended string) (string, error) {
	s := stat
	if s == "" {
		s = extended
	}
	if slices.Contains([]string{"SampleCount", "Average", "Sum", "Minimum", "Maximum"}, s) || percentile.MatchString(s) {
		return s, nil
	}
	return "", fmt.Errorf("statistic %q is not one the configuration takes (SampleCount, Average, Sum, Minimum, Maximum or a percentile such as p90)", s)
}

var percentile = regexp.MustCompile(`^p(\d{1,2}(\.\d{1,2})?|100)$`)

func dimensions(ds []Dimension) map[string]string {
	if len(ds) == 0 {
		return nil
	}
	m := make(map[string]string, len(ds))
	for _, d := range ds {
		m[d.Name] = d.Value
	}
	return m
}

func periodOf(a *MetricAlarm) int {
	if a.Period > 0 {
		return a.Period
	}
	for _, q := range a.Metrics {
		if q.MetricStat != nil {
			return q.MetricStat.Period
		}
	}
	return 0
}

// result builds the configuration from the drafts and checks it with config.Parse. An
// entry the validation refuses is left out and reported with the validation's words, and
// the configuration built again, until it passes: whatever rule the mapping above does
// not foresee, the file written is valid and nothing is left out without a word.
func (m *mapper) result() (Result, error) {
	for {
		c, sources := m.build()
		if len(c.Services) == 0 {
			return Result{Findings: m.findings}, ErrNothingImported
		}
		data, err := json.MarshalIndent(c, "", "  ")
		if err != nil {
			return Result{}, fmt.Errorf("write the configuration: %w", err)
		}
		data = append(data, '\n')
		parsed, err := config.Parse("the imported configuration", data)
		if err == nil {
			return m.finish(data, parsed), nil
		}
		var invalid *config.Error
		if !errors.As(err, &invalid) {
			return Result{Findings: m.findings}, fmt.Errorf("the imported configuration is not valid: %w", err)
		}
		refused := false
		for _, p := range invalid.Problems {
			if refused = m.refuse(sources, p); refused {
				break
			}
		}
		if !refused {
			return Result{Findings: m.findings}, fmt.Errorf("the imported configuration is not valid: %w", err)
		}
	}
}

// source is where a configuration entry came from, by its path in the file.
type source struct {
	draft *serviceDraft
	kind  string // "alarms" or "scheduledActions", "" for the service itself
	index int
}

func (m *mapper) build() (config.Config, map[string]*source) {
	var c config.Config
	sources := map[string]*source{}
	for _, d := range m.drafts {
		if d.dropped {
			continue
		}
		at := fmt.Sprintf("services[%d]", len(c.Services))
		sources[at] = &source{draft: d}
		s := d.service
		s.Alarms = []config.Alarm{}
		for i, a := range d.alarms {
			sources[fmt.Sprintf("%s.alarms[%d]", at, len(s.Alarms))] = &source{draft: d, kind: "alarms", index: i}
			s.Alarms = append(s.Alarms, a.value)
		}
		for i, a := range d.actions {
			sources[fmt.Sprintf("%s.scheduledActions[%d]", at, len(s.ScheduledActions))] = &source{draft: d, kind: "scheduledActions", index: i}
			s.ScheduledActions = append(s.ScheduledActions, a.value)
		}
		c.Services = append(c.Services, s)
	}
	return c, sources
}

var entryPath = regexp.MustCompile(`^services\[\d+\](\.(alarms|scheduledActions)\[\d+\])?`)

// refuse leaves out the entry a validation problem is about, and reports whether it did.
// Entries after it move up, so the next round builds and checks the file again.
func (m *mapper) refuse(sources map[string]*source, p config.Problem) bool {
	src := sources[entryPath.FindString(p.Field)]
	if src == nil {
		return false // a problem of the file as a whole
	}
	d := src.draft
	why := fmt.Sprintf("the configuration would not be valid: %s: %s", p.Field, p.Message)
	switch src.kind {
	case "alarms":
		m.leftOut(d.alarms[src.index].finding, why)
		d.alarms = slices.Delete(slices.Clone(d.alarms), src.index, src.index+1)
	case "scheduledActions":
		m.leftOut(d.actions[src.index].finding, why)
		d.actions = slices.Delete(slices.Clone(d.actions), src.index, src.index+1)
	default:
		d.dropped = true
		for i, f := range m.findings {
			if f.Resource == d.resource && f.Kind != NotImported {
				m.leftOut(i, "its service is not imported")
			}
		}
		m.add(d.resource, "scalable target", NotImported, "the service and everything on it: %s", why)
	}
	return true
}

// leftOut corrects the finding that reported an entry imported: it is not, and why.
func (m *mapper) leftOut(finding int, why string) {
	f := &m.findings[finding]
	f.Kind, f.Message = NotImported, f.Message+"; not imported after all: "+why
}

func (m *mapper) finish(data []byte, c *config.Config) Result {
	r := Result{Config: data, Findings: m.findings, Services: len(c.Services)}
	for _, d := range m.drafts {
		if d.dropped {
			continue
		}
		for _, a := range d.alarms {
			if a.alarm != "" {
				r.ExistingAlarms = append(r.ExistingAlarms, a.alarm)
			}
		}
		r.Alarms += len(d.alarms)
		r.ScheduledActions += len(d.actions)
	}
	return r
}

func describeTargetAction(t *config.ScalableTargetAction) string {
	switch {
	case t.MinCapacity != nil && t.MaxCapacity != nil:
		return fmt.Sprintf("sets the bounds to [%d, %d]", *t.MinCapacity, *t.MaxCapacity)
	case t.MinCapacity != nil:
		return fmt.Sprintf("sets minCapacity %d", *t.MinCapacity)
	default:
		return fmt.Sprintf("sets maxCapacity %d", *t.MaxCapacity)
	}
}

func inZone(tz string) string {
	if tz == "" {
		return ""
	}
	return " in " + tz
}

func orDefault(p *int, def int) int {
	if p == nil {
		return def
	}
	return *p
}

func orInt(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

func orString(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

func quoteAll(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = strconv.Quote(n)
	}
	return strings.Join(q, ", ")
}
