package aas

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// The shapes below are the JSON the AWS CLI prints for the four commands, field for field
// as the API References give them (DescribeScalableTargets, DescribeScalingPolicies and
// DescribeScheduledActions, Application Auto Scaling API Reference; DescribeAlarms, Amazon
// CloudWatch API Reference). Only the fields the import reads are declared; AWS adds fields
// over time, so others are ignored rather than refused.

// ScalableTarget is one element of describe-scalable-targets' ScalableTargets.
type ScalableTarget struct {
	ServiceNamespace  string
	ResourceID        string `json:"ResourceId"`
	ScalableDimension string
	MinCapacity       *int
	MaxCapacity       *int
	SuspendedState    *SuspendedState
}

// SuspendedState says which scaling AAS has suspended for a target.
type SuspendedState struct {
	DynamicScalingInSuspended  bool
	DynamicScalingOutSuspended bool
	ScheduledScalingSuspended  bool
}

// ScalingPolicy is one element of describe-scaling-policies' ScalingPolicies.
type ScalingPolicy struct {
	PolicyARN                                string
	PolicyName                               string
	ServiceNamespace                         string
	ResourceID                               string `json:"ResourceId"`
	ScalableDimension                        string
	PolicyType                               string
	StepScalingPolicyConfiguration           *StepScalingPolicyConfiguration
	TargetTrackingScalingPolicyConfiguration *TargetTrackingScalingPolicyConfiguration
	Alarms                                   []PolicyAlarm
}

// PolicyAlarm is an alarm AAS lists as invoking a policy.
type PolicyAlarm struct {
	AlarmName string
	AlarmARN  string
}

// StepScalingPolicyConfiguration is a step scaling policy's configuration.
type StepScalingPolicyConfiguration struct {
	AdjustmentType         string
	StepAdjustments        []StepAdjustment
	MinAdjustmentMagnitude *int
	Cooldown               *int
	MetricAggregationType  string
}

// StepAdjustment is one step: bounds relative to the alarm threshold (nil is infinite)
// and a signed adjustment.
type StepAdjustment struct {
	MetricIntervalLowerBound *float64
	MetricIntervalUpperBound *float64
	ScalingAdjustment        *int
}

// TargetTrackingScalingPolicyConfiguration is a target tracking policy's configuration.
type TargetTrackingScalingPolicyConfiguration struct {
	TargetValue                   *float64
	PredefinedMetricSpecification *struct {
		PredefinedMetricType string
		ResourceLabel        string
	}
	CustomizedMetricSpecification json.RawMessage
	ScaleOutCooldown              *int
	ScaleInCooldown               *int
	DisableScaleIn                bool
}

// ScheduledAction is one element of describe-scheduled-actions' ScheduledActions.
type ScheduledAction struct {
	ScheduledActionName  string
	ServiceNamespace     string
	Schedule             string
	Timezone             string
	ResourceID           string `json:"ResourceId"`
	ScalableDimension    string
	StartTime            *Timestamp
	EndTime              *Timestamp
	ScalableTargetAction *struct {
		MinCapacity *int
		MaxCapacity *int
	}
	CreationTime *Timestamp
}

// Alarms is what describe-alarms prints: metric alarms, and composite alarms when asked for.
type Alarms struct {
	MetricAlarms    []MetricAlarm
	CompositeAlarms []struct{ AlarmName string }
}

// MetricAlarm is one of describe-alarms' MetricAlarms.
type MetricAlarm struct {
	AlarmName          string
	AlarmActions       []string
	Namespace          string
	MetricName         string
	Dimensions         []Dimension
	Statistic          string
	ExtendedStatistic  string
	Unit               string
	Period             int
	EvaluationPeriods  int
	DatapointsToAlarm  int
	Threshold          *float64
	ThresholdMetricID  string `json:"ThresholdMetricId"`
	ComparisonOperator string
	TreatMissingData   string
	Metrics            []MetricDataQuery
}

// Dimension is a metric dimension.
type Dimension struct {
	Name  string
	Value string
}

// MetricDataQuery is one query of a metric math alarm.
type MetricDataQuery struct {
	ID         string `json:"Id"`
	Expression string
	Label      string
	ReturnData *bool
	AccountID  string `json:"AccountId"`
	Period     int
	MetricStat *struct {
		Metric struct {
			Namespace  string
			MetricName string
			Dimensions []Dimension
		}
		Period int
		Stat   string
		Unit   string
	}
}

// Timestamp is a time as the AWS CLI prints it: seconds since the epoch (version 1, and
// version 2 with cli_timestamp_format wire) or an ISO 8601 string (version 2's default).
type Timestamp struct{ time.Time }

// UnmarshalJSON reads either form.
func (t *Timestamp) UnmarshalJSON(b []byte) error {
	var n json.Number
	if err := json.Unmarshal(b, &n); err == nil {
		f, err := strconv.ParseFloat(string(n), 64)
		if err != nil {
			return err
		}
		sec, frac := int64(f), f-float64(int64(f))
		t.Time = time.Unix(sec, int64(frac*1e9)).UTC().Round(time.Millisecond)
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("a time is a number of seconds or an ISO 8601 string, got %s", b)
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999-0700", "2006-01-02T15:04:05"} {
		if parsed, err := time.Parse(layout, s); err == nil {
			t.Time = parsed.UTC()
			return nil
		}
	}
	return fmt.Errorf("%q is not an ISO 8601 time", s)
}

// Document is one CLI output file, read: its items, and whether the CLI printed a
// NextToken, meaning the file holds one page of several.
type Document[T any] struct {
	Items     []T
	NextToken bool
}

// ReadScalableTargets reads `aws application-autoscaling describe-scalable-targets` output.
func ReadScalableTargets(name string, r io.Reader) (Document[ScalableTarget], error) {
	return readList[ScalableTarget](name, r, "ScalableTargets", "aws application-autoscaling describe-scalable-targets")
}

// ReadScalingPolicies reads `aws application-autoscaling describe-scaling-policies` output,
// whole or filtered with --query 'ScalingPolicies[...]' (a bare list), as AAS's guide shows.
func ReadScalingPolicies(name string, r io.Reader) (Document[ScalingPolicy], error) {
	return readList[ScalingPolicy](name, r, "ScalingPolicies", "aws application-autoscaling describe-scaling-policies")
}

// ReadScheduledActions reads `aws application-autoscaling describe-scheduled-actions` output.
func ReadScheduledActions(name string, r io.Reader) (Document[ScheduledAction], error) {
	return readList[ScheduledAction](name, r, "ScheduledActions", "aws application-autoscaling describe-scheduled-actions")
}

// ReadAlarms reads `aws cloudwatch describe-alarms` output.
func ReadAlarms(name string, r io.Reader) (Alarms, bool, error) {
	const command = "aws cloudwatch describe-alarms"
	top, err := readObject(name, r, command)
	if err != nil {
		return Alarms{}, false, err
	}
	metric, hasMetric := top["MetricAlarms"]
	composite, hasComposite := top["CompositeAlarms"]
	if !hasMetric && !hasComposite {
		return Alarms{}, false, fmt.Errorf("%s is not the output of %s: it has no MetricAlarms", name, command)
	}
	var a Alarms
	if hasMetric {
		if a.MetricAlarms, err = decodeItems[MetricAlarm](name, "MetricAlarms", metric); err != nil {
			return Alarms{}, false, err
		}
	}
	if hasComposite {
		var items []struct{ AlarmName string }
		if items, err = decodeItems[struct{ AlarmName string }](name, "CompositeAlarms", composite); err != nil {
			return Alarms{}, false, err
		}
		a.CompositeAlarms = items
	}
	return a, hasNextToken(top), nil
}

// readList reads a CLI output whose items are under key, or a bare list of them.
func readList[T any](name string, r io.Reader, key, command string) (Document[T], error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return Document[T]{}, fmt.Errorf("read %s: %w", name, err)
	}
	if trimmed := bytes.TrimSpace(data); len(trimmed) > 0 && trimmed[0] == '[' {
		items, err := decodeItems[T](name, "", trimmed)
		return Document[T]{Items: items}, err
	}
	top, err := readObject(name, bytes.NewReader(data), command)
	if err != nil {
		return Document[T]{}, err
	}
	raw, ok := top[key]
	if !ok {
		return Document[T]{}, fmt.Errorf("%s is not the output of %s: it has no %s", name, command, key)
	}
	items, err := decodeItems[T](name, key, raw)
	return Document[T]{Items: items, NextToken: hasNextToken(top)}, err
}

func readObject(name string, r io.Reader, command string) (map[string]json.RawMessage, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		var syntax *json.SyntaxError
		if errors.As(err, &syntax) {
			return nil, fmt.Errorf("%s is not JSON (at byte %d: %v); give the output of %s with --output json", name, syntax.Offset, err, command)
		}
		return nil, fmt.Errorf("%s is not the output of %s: %v", name, command, err)
	}
	if top == nil {
		return nil, fmt.Errorf("%s is not the output of %s: it is null", name, command)
	}
	return top, nil
}

// decodeItems decodes a list element by element, so an error names the element:
// "ScalingPolicies[2]: ... field StepScalingPolicyConfiguration.Cooldown".
func decodeItems[T any](name, key string, raw json.RawMessage) ([]T, error) {
	var elems []json.RawMessage
	if err := json.Unmarshal(raw, &elems); err != nil {
		return nil, fmt.Errorf("%s: %s: expected a list: %v", name, orTop(key), err)
	}
	items := make([]T, 0, len(elems))
	for i, e := range elems {
		var item T
		if err := json.Unmarshal(e, &item); err != nil {
			return nil, fmt.Errorf("%s: %s[%d]: %s", name, key, i, describeDecodeError(err))
		}
		items = append(items, item)
	}
	return items, nil
}

func describeDecodeError(err error) string {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		return fmt.Sprintf("%s: expected %s, got a JSON %s", typeErr.Field, typeErr.Type, typeErr.Value)
	}
	return err.Error()
}

func orTop(key string) string {
	if key == "" {
		return "the top level"
	}
	return key
}

// hasNextToken reports a non-empty NextToken: the CLI printed one page (--max-items or
// --no-paginate), and the file lacks the rest.
func hasNextToken(top map[string]json.RawMessage) bool {
	raw, ok := top["NextToken"]
	if !ok {
		return false
	}
	var s string
	return json.Unmarshal(raw, &s) == nil && strings.TrimSpace(s) != ""
}
