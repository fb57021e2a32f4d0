package stepscaler

import (
	"strconv"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/stepscaler/stepscaler/internal/deploy"
	"github.com/stepscaler/stepscaler/internal/lambdaenv"
	"github.com/stepscaler/stepscaler/internal/metrics"
)

const (
	// memoryMB is every function's memory. The handlers are small static Go binaries that
	// wait on one or two AWS API calls: 128 MB (Lambda's minimum) holds them several times
	// over, and a Go binary has no interpreter or JIT to warm up, so init stays short even
	// with the small CPU share that 128 MB buys. More memory would only bill idle waiting;
	// check "Init Duration" in the REPORT log lines before raising it.
	memoryMB = 128
	// logRetention applies to every function's and the state machine's log group.
	logRetention = awslogs.RetentionDays_ONE_MONTH
	// activityRetentionDays is how long record-outcome keeps an activity record (TTL).
	activityRetentionDays = "42"
)

// Environment variable names shared with the functions (internal/lambdaenv and each
// function's main read the same names).
const (
	envTable             = "STEPSCALER_TABLE"
	envStateMachineArn   = "STATE_MACHINE_ARN"
	envConfig            = "STEPSCALER_CONFIG"
	envActivityRetention = "ACTIVITY_RETENTION_DAYS"
	// configFile is the scaling configuration's name in every function's asset, beside
	// bootstrap: STEPSCALER_CONFIG names it relative to the code directory
	// (lambdaenv.ScalingConfig), so every step applies the configuration that was deployed.
	configFile = "stepscaler.json"
)

// ecsAccess is what a task function may do to the configured ECS services.
type ecsAccess int

const (
	ecsNone ecsAccess = iota
	ecsDescribe
	ecsUpdate
)

// taskSpec describes one state machine task function.
type taskSpec struct {
	name        string // folder under functions/
	id          string // construct id; the ASL placeholder is ${<id>FunctionArn}
	description string
	// The function's timeout is deploy.Timeout(name), which the local stack applies too.
	// The Task's TimeoutSeconds in the ASL must exceed it (checked at synth, see
	// checkTaskTimeouts): a function timeout then reaches the state machine as
	// Lambda.Unknown, which the ASL retries.
	tableActions []string // DynamoDB actions on the table; none means no table access
	ecs          ecsAccess
	// describeAlarms grants cloudwatch:DescribeAlarms on the configured alarms (see
	// describeAlarmsResources for when that has to be "*").
	describeAlarms bool
	// metricData grants cloudwatch:GetMetricData, which supports no resource-level
	// permissions (see getMetricDataStatement).
	metricData bool
}

// taskSpecs are the state machine's task functions, in workflow order.
//
// DynamoDB actions: acquire-lease's conditional lease write is UpdateItem, and when the
// lease is held it reads the state item with GetItem. record-outcome writes the cooldown
// (UpdateItem), the activity (PutItem) and the not-scaled mark (UpdateItem), then releases
// the lease with a conditional UpdateItem. The derived-permissions test
// (permissions_test.go) runs every handler against the emulators and checks that these
// lists are exactly the actions their calls need.
var taskSpecs = []taskSpec{
	{name: "acquire-lease", id: "AcquireLease",
		description:  "Stepscaler: take the per-service scaling lease (conditional write) and read the service's state item",
		tableActions: []string{"dynamodb:UpdateItem", "dynamodb:GetItem"}},
	{name: "read-alarms", id: "ReadAlarms", describeAlarms: true, metricData: true,
		description: "Stepscaler: read the service's alarms (DescribeAlarms) and, for those in ALARM, their metric (GetMetricData)"},
	{name: "describe-service", id: "DescribeService", ecs: ecsDescribe,
		description: "Stepscaler: read the service's desired, running and pending counts and deployments"},
	{name: "plan-scaling", id: "PlanScaling",
		description: "Stepscaler: decide the new desired count (pure, no AWS calls)"},
	{name: "update-desired-count", id: "UpdateDesiredCount", ecs: ecsUpdate,
		description: "Stepscaler: set the service's desired count"},
	{name: "check-stability", id: "CheckStability", ecs: ecsDescribe,
		description: "Stepscaler: check whether the service reached its new desired count"},
	{name: "record-outcome", id: "RecordOutcome",
		description:  "Stepscaler: record the scaling activity and cooldown in one transaction, then release the lease",
		tableActions: []string{"dynamodb:PutItem", "dynamodb:UpdateItem"}},
}

// goFunction is a function with the role and log group made for it alone.
type goFunction struct {
	fn   awslambda.Function
	role awsiam.Role
}

type functionOptions struct {
	id, name, description string
	timeoutSeconds        float64
	env                   map[string]*string // besides STEPSCALER_CONFIG, which every function gets
	async                 *asyncOptions
	// reservedConcurrency is the function's reserved concurrency (see concurrency.go).
	reservedConcurrency int
}

// newGoFunction creates a function with the settings every Stepscaler function shares:
// provided.al2023 on arm64, built from functions/<name> with the scaling configuration
// beside its binary and STEPSCALER_CONFIG naming it; JSON logs to its own log group with a
// retention; X-Ray active tracing; its reserved concurrency; its own role holding no
// managed policy, only the statements the caller adds and the log and X-Ray writes.
func newGoFunction(scope constructs.Construct, s *settings, o functionOptions) goFunction {
	role := awsiam.NewRole(scope, jsii.String(o.id+"Role"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
		Description: jsii.String("Stepscaler " + o.name + " function"),
	})
	logs := awslogs.NewLogGroup(scope, jsii.String(o.id+"Logs"), &awslogs.LogGroupProps{
		Retention:     logRetention,
		RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	})
	// The function's own log group only: no logs:CreateLogGroup, no other group.
	logs.GrantWrite(role)

	env := map[string]*string{envConfig: jsii.String(configFile)}
	for k, v := range o.env {
		env[k] = v
	}
	lambdaProps := &awslambda.FunctionProps{
		Description:           jsii.String(o.description),
		Runtime:               awslambda.Runtime_PROVIDED_AL2023(),
		Architecture:          awslambda.Architecture_ARM_64(),
		Handler:               jsii.String("bootstrap"),
		Code:                  goFunctionCode(s.sourceDir, o.name, map[string][]byte{configFile: s.configJSON}),
		MemorySize:            jsii.Number(memoryMB),
		Timeout:               awscdk.Duration_Seconds(jsii.Number(o.timeoutSeconds)),
		Role:                  role,
		LogGroup:              logs,
		LoggingFormat:         awslambda.LoggingFormat_JSON,
		ApplicationLogLevelV2: awslambda.ApplicationLogLevel_INFO,
		SystemLogLevelV2:      awslambda.SystemLogLevel_INFO,
		Tracing:               awslambda.Tracing_ACTIVE,
		Environment:           &env,
	}
	if o.reservedConcurrency > 0 {
		lambdaProps.ReservedConcurrentExecutions = jsii.Number(float64(o.reservedConcurrency))
	}
	if a := o.async; a != nil {
		lambdaProps.OnFailure = a.onFailure
		lambdaProps.RetryAttempts = jsii.Number(a.retryAttempts)
		lambdaProps.MaxEventAge = a.maxEventAge
	}
	fn := awslambda.NewFunction(scope, jsii.String(o.id), lambdaProps)
	return goFunction{fn: fn, role: role}
}

// asyncOptions configures a function that is invoked asynchronously: the starter by SNS,
// the evaluator by EventBridge Scheduler.
type asyncOptions struct {
	onFailure     awslambda.IDestination
	retryAttempts float64
	maxEventAge   awscdk.Duration
}

// newTaskFunctions creates the state machine's task functions, each allowed exactly the
// calls its handler makes: DynamoDB actions on the table, ECS actions on the configured
// services, cloudwatch:DescribeAlarms on the configured alarms, cloudwatch:GetMetricData,
// nothing else; update-desired-count's UpdateService is also refused whenever the request
// would change more than the desired count (updateServiceDenies).
func newTaskFunctions(scope constructs.Construct, set *settings, table awsdynamodb.Table) map[string]goFunction {
	services := serviceArns(scope, set.cfg)
	alarms := describeAlarmsResources(scope, set.cfg)
	concurrency := taskConcurrency(set.cfg)
	tasks := make(map[string]goFunction, len(taskSpecs))
	for _, s := range taskSpecs {
		env := map[string]*string{}
		if len(s.tableActions) > 0 {
			env[envTable] = table.TableName()
		}
		if s.name == "record-outcome" {
			env[envActivityRetention] = jsii.String(activityRetentionDays)
			// The Deployment dimension of the outcome metrics (internal/metrics), which
			// the dashboard's widgets select.
			env[metrics.DeploymentVariable] = jsii.String(set.deployment)
		}
		// The functions that call ECS pace their calls so that, however many instances run
		// at once (their reserved concurrency), together they keep to the configured share
		// of the account's ECS API rates (internal/deploy, docs/operate.md).
		if pace := deploy.ECSCallsPerSecond(s.name, set.ecsShare, concurrency); pace > 0 {
			env[lambdaenv.ECSPaceVariable] = jsii.String(strconv.FormatFloat(pace, 'g', -1, 64))
		}
		f := newGoFunction(scope, set, functionOptions{
			id: s.id, name: s.name, description: s.description,
			timeoutSeconds: deploy.Timeout(s.name).Seconds(), env: env,
			reservedConcurrency: concurrency[s.name],
		})
		if len(s.tableActions) > 0 {
			f.role.AddToPrincipalPolicy(allow(s.tableActions, table.TableArn()))
		}
		switch s.ecs {
		case ecsDescribe:
			f.role.AddToPrincipalPolicy(allow([]string{"ecs:DescribeServices"}, services...))
		case ecsUpdate:
			f.role.AddToPrincipalPolicy(allow([]string{"ecs:UpdateService"}, services...))
			for _, deny := range updateServiceDenies() {
				f.role.AddToPrincipalPolicy(deny)
			}
		}
		if s.describeAlarms && len(alarms) > 0 { // a schedule-only configuration describes none
			f.role.AddToPrincipalPolicy(allow([]string{"cloudwatch:DescribeAlarms"}, alarms...))
		}
		if s.metricData {
			f.role.AddToPrincipalPolicy(getMetricDataStatement())
		}
		tasks[s.name] = f
	}
	return tasks
}
