package stepscaler

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/stepscaler/stepscaler/internal/config"
)

// The configuration uses CloudWatch's PutMetricAlarm spelling; the CDK its own enum names.
var (
	comparisonOperators = map[string]awscloudwatch.ComparisonOperator{
		"GreaterThanOrEqualToThreshold": awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
		"GreaterThanThreshold":          awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD,
		"LessThanThreshold":             awscloudwatch.ComparisonOperator_LESS_THAN_THRESHOLD,
		"LessThanOrEqualToThreshold":    awscloudwatch.ComparisonOperator_LESS_THAN_OR_EQUAL_TO_THRESHOLD,
	}
	treatMissingData = map[string]awscloudwatch.TreatMissingData{
		"breaching":    awscloudwatch.TreatMissingData_BREACHING,
		"notBreaching": awscloudwatch.TreatMissingData_NOT_BREACHING,
		"ignore":       awscloudwatch.TreatMissingData_IGNORE,
		"missing":      awscloudwatch.TreatMissingData_MISSING,
	}
)

// newConfiguredAlarms creates, with the topic as their alarm action, the alarms whose
// configuration gives a metric. An alarm without one must exist already; docs/deploy.md
// shows how to add the topic to it. Each alarm's construct id, and so its logical id, is
// derived from its name (alarmConstructID): removing or reordering alarms in the
// configuration leaves every other alarm as it is. It returns the alarms it created, by
// name.
func newConfiguredAlarms(scope constructs.Construct, cfg *config.Config, topic awssns.ITopic) map[string]awscloudwatch.Alarm {
	action := awscloudwatchactions.NewSnsAction(topic)
	created := map[string]awscloudwatch.Alarm{}
	for _, s := range cfg.Services {
		for _, a := range s.Alarms {
			if a.Metric == nil {
				continue
			}
			m := a.Metric
			datapoints := m.DatapointsToAlarm
			if datapoints == 0 {
				datapoints = m.EvaluationPeriods
			}
			from := "the scaling configuration"
			if p := a.PresetName(); p != "" {
				from = "the scaling configuration's preset " + p
			}
			props := &awscloudwatch.AlarmProps{
				AlarmName: jsii.String(a.AlarmName),
				AlarmDescription: jsii.String(fmt.Sprintf("Stepscaler: scales ECS service %s/%s %s (created from %s)",
					s.Cluster, s.Service, a.Direction, from)),
				Metric:             alarmMetric(m),
				Threshold:          jsii.Number(m.Threshold),
				ComparisonOperator: comparisonOperators[m.ComparisonOperator],
				EvaluationPeriods:  jsii.Number(float64(m.EvaluationPeriods)),
				DatapointsToAlarm:  jsii.Number(float64(datapoints)),
			}
			if m.TreatMissingData != "" {
				props.TreatMissingData = treatMissingData[m.TreatMissingData]
			}
			alarm := awscloudwatch.NewAlarm(scope, jsii.String(alarmConstructID(a.AlarmName)), props)
			alarm.AddAlarmAction(action)
			created[a.AlarmName] = alarm
		}
	}
	return created
}

// alarmIDWords bounds the part of a construct id taken from the alarm's name: the hash
// keeps ids apart, the words only make the template readable, and CloudFormation's logical
// ids are limited to 255 characters.
const alarmIDWords = 64

// alarmConstructID is the construct id of the configured alarm called name:
// "ConfiguredAlarm", the name's letters and digits (each run of other characters starts a
// new capitalized word), at most alarmIDWords of them, and the first 8 hexadecimal digits
// of the name's SHA-256. Names are unique in a configuration, and the hash keeps two names
// apart that differ only in the characters dropped ("api-high", "api_high") or beyond the
// words kept; checkAlarmIDs refuses a configuration where two ids would still coincide.
// The id depends on the name alone, never on the alarm's position.
func alarmConstructID(name string) string {
	var b strings.Builder
	upper := true
	for _, r := range name {
		if b.Len() >= alarmIDWords {
			break
		}
		if r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			if upper {
				r = unicode.ToUpper(r)
			}
			b.WriteRune(r)
			upper = false
			continue
		}
		upper = true
	}
	sum := sha256.Sum256([]byte(name))
	return "ConfiguredAlarm" + b.String() + strings.ToUpper(hex.EncodeToString(sum[:4]))
}

// checkAlarmIDs refuses a configuration in which two alarms the stack creates would get the
// same construct id.
func checkAlarmIDs(cfg *config.Config) error {
	seen := map[string]string{}
	for _, s := range cfg.Services {
		for _, a := range s.Alarms {
			if a.Metric == nil {
				continue
			}
			id := alarmConstructID(a.AlarmName)
			if other, dup := seen[id]; dup {
				return fmt.Errorf("alarms %q and %q would share the construct id %s; rename one of them", other, a.AlarmName, id)
			}
			seen[id] = a.AlarmName
		}
	}
	return nil
}

// alarmMetric is the alarm's single metric or metric math expression. A math expression's
// period applies to every metric it uses.
func alarmMetric(m *config.Metric) awscloudwatch.IMetric {
	period := awscdk.Duration_Seconds(jsii.Number(float64(m.PeriodSeconds)))
	if m.Expression == "" {
		return awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
			Namespace:     jsii.String(m.Namespace),
			MetricName:    jsii.String(m.MetricName),
			DimensionsMap: dimensions(m.Dimensions),
			Statistic:     jsii.String(m.Statistic),
			Period:        period,
		})
	}
	using := map[string]awscloudwatch.IMetric{}
	for _, q := range m.Metrics {
		using[q.ID] = awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
			Namespace:     jsii.String(q.Namespace),
			MetricName:    jsii.String(q.MetricName),
			DimensionsMap: dimensions(q.Dimensions),
			Statistic:     jsii.String(q.Statistic),
			Period:        period,
		})
	}
	props := &awscloudwatch.MathExpressionProps{
		Expression:   jsii.String(m.Expression),
		UsingMetrics: &using,
		Period:       period,
	}
	if m.Label != "" {
		props.Label = jsii.String(m.Label)
	}
	return awscloudwatch.NewMathExpression(props)
}

func dimensions(d map[string]string) *map[string]*string {
	if len(d) == 0 {
		return nil
	}
	out := make(map[string]*string, len(d))
	for k, v := range d {
		out[k] = jsii.String(v)
	}
	return &out
}
