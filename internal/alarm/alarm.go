// Package alarm parses the notifications that CloudWatch alarms publish to
// SNS, which is how Stepscaler learns that a service should scale.
//
// Parse takes one alarm message (the SNS Message string's content) and
// returns a validated Notification. Messages digs those message strings out
// of whatever wrapper a captured notification came in: the SNS event a Lambda
// function receives, a single SNS record, an SNS HTTP or SQS envelope, or the
// bare message. Marshal does the reverse of Parse, for building test
// notifications.
//
// The messages arrive from the network, so Parse treats them as hostile: it
// bounds their size, refuses what is not one UTF-8 JSON object with unique keys,
// checks every field's type, and reports problems as a *FieldError naming the
// field. It never fails because the free-text NewStateReason is unusual; the
// datapoints and threshold it carries are extracted on a best-effort basis.
//
// Numbers: JSON has no NaN or Infinity, so those are malformed JSON. A number
// too large for a float64 (1.8e308, 1e999) is refused in a field (Threshold,
// Period) and skipped in the reason. Every number Parse returns is finite, but
// nothing bounds a sum of them: two datapoints of 1.7e308 are each finite and
// their sum is +Inf, so code that averages them must not add them up first
// (CloudWatch's own metric values lie within ±2^360, MetricDatum in the API
// Reference, but a message need not come from CloudWatch, and a metric-math
// alarm's values are not metric values).
package alarm

import (
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// MaxMessageSize is the largest alarm message Parse accepts: SNS's limit on a
// message, 256 KiB. CloudWatch's own messages are a few KiB.
const MaxMessageSize = 256 * 1024

// MaxAlarmNameLength is CloudWatch's limit on an alarm name, in characters.
const MaxAlarmNameLength = 255

// State is an alarm state as CloudWatch spells it.
type State string

const (
	StateOK               State = "OK"
	StateAlarm            State = "ALARM"
	StateInsufficientData State = "INSUFFICIENT_DATA"
)

// Valid reports whether s is one of the three alarm states.
func (s State) Valid() bool {
	switch s {
	case StateOK, StateAlarm, StateInsufficientData:
		return true
	}
	return false
}

// Kind says which sort of alarm sent a notification, which decides which of
// Notification's fields are set.
type Kind string

const (
	// KindMetric is an alarm on a single metric: Trigger.MetricName is set.
	KindMetric Kind = "Metric"
	// KindMetricMath is an alarm on a metric-math expression or an anomaly
	// detection band: Trigger.Metrics is set.
	KindMetricMath Kind = "MetricMath"
	// KindComposite is an alarm on other alarms' states: Trigger is nil and
	// AlarmRule is set.
	KindComposite Kind = "Composite"
)

// Notification is one parsed CloudWatch alarm notification.
//
// It has no JSON tags on purpose: several fields (Kind, Region, Datapoints,
// Threshold) are derived rather than carried on the wire, so encoding it with
// encoding/json would not give CloudWatch's format. Use Marshal for that.
type Notification struct {
	AlarmName string
	// AlarmDescription is "" when the alarm has none (CloudWatch sends null).
	AlarmDescription string
	// AccountID is AWSAccountId, or the account in AlarmARN when the message
	// lacks it.
	AccountID string
	NewState  State
	// OldState is "" when the message does not say.
	OldState State
	// Reason is NewStateReason verbatim: prose, not meant for machines.
	Reason          string
	StateChangeTime time.Time // UTC
	// RegionName is the Region field, a display name such as "EU (London)".
	RegionName string
	// Region is the region code, such as "eu-west-2": taken from AlarmARN,
	// else looked up from RegionName, else "" (an unknown display name is not
	// an error, since AWS adds regions faster than this table is updated).
	Region string
	// AlarmARN is "" in messages from before CloudWatch added it (~2019).
	AlarmARN string
	Kind     Kind
	// Trigger describes what a metric or metric-math alarm watches; nil for
	// a composite alarm.
	Trigger *Trigger
	// AlarmRule and TriggeringChildren are set for composite alarms only.
	AlarmRule          string
	TriggeringChildren []Child
	// Datapoints are the values quoted in Reason, newest first as CloudWatch
	// lists them; nil when Reason quotes none. Each is finite; their sum need
	// not be (see the package documentation).
	Datapoints []Datapoint
	// Threshold is Trigger.Threshold, or else the threshold quoted in Reason;
	// nil when neither has one (composite and anomaly-detection alarms).
	Threshold *float64
	// ConfigurationUpdated is AlarmConfigurationUpdatedTimestamp, zero in
	// messages from before CloudWatch added it (~2022).
	ConfigurationUpdated time.Time
	// The action lists (ARNs); nil when empty or absent.
	OKActions               []string
	AlarmActions            []string
	InsufficientDataActions []string
}

// Trigger is the configuration of a metric or metric-math alarm, as quoted in
// its notification.
type Trigger struct {
	// For a single-metric alarm.
	MetricName string
	Namespace  string
	// StatisticType is "Statistic" or "ExtendedStatistic"; it says which of
	// Statistic (e.g. "AVERAGE"; notifications use upper case) and
	// ExtendedStatistic (e.g. "p90") is set.
	StatisticType     string
	Statistic         string
	ExtendedStatistic string
	Unit              string // "" when unset (CloudWatch sends null)
	Dimensions        []Dimension

	Period            int64 // seconds
	EvaluationPeriods int64
	// DatapointsToAlarm is the M of "M out of N"; 0 when the message predates
	// the field, in which case it equals EvaluationPeriods.
	DatapointsToAlarm  int64
	ComparisonOperator string
	// Threshold is nil for anomaly-detection alarms, which compare against
	// the band named by ThresholdMetricID instead.
	Threshold         *float64
	ThresholdMetricID string
	// TreatMissingData is "missing", "breaching", "notBreaching" or "ignore".
	// Old messages wrote "- TreatMissingData:   missing"; that is normalised.
	TreatMissingData                 string
	EvaluateLowSampleCountPercentile string

	// Metrics is set, instead of MetricName, for a metric-math alarm.
	Metrics []MetricDataQuery
}

// Dimension is a metric dimension.
type Dimension struct {
	Name  string
	Value string
}

// MetricDataQuery is one entry of a metric-math alarm's Trigger.Metrics:
// exactly one of Expression and MetricStat is set.
type MetricDataQuery struct {
	ID         string
	Expression string
	MetricStat *MetricStat
	Label      string
	ReturnData bool
	Period     int64 // seconds; only for expressions
	AccountID  string
}

// MetricStat is a metric with the statistic and period to apply to it.
type MetricStat struct {
	Metric Metric
	Period int64 // seconds
	Stat   string
	Unit   string
}

// Metric identifies a metric.
type Metric struct {
	Namespace  string
	MetricName string
	Dimensions []Dimension
}

// Child is a composite alarm's child alarm whose state change triggered the
// notification.
type Child struct {
	ARN   string
	State State
	// Timestamp is when the child entered State; zero when not given.
	Timestamp time.Time
}

// Datapoint is one metric value quoted in a notification's reason.
type Datapoint struct {
	Value float64
	// Time is zero when the reason's timestamp did not parse.
	Time time.Time
}

// Parse parses one alarm message: the content of the SNS notification's
// Message string. Errors are *FieldError.
func Parse(message []byte) (Notification, error) {
	if len(message) > MaxMessageSize {
		return Notification{}, &FieldError{Problem: "message is " + strconv.Itoa(len(message)) + " bytes, more than SNS's limit of " + strconv.Itoa(MaxMessageSize)}
	}
	top, ferr := decodeObject(message)
	if ferr != nil {
		return Notification{}, ferr
	}
	var d decoder
	n := d.notification(object{m: top})
	if d.err != nil {
		return Notification{}, d.err
	}
	return n, nil
}

func (d *decoder) notification(o object) Notification {
	var n Notification

	// Required fields first, so that a message missing several of them is
	// reported by the most fundamental problem.
	n.AlarmName = d.str(o, "AlarmName")
	if d.err == nil {
		if problem := checkAlarmName(n.AlarmName); problem != "" {
			d.fail("AlarmName", "%s", problem)
		}
	}
	n.NewState = d.state(o, "NewStateValue", true)
	n.StateChangeTime = d.timestamp(o, "StateChangeTime", true)

	n.OldState = d.state(o, "OldStateValue", false)
	n.AlarmDescription = d.str(o, "AlarmDescription")
	n.AccountID = d.str(o, "AWSAccountId")
	if n.AccountID != "" && !IsAccountID(n.AccountID) {
		d.fail("AWSAccountId", "not a 12-digit account ID (%s)", quote(n.AccountID))
	}
	n.Reason = d.str(o, "NewStateReason")
	n.RegionName = d.str(o, "Region")
	n.AlarmARN = d.str(o, "AlarmArn")
	n.ConfigurationUpdated = d.timestamp(o, "AlarmConfigurationUpdatedTimestamp", false)
	n.OKActions = d.strs(o, "OKActions")
	n.AlarmActions = d.strs(o, "AlarmActions")
	n.InsufficientDataActions = d.strs(o, "InsufficientDataActions")
	if t, ok := d.obj(o, "Trigger"); ok {
		n.Trigger = d.trigger(t)
	}
	n.AlarmRule = d.str(o, "AlarmRule")
	for _, c := range d.objects(o, "TriggeringChildren") {
		n.TriggeringChildren = append(n.TriggeringChildren, d.child(c))
	}
	if d.err != nil {
		return Notification{}
	}

	n.Kind = d.kind(n)

	if n.AlarmARN != "" {
		arn, problem := parseAlarmARN(n.AlarmARN)
		switch {
		case problem != "":
			d.fail("AlarmArn", "%s", problem)
		case arn.name != n.AlarmName:
			d.fail("AlarmArn", "alarm name %s does not match AlarmName %s", quote(arn.name), quote(n.AlarmName))
		case n.AccountID != "" && arn.account != n.AccountID:
			d.fail("AlarmArn", "account %s does not match AWSAccountId %s", quote(arn.account), quote(n.AccountID))
		}
		n.Region = arn.region
		if n.AccountID == "" {
			n.AccountID = arn.account
		}
	} else {
		n.Region = regionCode(n.RegionName)
	}

	n.Datapoints, n.Threshold = ParseReason(n.Reason)
	if n.Trigger != nil && n.Trigger.Threshold != nil {
		// The configured threshold is authoritative; the reason's copy is
		// rounded prose.
		t := *n.Trigger.Threshold
		n.Threshold = &t
	}
	return n
}

// kind works out which sort of alarm n came from, rejecting messages that
// are neither or both, since the rest of Stepscaler relies on Kind.
func (d *decoder) kind(n Notification) Kind {
	switch t := n.Trigger; {
	case t != nil && n.AlarmRule != "":
		d.fail("AlarmRule", "present alongside Trigger; an alarm is either a metric alarm or a composite alarm")
	case t != nil && t.MetricName != "" && len(t.Metrics) > 0:
		d.fail("Trigger.Metrics", "present alongside Trigger.MetricName; an alarm watches either one metric or a metric-math expression")
	case t != nil && t.MetricName != "":
		return KindMetric
	case t != nil && len(t.Metrics) > 0:
		return KindMetricMath
	case t != nil:
		d.fail("Trigger", "has neither MetricName nor Metrics")
	case n.AlarmRule != "":
		return KindComposite
	default:
		d.fail("Trigger", "missing; a metric alarm's notification has Trigger and a composite alarm's has AlarmRule")
	}
	return ""
}

// checkAlarmName returns what is wrong with name, or "". Names are echoed
// into logs and Step Functions execution input, hence no control characters.
func checkAlarmName(name string) string {
	if name == "" {
		return "missing"
	}
	if n := utf8.RuneCountInString(name); n > MaxAlarmNameLength {
		return "too long (" + strconv.Itoa(n) + " characters, more than " + strconv.Itoa(MaxAlarmNameLength) + ")"
	}
	if i := strings.IndexFunc(name, unicode.IsControl); i >= 0 {
		return "contains a control character at byte " + strconv.Itoa(i) + " (" + quote(name) + ")"
	}
	return ""
}

func (d *decoder) state(o object, key string, required bool) State {
	s := State(d.str(o, key))
	switch {
	case s == "" && required:
		d.fail(o.field(key), "missing")
	case s != "" && !s.Valid():
		d.fail(o.field(key), "not an alarm state (%s); want OK, ALARM or INSUFFICIENT_DATA", quote(string(s)))
		return ""
	}
	return s
}

func (d *decoder) trigger(o object) *Trigger {
	t := &Trigger{
		MetricName:                       d.str(o, "MetricName"),
		Namespace:                        d.str(o, "Namespace"),
		StatisticType:                    d.str(o, "StatisticType"),
		Statistic:                        d.str(o, "Statistic"),
		ExtendedStatistic:                d.str(o, "ExtendedStatistic"),
		Unit:                             d.str(o, "Unit"),
		Dimensions:                       d.dimensions(o, "Dimensions"),
		Period:                           d.count(o, "Period"),
		EvaluationPeriods:                d.count(o, "EvaluationPeriods"),
		DatapointsToAlarm:                d.count(o, "DatapointsToAlarm"),
		ComparisonOperator:               d.str(o, "ComparisonOperator"),
		Threshold:                        d.float(o, "Threshold"),
		ThresholdMetricID:                d.str(o, "ThresholdMetricId"),
		TreatMissingData:                 normalizeTreatMissingData(d.str(o, "TreatMissingData")),
		EvaluateLowSampleCountPercentile: d.str(o, "EvaluateLowSampleCountPercentile"),
	}
	for _, q := range d.objects(o, "Metrics") {
		t.Metrics = append(t.Metrics, d.query(q))
	}
	return t
}

// normalizeTreatMissingData undoes an old formatting bug in which CloudWatch
// wrote the setting as "- TreatMissingData:                    missing".
func normalizeTreatMissingData(s string) string {
	s = strings.TrimSpace(s)
	if rest, ok := strings.CutPrefix(s, "- TreatMissingData:"); ok {
		return strings.TrimSpace(rest)
	}
	return s
}

func (d *decoder) dimensions(o object, key string) []Dimension {
	objs := d.objects(o, key)
	if len(objs) == 0 {
		return nil
	}
	dims := make([]Dimension, 0, len(objs))
	for _, e := range objs {
		// Notifications spell the keys in lower case; the CloudWatch API,
		// which hand-written messages tend to copy, capitalises them.
		name, value := d.str(e, "name"), d.str(e, "value")
		if name == "" {
			name = d.str(e, "Name")
		}
		if value == "" {
			value = d.str(e, "Value")
		}
		dims = append(dims, Dimension{Name: name, Value: value})
	}
	return dims
}

func (d *decoder) query(o object) MetricDataQuery {
	q := MetricDataQuery{
		ID:         d.str(o, "Id"),
		Expression: d.str(o, "Expression"),
		Label:      d.str(o, "Label"),
		ReturnData: d.boolean(o, "ReturnData"),
		Period:     d.count(o, "Period"),
		AccountID:  d.str(o, "AccountId"),
	}
	if ms, ok := d.obj(o, "MetricStat"); ok {
		q.MetricStat = &MetricStat{
			Period: d.count(ms, "Period"),
			Stat:   d.str(ms, "Stat"),
			Unit:   d.str(ms, "Unit"),
		}
		if m, ok := d.obj(ms, "Metric"); ok {
			q.MetricStat.Metric = Metric{
				Namespace:  d.str(m, "Namespace"),
				MetricName: d.str(m, "MetricName"),
				Dimensions: d.dimensions(m, "Dimensions"),
			}
		}
	}
	switch {
	case q.ID == "":
		d.fail(o.field("Id"), "missing")
	case q.Expression != "" && q.MetricStat != nil:
		d.fail(o.path, "has both Expression and MetricStat")
	case q.Expression == "" && q.MetricStat == nil:
		d.fail(o.path, "has neither Expression nor MetricStat")
	}
	return q
}

func (d *decoder) child(o object) Child {
	c := Child{ARN: d.str(o, "Arn")}
	if s, ok := d.obj(o, "State"); ok {
		c.State = d.state(s, "Value", false)
		c.Timestamp = d.timestamp(s, "Timestamp", false)
	}
	return c
}

// IsAccountID reports whether s is an AWS account ID: twelve decimal digits.
func IsAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
