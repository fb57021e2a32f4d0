package metrics

import (
	"math"
	"slices"
	"time"

	"github.com/stepscaler/stepscaler/internal/activity"
	"github.com/stepscaler/stepscaler/internal/scaling"
	"github.com/stepscaler/stepscaler/internal/workflow"
)

// Namespace is the CloudWatch namespace of Stepscaler's metrics.
const Namespace = "Stepscaler"

// Metric names. Each is published once for every execution the record step records
// (every execution ends there): a not-scaled decision that the per-minute evaluation takes
// again every minute counts every minute, though the activity log keeps it once.
const (
	// Activities counts recorded outcomes (Count, value 1), by status and direction.
	Activities = "Activities"
	// NotScaled counts not-scaled outcomes by reason (Count, value 1 per distinct reason
	// code: two alarms held back at the maximum count once for AlreadyAtMaxCapacity).
	NotScaled = "NotScaled"
	// DesiredCount is the service's desired count as the execution last knew it (Count).
	DesiredCount = "DesiredCount"
	// TimeToUpdate is the time from the deciding alarm's transition to ALARM to the
	// update of the desired count (Seconds). For the first step after a transition it is
	// Stepscaler's reaction time; for the next steps, taken while the alarm stays in ALARM,
	// how long the alarm has been in ALARM.
	TimeToUpdate = "TimeToUpdate"
	// TimeToStable is the time from that transition to the check that found the service
	// stable at its new desired count (Seconds): the last step's is how long the service
	// took to reach the capacity the alarm called for.
	TimeToStable = "TimeToStable"
)

// Dimension names. ClusterName and ServiceName are spelled as in the AWS/ECS and
// ECS/ContainerInsights namespaces, so a service's metrics read alike.
const (
	Deployment  = "Deployment"
	ClusterName = "ClusterName"
	ServiceName = "ServiceName"
	Status      = "Status"
	Direction   = "Direction"
	Reason      = "Reason"
)

// NoDirection is the Direction of an outcome that no alarm decided: a held lease, a step
// that failed before planning, no alarm in ALARM.
const NoDirection = "none"

// activityIDMember is a property (not a dimension) naming the activity, for finding the
// document's log line from an activity and back.
const activityIDMember = "activityId"

// Dimension sets. Every custom metric CloudWatch stores is billed ("Amazon CloudWatch
// Pricing", custom metrics), and each distinct set of dimension values is a metric of
// its own, so no dimension takes a value from an unbounded set (no execution name, no
// alarm name): the values are the deployment, the configured services, the status codes
// the record step gives (six), the directions (three) and the not-scaled reason codes (R,
// internal/scaling lists them). Per deployment that is at most 6×3 + 6×S Activities,
// S DesiredCount, 2×S + 2×2 timing and R NotScaled metrics for S services, and a metric
// exists only once a value has been published for it.
var (
	activitySets = [][]string{{Deployment, Status, Direction}, {Deployment, ClusterName, ServiceName, Status}}
	serviceSet   = [][]string{{Deployment, ClusterName, ServiceName}}
	timingSets   = [][]string{{Deployment, ClusterName, ServiceName}, {Deployment, Direction}}
	reasonSet    = [][]string{{Deployment, Reason}}
)

// Outcome is what one recorded execution publishes.
type Outcome struct {
	Service    scaling.ServiceRef
	ActivityID string
	Status     string // the activity's status code
	Direction  string // the deciding alarm's direction, or NoDirection
	// Reasons are the distinct not-scaled reason codes, in the order the activity gives
	// them; empty unless Status is NotScaled.
	Reasons []string
	// DesiredCount is the desired count as the execution last knew it; nil when it never
	// read the service.
	DesiredCount *int
	// ToUpdate and ToStable are nil when unknown (see workflow.Timing).
	ToUpdate, ToStable *time.Duration
	// At is when the outcome was recorded: the metrics' timestamp.
	At time.Time
}

// Of is the outcome of the activity the record step built from st, recorded at at.
func Of(act activity.Activity, st workflow.State, at time.Time) Outcome {
	o := Outcome{Service: st.Service, ActivityID: act.ActivityID, Status: act.StatusCode, Direction: NoDirection, At: at.UTC()}
	if p := st.Plan; p != nil && p.AlarmName != "" && p.Direction != "" {
		o.Direction = string(p.Direction)
	}
	if act.StatusCode == activity.StatusNotScaled {
		for _, r := range act.NotScaledReasons {
			if !slices.Contains(o.Reasons, r.Code) {
				o.Reasons = append(o.Reasons, r.Code)
			}
		}
	}
	if n, ok := workflow.LastDesiredCount(st); ok {
		o.DesiredCount = &n
	}
	t := workflow.TimingOf(st, at)
	if d, ok := t.ToUpdate(); ok {
		o.ToUpdate = &d
	}
	if d, ok := t.ToStable(); ok {
		o.ToStable = &d
	}
	return o
}

// Documents are the outcome's EMF documents for the deployment: one with the activity, the
// desired count and the timing, and one for each not-scaled reason (a document has one
// value per dimension, so each reason needs its own).
func Documents(deployment string, o Outcome) []Document {
	main := Document{
		Timestamp: o.At,
		Members: map[string]any{
			Deployment: deployment, ClusterName: o.Service.Cluster, ServiceName: o.Service.Service,
			Status: o.Status, Direction: o.Direction, activityIDMember: o.ActivityID,
			Activities: 1.0,
		},
		Directives: []Directive{{Namespace: Namespace, Dimensions: activitySets,
			Metrics: []Definition{{Name: Activities, Unit: Count}}}},
	}
	if o.DesiredCount != nil {
		main.Members[DesiredCount] = float64(*o.DesiredCount)
		main.Directives = append(main.Directives, Directive{Namespace: Namespace, Dimensions: serviceSet,
			Metrics: []Definition{{Name: DesiredCount, Unit: Count}}})
	}
	var timing []Definition
	for _, m := range []struct {
		name string
		d    *time.Duration
	}{{TimeToUpdate, o.ToUpdate}, {TimeToStable, o.ToStable}} {
		if m.d != nil {
			main.Members[m.name] = math.Round(m.d.Seconds()*1000) / 1000 // to the millisecond
			timing = append(timing, Definition{Name: m.name, Unit: Seconds})
		}
	}
	if len(timing) > 0 {
		main.Directives = append(main.Directives, Directive{Namespace: Namespace, Dimensions: timingSets, Metrics: timing})
	}

	docs := []Document{main}
	for _, code := range o.Reasons {
		docs = append(docs, Document{
			Timestamp: o.At,
			Members: map[string]any{
				Deployment: deployment, Reason: code, NotScaled: 1.0,
				ClusterName: o.Service.Cluster, ServiceName: o.Service.Service, activityIDMember: o.ActivityID,
			},
			Directives: []Directive{{Namespace: Namespace, Dimensions: reasonSet,
				Metrics: []Definition{{Name: NotScaled, Unit: Count}}}},
		})
	}
	return docs
}
