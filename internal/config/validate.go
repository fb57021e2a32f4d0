package config

import (
	"cmp"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/stepscaler/stepscaler/internal/scaling"
	"github.com/stepscaler/stepscaler/internal/schedule"
)

// metricAggregationTypes are Application Auto Scaling's MetricAggregationType values.
var metricAggregationTypes = []string{"Average", "Minimum", "Maximum"}

// AWS account IDs and Region codes ("us-east-1", "ap-southeast-2", "us-gov-west-1").
var (
	accountID  = regexp.MustCompile(`^\d{12}$`)
	regionCode = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-\d$`)
)

// ECS cluster and service names: "Up to 255 letters (uppercase and lowercase), numbers,
// underscores, and hyphens are allowed" (clusterName of CreateCluster and serviceName of
// CreateService, Amazon ECS API Reference).
var ecsName = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

type validator struct {
	problems []Problem
	// given holds the fields the file sets, so that a value the file spells out, such as
	// "adjustmentType": "" or "datapointsToAlarm": 0, is checked rather than taken for
	// the field left out.
	given map[string]bool
	// unreadable reports the entries the decoding could fill in only in part, whose values
	// rules across entries must not use.
	unreadable func(field string) bool
	// schedules are the services' scheduled actions, compiled, by the service's index.
	schedules map[int]schedule.Schedule
}

func (v *validator) addf(field, format string, args ...any) {
	v.problems = append(v.problems, Problem{field, fmt.Sprintf(format, args...)})
}

func (c *Config) validate(given map[string]bool, unreadable func(string) bool) *validator {
	v := &validator{given: given, unreadable: unreadable, schedules: map[int]schedule.Schedule{}}
	if len(c.Services) == 0 {
		v.addf("services", "must list at least one service")
	}
	for i, src := range c.AlarmSources {
		at := fmt.Sprintf("alarmSources[%d]", i)
		if !accountID.MatchString(src.AccountID) {
			v.addf(at+".accountId", "must be 12 digits, got %q", src.AccountID)
		}
		if !regionCode.MatchString(src.Region) {
			v.addf(at+".region", "must be a Region code such as eu-west-2, got %q", src.Region)
		}
	}
	seenService := map[scaling.ServiceRef]string{}
	seenAlarm := map[string]string{}
	for i, s := range c.Services {
		at := fmt.Sprintf("services[%d]", i)
		v.service(at, s)
		ref := scaling.ServiceRef{Cluster: s.Cluster, Service: s.Service}
		if prev, dup := seenService[ref]; dup {
			v.addf(at, "service %s is already configured at %s", ref, prev)
		}
		seenService[ref] = at
		if sched := v.scheduledActions(at, s); len(sched) > 0 {
			v.schedules[i] = sched
		}
		// One alarm drives one service: a notification must resolve to exactly one policy.
		alarmAt := func(name, field string) {
			if prev, dup := seenAlarm[name]; dup && name != "" {
				v.addf(field, "alarm %q is already configured at %s", name, prev)
			}
			seenAlarm[name] = field
		}
		for j, a := range s.Alarms {
			aat := fmt.Sprintf("%s.alarms[%d]", at, j)
			v.alarm(aat, a)
			alarmAt(a.AlarmName, aat+".alarmName")
		}
		if s.Preset != nil {
			v.preset(at+".preset", s)
			for _, name := range s.Preset.alarmNames(s) {
				alarmAt(name, at+".preset")
			}
		}
	}
	return v
}

func (v *validator) service(at string, s Service) {
	v.ecsName(at+".cluster", s.Cluster)
	v.ecsName(at+".service", s.Service)
	if s.MinCapacity < 0 || s.MinCapacity > maxServiceTasks {
		v.addf(at+".minCapacity", "must be between 0 and %d, got %d", maxServiceTasks, s.MinCapacity)
	}
	if s.MaxCapacity < 1 || s.MaxCapacity > maxServiceTasks {
		v.addf(at+".maxCapacity", "must be between 1 and %d, got %d", maxServiceTasks, s.MaxCapacity)
	}
	if s.MaxCapacity < s.MinCapacity {
		v.addf(at+".maxCapacity", "must not be below minCapacity (%d), got %d", s.MinCapacity, s.MaxCapacity)
	}
	if len(s.Alarms) == 0 && len(s.ScheduledActions) == 0 && s.Preset == nil {
		v.addf(at+".alarms", "must list at least one alarm, unless the service has a preset or scheduledActions")
	}
}

func (v *validator) ecsName(field, name string) {
	switch n := utf8.RuneCountInString(name); {
	case n == 0 || n > maxNameLen:
		v.addf(field, "must be 1-%d characters (ECS's limit), got %d", maxNameLen, n)
	case !ecsName.MatchString(name):
		v.addf(field, "may hold only letters, numbers, hyphens and underscores (ECS's rule for names), got %q", name)
	}
}

// alarm checks one alarm entry. CloudWatch alarm names are 1-255 characters, UTF-8, and
// "can't contain ASCII control characters" (AlarmName of PutMetricAlarm, Amazon
// CloudWatch API Reference); characters, not bytes, as JSON Schema's maxLength counts.
func (v *validator) alarm(at string, a Alarm) {
	switch n := utf8.RuneCountInString(a.AlarmName); {
	case n == 0 || n > maxNameLen:
		v.addf(at+".alarmName", "must be 1-%d characters (CloudWatch's limit for alarm names), got %d", maxNameLen, n)
	case strings.ContainsFunc(a.AlarmName, isASCIIControl):
		v.addf(at+".alarmName", "must not contain ASCII control characters (CloudWatch refuses them in alarm names), got %q", a.AlarmName)
	}
	if !a.Direction.Valid() {
		v.addf(at+".direction", `must be "out" or "in", got %q`, a.Direction)
	}
	v.alarmType(at, a)
	v.adjustment(at, a)
	v.intRange(at+".cooldownSeconds", a.CooldownSeconds, 0, maxCooldown)
	v.intRange(at+".stabilizationTimeoutSeconds", a.StabilizationTimeoutSeconds, 1, maxStabilize)
	v.intRange(at+".pollIntervalSeconds", a.PollIntervalSeconds, 1, maxPoll)
	timeout := orDefault(a.StabilizationTimeoutSeconds, DefaultStabilizationTimeoutSeconds)
	poll := orDefault(a.PollIntervalSeconds, DefaultPollIntervalSeconds)
	switch {
	case poll > timeout:
		v.addf(at+".pollIntervalSeconds", "%d is longer than stabilizationTimeoutSeconds (%d)", poll, timeout)
	case poll > 0 && (timeout+poll-1)/poll > MaxStabilityChecks:
		v.addf(at+".stabilizationTimeoutSeconds", "%d allows %d stability checks at pollIntervalSeconds %d; at most %d are allowed "+
			"(so one execution stays far below Step Functions' 25,000-event history quota): raise pollIntervalSeconds to %d or lower the timeout to %d",
			timeout, (timeout+poll-1)/poll, poll, MaxStabilityChecks, (timeout+MaxStabilityChecks-1)/MaxStabilityChecks, poll*MaxStabilityChecks)
	}
	if a.Metric != nil {
		v.metric(at+".metric", *a.Metric)
	}
}

// alarmType checks what an alarm's type allows. A composite alarm has no metric: the
// stack cannot create it from a metric block, and a step can't be sized from it, so
// stepAdjustments and TargetRatio, which read the alarm's metric, are refused rather
// than left to find no metric value at every step.
func (v *validator) alarmType(at string, a Alarm) {
	switch a.AlarmType {
	case MetricAlarm:
	case "":
		if v.given[at+".alarmType"] {
			v.addf(at+".alarmType", `must be "metric" or "composite", got ""`)
		}
	case CompositeAlarm:
		if a.Metric != nil {
			v.addf(at+".metric", "a composite alarm has no metric, and the stack creates only metric alarms: "+
				"remove metric, or remove alarmType for the stack to create this metric alarm")
		}
		if a.StepAdjustments != nil {
			v.addf(at+".stepAdjustments", "a composite alarm has no metric to size a step from: use adjustment, or a metric alarm")
		}
		if a.AdjustmentType == scaling.TargetRatio {
			v.addf(at+".adjustmentType", "TargetRatio sizes the service from the alarm's metric, and a composite alarm has none: use a metric alarm")
		}
	default:
		v.addf(at+".alarmType", `must be "metric" or "composite", got %q`, a.AlarmType)
	}
}

// adjustment checks the fields that say how far a step moves the service: which apply
// depends on the adjustment type, and a field that does not apply is an error rather than
// silently ignored, so a policy reads the way it behaves.
func (v *validator) adjustment(at string, a Alarm) {
	if !a.AdjustmentType.Valid() || (a.AdjustmentType == "" && v.given[at+".adjustmentType"]) {
		v.addf(at+".adjustmentType", "must be one of %v, got %q", scaling.AdjustmentTypes, a.AdjustmentType)
		return
	}
	t := a.adjustmentType()
	switch {
	case t == scaling.TargetRatio:
		if a.Adjustment != nil {
			v.addf(at+".adjustment", "does not apply to TargetRatio, which sizes the service from targetValue")
		}
		if a.StepAdjustments != nil {
			v.addf(at+".stepAdjustments", "does not apply to TargetRatio, which sizes the service from targetValue")
		}
		v.targetRatio(at, a)
	case a.StepAdjustments != nil && a.Adjustment != nil:
		// Application Auto Scaling's step policies have only step adjustments; one simple
		// magnitude beside them would be ambiguous, so it is refused rather than ignored.
		v.addf(at+".adjustment", "give adjustment or stepAdjustments, not both")
	case a.StepAdjustments != nil:
		v.stepAdjustments(at+".stepAdjustments", a.StepAdjustments, t, a.Direction)
	case t == scaling.PercentChangeInCapacity:
		if a.Adjustment == nil {
			v.addf(at+".adjustment", "required with PercentChangeInCapacity (the percentage), unless stepAdjustments are given")
		}
		v.intRange(at+".adjustment", a.Adjustment, 1, maxPercent)
	case t == scaling.ExactCapacity:
		if a.Adjustment == nil {
			v.addf(at+".adjustment", "required with ExactCapacity (the desired count to set), unless stepAdjustments are given")
		}
		v.intRange(at+".adjustment", a.Adjustment, 0, maxServiceTasks)
	default:
		// A step larger than the range is fine: the plan clamps it to [min, max].
		v.intRange(at+".adjustment", a.Adjustment, 1, maxServiceTasks)
	}
	if a.MinAdjustmentMagnitude != nil {
		if t != scaling.PercentChangeInCapacity {
			v.addf(at+".minAdjustmentMagnitude", "applies only to PercentChangeInCapacity, adjustmentType is %s", t)
		} else {
			v.intRange(at+".minAdjustmentMagnitude", a.MinAdjustmentMagnitude, 1, maxServiceTasks)
		}
	}
	if m := a.MetricAggregationType; v.given[at+".metricAggregationType"] {
		switch {
		case t != scaling.TargetRatio && a.StepAdjustments == nil:
			v.addf(at+".metricAggregationType", "applies only to stepAdjustments and TargetRatio, which size the step from the metric")
		case !slices.Contains(metricAggregationTypes, m):
			v.addf(at+".metricAggregationType", "must be one of %v, got %q", metricAggregationTypes, m)
		}
	}
	if t != scaling.TargetRatio {
		for _, f := range []struct {
			name string
			set  bool
		}{{"targetValue", a.TargetValue != nil}, {"tolerance", a.Tolerance != nil}, {"scaleLimit", a.ScaleLimit != nil},
			{"scaleInStabilizationWindowSeconds", a.ScaleInStabilizationWindowSeconds != nil}, {"scaleOutLeadSeconds", a.ScaleOutLeadSeconds != nil}} {
			if f.set {
				v.addf(at+"."+f.name, "applies only to TargetRatio, adjustmentType is %s", t)
			}
		}
	}
}

func (v *validator) targetRatio(at string, a Alarm) {
	// The HPA's scale-down stabilization window and a scale-out's lead are each a
	// TargetRatio rule of one direction; an hour is beyond any use (the HPA's default
	// window is 5 minutes).
	if a.ScaleInStabilizationWindowSeconds != nil && a.Direction != scaling.In {
		v.addf(at+".scaleInStabilizationWindowSeconds", `applies only to a scale-in alarm ("direction": "in")`)
	}
	v.intRange(at+".scaleInStabilizationWindowSeconds", a.ScaleInStabilizationWindowSeconds, 0, maxWindowSeconds)
	if a.ScaleOutLeadSeconds != nil && a.Direction != scaling.Out {
		v.addf(at+".scaleOutLeadSeconds", `applies only to a scale-out alarm ("direction": "out")`)
	}
	v.intRange(at+".scaleOutLeadSeconds", a.ScaleOutLeadSeconds, 0, maxWindowSeconds)
	switch tv := a.TargetValue; {
	case tv == nil:
		v.addf(at+".targetValue", "required with TargetRatio: the metric value to size the service for")
	case !(*tv > 0) || !finite(*tv):
		v.addf(at+".targetValue", "must be a positive number, got %v", *tv)
	}
	// A tolerance of 1 or more would skip every scale-in (the ratio can't fall below 0).
	if tol := a.Tolerance; tol != nil && (!(*tol >= 0) || *tol >= 1) {
		v.addf(at+".tolerance", "must be at least 0 and below 1, got %v", *tol)
	}
	if l := a.ScaleLimit; l != nil {
		if l.MaxTasks == nil && l.MaxPercent == nil {
			v.addf(at+".scaleLimit", "give maxTasks, maxPercent or both")
		}
		v.intRange(at+".scaleLimit.maxTasks", l.MaxTasks, 1, maxServiceTasks)
		v.intRange(at+".scaleLimit.maxPercent", l.MaxPercent, 1, maxPercent)
	}
}

// stepAdjustments applies Application Auto Scaling's rules for a step policy's
// adjustments (StepAdjustment, Application Auto Scaling API Reference): the ranges can't
// overlap or have a gap; at most one step has a null lower bound, and if one has a
// negative lower bound there must be one with a null lower bound; at most one has a null
// upper bound, and if one has a positive upper bound there must be one with a null upper
// bound; the bounds can't both be null in one step; the upper bound must be greater than
// the lower. Its quota is 20 steps a policy. As in Application Auto Scaling, the steps may
// lie on either side of the threshold whatever the alarm's direction.
//
// scalingAdjustment is signed as AAS writes it: "A positive value adds to the current
// capacity while a negative number removes from the current capacity. For exact capacity,
// you must specify a non-negative value" (StepAdjustment). An alarm scales one way, so a
// sign against its direction is refused rather than taken as a magnitude: a scale-out
// alarm's steps are 0 or more, a scale-in alarm's 0 or less.
func (v *validator) stepAdjustments(at string, steps []StepAdjustment, t scaling.AdjustmentType, dir scaling.Direction) {
	before := len(v.problems)
	if len(steps) == 0 {
		v.addf(at, "must list at least one step adjustment")
		return
	}
	if len(steps) > maxStepAdjustments {
		v.addf(at, "must list at most %d step adjustments (Application Auto Scaling's quota), got %d", maxStepAdjustments, len(steps))
	}
	limit, unit := maxServiceTasks, "tasks"
	if t == scaling.PercentChangeInCapacity {
		limit, unit = maxPercent, "percent"
	}
	openLower, openUpper, negativeLower, positiveUpper := -1, -1, -1, -1
	moves := false
	for i, s := range steps {
		sat := fmt.Sprintf("%s[%d]", at, i)
		lo, hi := s.MetricIntervalLowerBound, s.MetricIntervalUpperBound
		switch adj := s.ScalingAdjustment; {
		case adj == nil:
			v.addf(sat+".scalingAdjustment", "required")
		case t == scaling.ExactCapacity && *adj < 0:
			v.addf(sat+".scalingAdjustment", "ExactCapacity sets a capacity, which is 0 or more, got %d", *adj)
		case t != scaling.ExactCapacity && dir == scaling.Out && *adj < 0:
			v.addf(sat+".scalingAdjustment", "%d removes tasks, which contradicts direction out: "+
				"a scale-out alarm's steps are 0 or more (AAS: a positive value adds to the current capacity)", *adj)
		case t != scaling.ExactCapacity && dir == scaling.In && *adj > 0:
			v.addf(sat+".scalingAdjustment", "%d adds tasks, which contradicts direction in: "+
				"a scale-in alarm's steps are 0 or less, as Application Auto Scaling writes them "+
				"(a negative number removes from the current capacity): write %d", *adj, -*adj)
		case *adj > limit:
			v.addf(sat+".scalingAdjustment", "must be at most %d %s, got %d", limit, unit, *adj)
		case *adj < -limit:
			v.addf(sat+".scalingAdjustment", "must be at least -%d %s, got %d", limit, unit, *adj)
		case *adj != 0 || t == scaling.ExactCapacity:
			moves = true
		}
		if lo == nil && hi == nil {
			v.addf(sat, "give metricIntervalLowerBound, metricIntervalUpperBound or both: the bounds can't both be null")
			continue
		}
		if lo != nil && hi != nil && *hi <= *lo {
			v.addf(sat+".metricIntervalUpperBound", "must be greater than metricIntervalLowerBound (%v), got %v", *lo, *hi)
		}
		if lo == nil {
			if openLower >= 0 {
				v.addf(sat+".metricIntervalLowerBound", "only one step may leave the lower bound null (negative infinity); %s[%d] already does", at, openLower)
			} else {
				openLower = i
			}
		} else if *lo < 0 && negativeLower < 0 {
			negativeLower = i
		}
		if hi == nil {
			if openUpper >= 0 {
				v.addf(sat+".metricIntervalUpperBound", "only one step may leave the upper bound null (positive infinity); %s[%d] already does", at, openUpper)
			} else {
				openUpper = i
			}
		} else if *hi > 0 && positiveUpper < 0 {
			positiveUpper = i
		}
	}
	if negativeLower >= 0 && openLower < 0 {
		v.addf(fmt.Sprintf("%s[%d].metricIntervalLowerBound", at, negativeLower), "is negative, so one step must leave its lower bound null (negative infinity)")
	}
	if positiveUpper >= 0 && openUpper < 0 {
		v.addf(fmt.Sprintf("%s[%d].metricIntervalUpperBound", at, positiveUpper), "is positive, so one step must leave its upper bound null (positive infinity)")
	}
	if !moves && len(v.problems) == before {
		v.addf(at, "every step adjustment is 0, so the alarm would never scale")
	}
	if len(v.problems) > before {
		return // the order of the intervals means little while a step's own bounds are wrong
	}
	// Sorted by lower bound, each interval must start where the previous one ends.
	order := make([]int, len(steps))
	for i := range order {
		order[i] = i
	}
	lower := func(i int) float64 {
		if b := steps[i].MetricIntervalLowerBound; b != nil {
			return *b
		}
		return math.Inf(-1)
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(lower(a), lower(b)) })
	for k := 1; k < len(order); k++ {
		prev, cur := order[k-1], order[k]
		field := fmt.Sprintf("%s[%d].metricIntervalLowerBound", at, cur)
		end := steps[prev].MetricIntervalUpperBound
		start := lower(cur)
		switch {
		case end == nil:
			v.addf(field, "%v overlaps %s[%d], which has no upper bound", start, at, prev)
		case start < *end:
			v.addf(field, "%v overlaps %s[%d], which ends at %v", start, at, prev, *end)
		case start > *end:
			v.addf(field, "%v leaves a gap after %s[%d], which ends at %v", start, at, prev, *end)
		}
	}
}

func (v *validator) intRange(field string, p *int, lo, hi int) {
	if p != nil && (*p < lo || *p > hi) {
		v.addf(field, "must be between %d and %d, got %d", lo, hi, *p)
	}
}

func isASCIIControl(r rune) bool { return r < 0x20 || r == 0x7f }

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }
