package stepscaler

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/stepscaler/stepscaler/internal/config"
)

// Config is the scaling configuration as Go values: the configuration file's format
// (config/stepscaler.schema.json, docs/deploy.md) field for field, with the same JSON
// names, so that a Config and the file it encodes to mean the same thing. The construct
// validates it exactly as it validates a file, by encoding it to JSON and parsing that
// with the functions' own parser, and ships that JSON with every function.
//
// An optional field is a pointer (or an omitted string, slice or map): nil leaves it out,
// which is not the same as zero (an adjustment left out is 1; cooldownSeconds: 0 is no
// cooldown).
type Config struct {
	Services []Service `json:"services"`
	// AlarmSources lists the accounts and Regions, other than the deployment's own,
	// whose alarms may notify Stepscaler.
	AlarmSources []AlarmSource `json:"alarmSources,omitempty"`
	// Schema is the file's $schema; it means nothing to Stepscaler.
	Schema string `json:"$schema,omitempty"`
}

// AlarmSource is an account and Region whose alarms may notify Stepscaler.
type AlarmSource struct {
	AccountID string `json:"accountId"`
	Region    string `json:"region"`
}

// Service is one ECS service and the alarms that scale it.
type Service struct {
	Cluster     string  `json:"cluster"`
	Service     string  `json:"service"`
	MinCapacity int     `json:"minCapacity"`
	MaxCapacity int     `json:"maxCapacity"`
	DryRun      bool    `json:"dryRun,omitempty"`
	Alarms      []Alarm `json:"alarms"`
	// ScheduledActions change minCapacity and maxCapacity at set times, as Application
	// Auto Scaling's scheduled actions do.
	ScheduledActions []ScheduledAction `json:"scheduledActions,omitempty"`
	// Preset scales the service with a named preset (latency-first, balanced,
	// cost-first): the construct creates the preset's two alarms on its metric.
	Preset *Preset `json:"preset,omitempty"`
}

// Preset is a named policy preset and what it needs to know of the service
// (docs/configuration.md, Presets).
type Preset struct {
	Name   string        `json:"name"`
	Metric *PresetMetric `json:"metric"`
	// CapacityPerTask is the metric's value when one task is fully used.
	CapacityPerTask *float64 `json:"capacityPerTask"`
	// TargetUtilizationPercent is the target in percent of CapacityPerTask; nil takes the
	// preset's own.
	TargetUtilizationPercent *float64 `json:"targetUtilizationPercent,omitempty"`
	// StartupSeconds is how long a new task takes to serve; nil is 60.
	StartupSeconds *int `json:"startupSeconds,omitempty"`
	// AlarmNamePrefix names the two alarms; "" is stepscaler-<cluster>-<service>.
	AlarmNamePrefix string `json:"alarmNamePrefix,omitempty"`
}

// PresetMetric is the per-task metric a preset's alarms watch, published at high
// resolution: one metric or metric math, without period or threshold.
type PresetMetric struct {
	Namespace  string            `json:"namespace,omitempty"`
	MetricName string            `json:"metricName,omitempty"`
	Dimensions map[string]string `json:"dimensions,omitempty"`
	Statistic  string            `json:"statistic,omitempty"`
	Expression string            `json:"expression,omitempty"`
	Label      string            `json:"label,omitempty"`
	Metrics    []MetricQuery     `json:"metrics,omitempty"`
}

// ScheduledAction is one scheduled action of a service.
type ScheduledAction struct {
	ScheduledActionName string `json:"scheduledActionName"`
	// Schedule is at(yyyy-mm-ddThh:mm:ss), rate(value unit) or
	// cron(minutes hours day-of-month month day-of-week year).
	Schedule string `json:"schedule"`
	// Timezone is the IANA time zone an at or cron expression is read in; UTC if left out.
	Timezone string `json:"timezone,omitempty"`
	// StartTime and EndTime bound a recurring schedule (RFC 3339).
	StartTime            string                `json:"startTime,omitempty"`
	EndTime              string                `json:"endTime,omitempty"`
	ScalableTargetAction *ScalableTargetAction `json:"scalableTargetAction"`
}

// ScalableTargetAction is the bounds a scheduled action sets: both, or one of them.
type ScalableTargetAction struct {
	MinCapacity *int `json:"minCapacity,omitempty"`
	MaxCapacity *int `json:"maxCapacity,omitempty"`
}

// Alarm is one CloudWatch alarm and the step it takes in ALARM.
type Alarm struct {
	AlarmName string `json:"alarmName"`
	// Direction is "out" or "in".
	Direction string `json:"direction"`
	// AlarmType is "metric" (the default) or "composite".
	AlarmType string `json:"alarmType,omitempty"`
	// AdjustmentType is ChangeInCapacity (the default), PercentChangeInCapacity,
	// ExactCapacity or TargetRatio.
	AdjustmentType         string           `json:"adjustmentType,omitempty"`
	Adjustment             *int             `json:"adjustment,omitempty"`
	StepAdjustments        []StepAdjustment `json:"stepAdjustments,omitempty"`
	MinAdjustmentMagnitude *int             `json:"minAdjustmentMagnitude,omitempty"`
	TargetValue            *float64         `json:"targetValue,omitempty"`
	Tolerance              *float64         `json:"tolerance,omitempty"`
	ScaleLimit             *ScaleLimit      `json:"scaleLimit,omitempty"`
	// ScaleInStabilizationWindowSeconds (TargetRatio scale-in) and ScaleOutLeadSeconds
	// (TargetRatio scale-out) are described in docs/configuration.md.
	ScaleInStabilizationWindowSeconds *int `json:"scaleInStabilizationWindowSeconds,omitempty"`
	ScaleOutLeadSeconds               *int `json:"scaleOutLeadSeconds,omitempty"`
	CooldownSeconds                   *int `json:"cooldownSeconds,omitempty"`
	StabilizationTimeoutSeconds       *int `json:"stabilizationTimeoutSeconds,omitempty"`
	PollIntervalSeconds               *int `json:"pollIntervalSeconds,omitempty"`
	// MetricAggregationType is Average (the default), Minimum or Maximum.
	MetricAggregationType string `json:"metricAggregationType,omitempty"`
	// Metric, when given, makes the construct create the alarm; without it the alarm
	// must exist and have the topic as an alarm action.
	Metric *Metric `json:"metric,omitempty"`
}

// StepAdjustment is one step of stepAdjustments; a bound left out is infinite.
type StepAdjustment struct {
	MetricIntervalLowerBound *float64 `json:"metricIntervalLowerBound,omitempty"`
	MetricIntervalUpperBound *float64 `json:"metricIntervalUpperBound,omitempty"`
	ScalingAdjustment        *int     `json:"scalingAdjustment"`
}

// ScaleLimit bounds one TargetRatio step.
type ScaleLimit struct {
	MaxTasks   *int `json:"maxTasks,omitempty"`
	MaxPercent *int `json:"maxPercent,omitempty"`
}

// Metric is the alarm the construct creates: one metric (Namespace, MetricName,
// Dimensions, Statistic) or metric math (Expression over Metrics), as PutMetricAlarm
// takes them.
type Metric struct {
	Namespace          string            `json:"namespace,omitempty"`
	MetricName         string            `json:"metricName,omitempty"`
	Dimensions         map[string]string `json:"dimensions,omitempty"`
	Statistic          string            `json:"statistic,omitempty"`
	Expression         string            `json:"expression,omitempty"`
	Label              string            `json:"label,omitempty"`
	Metrics            []MetricQuery     `json:"metrics,omitempty"`
	PeriodSeconds      int               `json:"periodSeconds"`
	Threshold          float64           `json:"threshold"`
	ComparisonOperator string            `json:"comparisonOperator"`
	EvaluationPeriods  int               `json:"evaluationPeriods"`
	DatapointsToAlarm  int               `json:"datapointsToAlarm,omitempty"`
	TreatMissingData   string            `json:"treatMissingData,omitempty"`
}

// MetricQuery is one metric a math expression refers to by ID.
type MetricQuery struct {
	ID         string            `json:"id"`
	Namespace  string            `json:"namespace"`
	MetricName string            `json:"metricName"`
	Dimensions map[string]string `json:"dimensions,omitempty"`
	Statistic  string            `json:"statistic"`
}

// configName is how a configuration given as Go values is named in validation messages.
const configName = "Props.Config"

// scalingConfig is the props' configuration, validated, and the JSON file every function
// is deployed with: the file's own bytes when the props name one, Config encoded when it
// is given as values.
func scalingConfig(p *Props) (*config.Config, []byte, error) {
	switch {
	case p.Config != nil && p.ConfigFile != "":
		return nil, nil, fmt.Errorf("give the scaling configuration as Config or as ConfigFile, not both")
	case p.Config != nil:
		data, err := json.MarshalIndent(p.Config, "", "  ")
		if err != nil {
			return nil, nil, fmt.Errorf("encode %s: %w", configName, err)
		}
		cfg, err := config.Parse(configName, data)
		if err != nil {
			return nil, nil, err
		}
		return cfg, append(data, '\n'), nil
	case p.ConfigFile != "":
		data, err := os.ReadFile(p.ConfigFile)
		if err != nil {
			return nil, nil, fmt.Errorf("read scaling config %s: %w", p.ConfigFile, err)
		}
		cfg, err := config.Parse(p.ConfigFile, data)
		if err != nil {
			return nil, nil, err
		}
		return cfg, data, nil
	}
	return nil, nil, fmt.Errorf("the scaling configuration is missing: give Config or ConfigFile")
}
