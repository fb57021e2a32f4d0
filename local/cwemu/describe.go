package cwemu

import (
	"encoding/base64"
	"encoding/json"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"
)

// DescribeAlarms limits: "The maximum number of alarm descriptions to retrieve" is 1 to
// 100 (a real ValidationError says "Value '999' at 'maxRecords' failed to satisfy
// constraint: Member must have value less than or equal to 100"), 50 when omitted (as
// the real service pages, boto issue #3036), and AlarmNames holds at most 100 names.
const (
	defaultMaxRecords = 50
	maxMaxRecords     = 100
	maxAlarmNames     = 100
)

var alarmTypes = []string{"CompositeAlarm", "MetricAlarm", "LogAlarm"}

// describeAlarms lists alarms, as the DescribeAlarms API Reference says:
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_DescribeAlarms.html
// "If you omit this parameter [AlarmTypes], only metric alarms are returned, even if
// composite alarms or log alarms exist in the account." Alarms come in name order,
// metric alarms first, and MaxRecords counts both kinds together; NextToken continues
// after the last alarm returned. The emulator has no log alarms, so asking for them
// returns none.
func (e *Emulator) describeAlarms(c *call, in *describeAlarmsInput) (describeAlarmsOutput, error) {
	f, err := alarmFilter(in)
	if err != nil {
		return describeAlarmsOutput{}, err
	}
	start := pageToken{}
	if in.NextToken != nil {
		if start, err = readPageToken(*in.NextToken); err != nil {
			return describeAlarmsOutput{}, err
		}
	}
	var matches []*alarm
	for _, a := range e.alarms {
		if f.match(a) {
			matches = append(matches, a)
		}
	}
	sort.Slice(matches, func(i, j int) bool { return alarmOrder(matches[i]) < alarmOrder(matches[j]) })
	from := sort.Search(len(matches), func(i int) bool { return alarmOrder(matches[i]) > start.After })
	page := matches[from:min(from+f.maxRecords, len(matches))]
	out := describeAlarmsOutput{MetricAlarms: []wireMetricAlarm{}, CompositeAlarms: []wireCompositeAlarm{}}
	for _, a := range page {
		if a.metric != nil {
			out.MetricAlarms = append(out.MetricAlarms, describeMetricAlarm(a))
		} else {
			out.CompositeAlarms = append(out.CompositeAlarms, describeCompositeAlarm(a))
		}
	}
	if from+len(page) < len(matches) {
		out.NextToken = pageToken{After: alarmOrder(page[len(page)-1])}.String()
	}
	return out, nil
}

// alarmOrder sorts metric alarms before composite alarms, each kind by name.
func alarmOrder(a *alarm) string {
	if a.metric != nil {
		return "0" + a.name
	}
	return "1" + a.name
}

type describeFilter struct {
	names        []string
	prefix       string
	metric       bool
	composite    bool
	state        string
	actionPrefix string
	maxRecords   int
}

func alarmFilter(in *describeAlarmsInput) (describeFilter, error) {
	f := describeFilter{names: in.AlarmNames, state: in.StateValue, maxRecords: defaultMaxRecords}
	switch {
	case len(in.AlarmNames) > maxAlarmNames:
		return f, lengthAtMost("["+strings.Join(in.AlarmNames, ", ")+"]", "alarmNames", maxAlarmNames)
	case in.AlarmNamePrefix != nil && len(in.AlarmNames) > 0:
		return f, invalidCombination("AlarmNamePrefix and AlarmNames.member are mutually exclusive")
	case in.ChildrenOfAlarmName != nil || in.ParentsOfAlarmName != nil:
		return f, unsupported("ChildrenOfAlarmName and ParentsOfAlarmName")
	case in.StateValue != "" && !slices.Contains(stateValues, in.StateValue):
		return f, enumValue(in.StateValue, "stateValue", stateValues)
	}
	for _, name := range in.AlarmNames {
		if n := utf8.RuneCountInString(name); n < 1 || n > 255 {
			return f, constraint(name, "alarmNames.member", "have length between 1 and 255")
		}
	}
	if p := in.AlarmNamePrefix; p != nil {
		if n := utf8.RuneCountInString(*p); n < 1 || n > 255 {
			return f, constraint(*p, "alarmNamePrefix", "have length between 1 and 255")
		}
		f.prefix = *p
	}
	if p := in.ActionPrefix; p != nil {
		if n := len(*p); n < 1 || n > 1024 {
			return f, constraint(*p, "actionPrefix", "have length between 1 and 1024")
		}
		f.actionPrefix = *p
	}
	if in.MaxRecords != nil {
		switch n := *in.MaxRecords; {
		case n < 1:
			return f, valueAtLeast(n, "maxRecords", 1)
		case n > maxMaxRecords:
			return f, valueAtMost(n, "maxRecords", maxMaxRecords)
		}
		f.maxRecords = int(*in.MaxRecords)
	}
	f.metric = len(in.AlarmTypes) == 0
	for _, t := range in.AlarmTypes {
		switch t {
		case "MetricAlarm":
			f.metric = true
		case "CompositeAlarm":
			f.composite = true
		case "LogAlarm":
		default:
			return f, enumValue(t, "alarmTypes.member", alarmTypes)
		}
	}
	return f, nil
}

func (f describeFilter) match(a *alarm) bool {
	switch {
	case a.metric != nil && !f.metric, a.composite != nil && !f.composite:
		return false
	case len(f.names) > 0 && !slices.Contains(f.names, a.name):
		return false
	case f.prefix != "" && !strings.HasPrefix(a.name, f.prefix):
		return false
	case f.state != "" && string(a.state) != f.state:
		return false
	case f.actionPrefix != "" && !a.actions.any(func(arn string) bool { return strings.HasPrefix(arn, f.actionPrefix) }):
		return false
	}
	return true
}

// pageToken is the opaque NextToken: where the next page starts.
type pageToken struct {
	After string `json:"after"`
}

func (t pageToken) String() string {
	b, _ := json.Marshal(t) // a string field: cannot fail
	return base64.RawURLEncoding.EncodeToString(b)
}

func readPageToken(s string) (pageToken, error) {
	var t pageToken
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || json.Unmarshal(b, &t) != nil || t.After == "" {
		return pageToken{}, errorf("InvalidNextToken", "The service returned an invalid NextToken.")
	}
	return t, nil
}

func describeMetricAlarm(a *alarm) wireMetricAlarm {
	m := a.metric
	w := wireMetricAlarm{
		AlarmName:                          a.name,
		AlarmArn:                           a.arn,
		AlarmDescription:                   a.description,
		AlarmConfigurationUpdatedTimestamp: epochTime(a.configUpdated),
		ActionsEnabled:                     a.actionsEnabled,
		OKActions:                          clone(a.actions.ok),
		AlarmActions:                       clone(a.actions.alarm),
		InsufficientDataActions:            clone(a.actions.insufficientData),
		StateValue:                         string(a.state),
		StateReason:                        a.reason,
		StateReasonData:                    a.reasonData,
		StateUpdatedTimestamp:              epochTime(a.stateUpdated),
		StateTransitionedTimestamp:         epochTime(a.stateTransitioned),
		EvaluationPeriods:                  int32(m.evaluationPeriods),
		DatapointsToAlarm:                  m.datapointsToAlarm,
		Threshold:                          m.threshold,
		ComparisonOperator:                 m.comparisonOperator,
		TreatMissingData:                   m.treatMissingData,
		EvaluateLowSampleCountPercentile:   m.lowSampleCount,
		ThresholdMetricID:                  m.thresholdMetricID,
	}
	if m.math() {
		for _, q := range m.queries {
			w.Metrics = append(w.Metrics, q.wire)
		}
		return w
	}
	w.MetricName, w.Namespace, w.Dimensions = m.ref.name, m.ref.namespace, m.ref.dims
	w.Statistic, w.ExtendedStatistic, w.Unit = m.statistic, m.extendedStatistic, m.unit
	w.Period = ptr(int32(m.period))
	return w
}

func describeCompositeAlarm(a *alarm) wireCompositeAlarm {
	return wireCompositeAlarm{
		AlarmName:                          a.name,
		AlarmArn:                           a.arn,
		AlarmDescription:                   a.description,
		AlarmConfigurationUpdatedTimestamp: epochTime(a.configUpdated),
		ActionsEnabled:                     a.actionsEnabled,
		OKActions:                          clone(a.actions.ok),
		AlarmActions:                       clone(a.actions.alarm),
		InsufficientDataActions:            clone(a.actions.insufficientData),
		AlarmRule:                          a.composite.ruleText,
		StateValue:                         string(a.state),
		StateReason:                        a.reason,
		StateReasonData:                    a.reasonData,
		StateUpdatedTimestamp:              epochTime(a.stateUpdated),
		StateTransitionedTimestamp:         epochTime(a.stateTransitioned),
	}
}
