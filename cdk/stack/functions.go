package stack

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/jsii-runtime-go"
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

// Environment variable names shared with the functions.
const (
	envTable             = "STEPSCALER_TABLE"
	envStateMachineArn   = "STATE_MACHINE_ARN"
	envConfig            = "STEPSCALER_CONFIG"
	envActivityRetention = "ACTIVITY_RETENTION_DAYS"
	starterConfigFile    = "stepscaler.json" // beside bootstrap in the starter's asset
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
	// timeoutSeconds is sized to the work: one or two API calls of tens of milliseconds,
	// with room for the SDK's three attempts and backoff under throttling; plan-scaling
	// calls nothing.
	timeoutSeconds float64
	tableActions   []string // DynamoDB actions on the table; none means no table access
	ecs            ecsAccess
	// describeAlarms grants cloudwatch:DescribeAlarms on the configured alarms (see
	// describeAlarmsResources for when that has to be "*").
	describeAlarms bool
}

// taskSpecs are the state machine's task functions, in workflow order.
var taskSpecs = []taskSpec{
	{name: "acquire-lease", id: "AcquireLease", timeoutSeconds: 10,
		description:  "Stepscaler: take the per-service scaling lease (conditional write)",
		tableActions: []string{"dynamodb:UpdateItem", "dynamodb:GetItem"}},
	{name: "check-alarms", id: "CheckAlarms", timeoutSeconds: 10, describeAlarms: true,
		description: "Stepscaler: read whether the alarm, and the service's scale-out alarms, are in ALARM"},
	{name: "describe-service", id: "DescribeService", timeoutSeconds: 10, ecs: ecsDescribe,
		description: "Stepscaler: read the service's desired, running and pending counts"},
	{name: "plan-scaling", id: "PlanScaling", timeoutSeconds: 3,
		description: "Stepscaler: decide the new desired count (pure, no AWS calls)"},
	{name: "update-desired-count", id: "UpdateDesiredCount", timeoutSeconds: 10, ecs: ecsUpdate,
		description: "Stepscaler: set the service's desired count"},
	{name: "check-stability", id: "CheckStability", timeoutSeconds: 10, ecs: ecsDescribe,
		description: "Stepscaler: check whether the service reached its new desired count"},
	{name: "record-outcome", id: "RecordOutcome", timeoutSeconds: 10,
		description:  "Stepscaler: record a scaling step, start its cooldown, decide whether to re-evaluate; release the lease when done",
		tableActions: []string{"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Query", "dynamodb:GetItem"}},
	{name: "release-lease", id: "ReleaseLease", timeoutSeconds: 10,
		description:  "Stepscaler: release the service's scaling lease once the alarm has left ALARM",
		tableActions: []string{"dynamodb:UpdateItem"}},
}

// goFunction is a function with the role and log group made for it alone.
type goFunction struct {
	fn   awslambda.Function
	role awsiam.Role
}

type functionOptions struct {
	id, name, description string
	timeoutSeconds        float64
	env                   map[string]*string
	files                 map[string]string // extra asset files, see goFunctionCode
	async                 *asyncOptions
}

// newGoFunction creates a function with the settings every Stepscaler function shares:
// provided.al2023 on arm64, built from functions/<name>; JSON logs to its own log group with
// a retention; X-Ray active tracing; its own role holding no managed policy, only the
// statements the caller adds and the log and X-Ray writes.
func newGoFunction(scope awscdk.Stack, root string, o functionOptions) goFunction {
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

	props := &awslambda.FunctionProps{
		Description:           jsii.String(o.description),
		Runtime:               awslambda.Runtime_PROVIDED_AL2023(),
		Architecture:          awslambda.Architecture_ARM_64(),
		Handler:               jsii.String("bootstrap"),
		Code:                  goFunctionCode(root, o.name, o.files),
		MemorySize:            jsii.Number(memoryMB),
		Timeout:               awscdk.Duration_Seconds(jsii.Number(o.timeoutSeconds)),
		Role:                  role,
		LogGroup:              logs,
		LoggingFormat:         awslambda.LoggingFormat_JSON,
		ApplicationLogLevelV2: awslambda.ApplicationLogLevel_INFO,
		SystemLogLevelV2:      awslambda.SystemLogLevel_INFO,
		Tracing:               awslambda.Tracing_ACTIVE,
		Environment:           &o.env,
	}
	if a := o.async; a != nil {
		props.OnFailure = a.onFailure
		props.RetryAttempts = jsii.Number(a.retryAttempts)
		props.MaxEventAge = a.maxEventAge
	}
	fn := awslambda.NewFunction(scope, jsii.String(o.id), props)
	return goFunction{fn: fn, role: role}
}

// asyncOptions configures a function that is invoked asynchronously (the starter, by SNS).
type asyncOptions struct {
	onFailure     awslambda.IDestination
	retryAttempts float64
	maxEventAge   awscdk.Duration
}

// newTaskFunctions creates the state machine's task functions, each allowed exactly the
// calls its handler makes: DynamoDB actions on the table, ECS actions on the configured
// services, cloudwatch:DescribeAlarms on the configured alarms, nothing else.
func newTaskFunctions(scope awscdk.Stack, props *Props, table awsdynamodb.Table) map[string]goFunction {
	services := serviceArns(scope, props.Config)
	alarms := describeAlarmsResources(scope, props.Config)
	tasks := make(map[string]goFunction, len(taskSpecs))
	for _, s := range taskSpecs {
		env := map[string]*string{}
		if len(s.tableActions) > 0 {
			env[envTable] = table.TableName()
		}
		if s.name == "record-outcome" {
			env[envActivityRetention] = jsii.String(activityRetentionDays)
		}
		f := newGoFunction(scope, props.RepoRoot, functionOptions{
			id: s.id, name: s.name, description: s.description,
			timeoutSeconds: s.timeoutSeconds, env: env,
		})
		if len(s.tableActions) > 0 {
			f.role.AddToPrincipalPolicy(allow(s.tableActions, table.TableArn()))
		}
		switch s.ecs {
		case ecsDescribe:
			f.role.AddToPrincipalPolicy(allow([]string{"ecs:DescribeServices"}, services...))
		case ecsUpdate:
			f.role.AddToPrincipalPolicy(allow([]string{"ecs:UpdateService"}, services...))
		}
		if s.describeAlarms {
			f.role.AddToPrincipalPolicy(allow([]string{"cloudwatch:DescribeAlarms"}, alarms...))
		}
		tasks[s.name] = f
	}
	return tasks
}
