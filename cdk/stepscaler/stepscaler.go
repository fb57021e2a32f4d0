// Package stepscaler is Stepscaler as an AWS CDK construct: alarm-driven step scaling for
// Amazon ECS services, deployed into an app's own stack with
//
//	s, err := stepscaler.New(stack, "Scaler", &stepscaler.Props{ConfigFile: "stepscaler.json"})
//
// CloudWatch alarms → SNS topic → starter Lambda (the fast path) and, every minute,
// EventBridge Scheduler → evaluate-alarms Lambda (the level-triggered path), both starting
// the Step Functions Standard state machine (Go Lambda tasks) → ECS UpdateService, with
// outcomes in DynamoDB, operational alarms, and a CloudWatch dashboard. NewStack is the
// whole standalone stack that Stepscaler's own app (cdk/main.go) deploys.
//
// # Public types
//
// The construct's API names only this package's types and the CDK's. Stepscaler's domain
// lives in internal/... packages, which Go lets no other module import, so an API that
// took an internal type (the configuration's config.Config, say) could not be called from
// a team's app at all. The scaling configuration is therefore mirrored here as plain Go
// values (Config, which has the configuration file's shape field for field) or given as a
// file (Props.ConfigFile); either way the construct validates it with the same parser
// the functions use, and deploys the same JSON to every function. What the construct
// creates is exposed through the CDK's own interfaces (Topic, StateMachine, Table,
// Dashboard, ...), so a team can wire its alarms to the topic, grant its roles on the
// state machine or read the table without knowing how they were built.
//
// # Where the functions come from
//
// The construct builds each function from Stepscaler's Go source with the local Go
// toolchain (no Docker, no network once the module cache holds the dependencies):
// Props.SourceDir, by default the directory `go list -m github.com/stepscaler/stepscaler`
// names: the module cache's copy in a team's app, the repository in Stepscaler's own.
//
// # Stable logical IDs
//
// Every resource's construct ID is fixed (and an alarm's derives from its name, not its
// position), so a redeployment replaces nothing. The standalone stack holds the construct
// under the ID "Default", which the CDK leaves out of logical IDs: its resources keep the
// logical IDs they had when the stack defined them itself.
package stepscaler

import (
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsscheduler"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/stepscaler/stepscaler/internal/config"
	"github.com/stepscaler/stepscaler/internal/deploy"
	"github.com/stepscaler/stepscaler/internal/metrics"
)

const (
	// MinECSShare is the smallest ECS API share accepted, a twentieth of the account's
	// rates (the range docs/operate.md gives).
	MinECSShare = 0.05
	// DefinitionPath is the state machine definition, relative to the source directory:
	// the same file the workflow tests execute.
	DefinitionPath = "statemachine/scale.asl.json"
)

// Props configures a Stepscaler deployment.
type Props struct {
	// Config is the scaling configuration as Go values; ConfigFile names a configuration
	// file instead (relative to the working directory). Give exactly one.
	Config     *Config
	ConfigFile string
	// Operator is where the operational alarms notify; the zero value creates them
	// without actions.
	Operator Operator
	// ECSAPIShare is the share of the account's ECS API rates the functions keep to, from
	// MinECSShare to 1; zero means the default, half (see docs/operate.md).
	ECSAPIShare float64
	// Deployment names this deployment in its metrics (their Deployment dimension) and in
	// its dashboard's name. Default: the stack's name, followed by the construct's path
	// in the stack unless the construct's ID is "Default".
	Deployment string
	// SourceDir is Stepscaler's module: the directory with its go.mod, functions/ and
	// statemachine/. Default: where `go list -m github.com/stepscaler/stepscaler`, run
	// in the working directory, finds it.
	SourceDir string
}

// Stepscaler is one Stepscaler deployment in a CDK app.
type Stepscaler struct {
	constructs.Construct

	deployment    string
	table         awsdynamodb.Table
	stateMachine  awsstepfunctions.StateMachine
	topic         awssns.Topic
	operatorTopic awssns.ITopic
	dashboard     awscloudwatch.Dashboard
	starter       starter
	evaluator     evaluator
}

// Topic is the SNS topic the configured alarms notify: an alarm created outside the
// construct needs it as an alarm action. Only the configured alarms may publish to it.
func (s *Stepscaler) Topic() awssns.ITopic { return s.topic }

// StateMachine is the Step Functions state machine that scales the services.
func (s *Stepscaler) StateMachine() awsstepfunctions.IStateMachine { return s.stateMachine }

// Table is the DynamoDB table with the leases and the scaling activities.
func (s *Stepscaler) Table() awsdynamodb.ITable { return s.table }

// Dashboard is the deployment's CloudWatch dashboard.
func (s *Stepscaler) Dashboard() awscloudwatch.Dashboard { return s.dashboard }

// OperatorTopic is the topic the operational alarms notify; nil when Props.Operator
// names none.
func (s *Stepscaler) OperatorTopic() awssns.ITopic { return s.operatorTopic }

// StarterFailureQueue holds the alarm notifications the starter could not process.
func (s *Stepscaler) StarterFailureQueue() awssqs.IQueue { return s.starter.failures }

// EvaluationFailureQueue holds the per-minute evaluations that failed or could not be
// delivered.
func (s *Stepscaler) EvaluationFailureQueue() awssqs.IQueue { return s.evaluator.failures }

// EvaluationSchedule is the EventBridge Scheduler schedule of the per-minute evaluation.
func (s *Stepscaler) EvaluationSchedule() awsscheduler.CfnSchedule { return s.evaluator.schedule }

// EvaluationScheduleGroup is the evaluation schedule's group.
func (s *Stepscaler) EvaluationScheduleGroup() awsscheduler.CfnScheduleGroup {
	return s.evaluator.group
}

// Deployment is the deployment's name, as its metrics carry it.
func (s *Stepscaler) Deployment() string { return s.deployment }

// settings are the props, resolved and validated.
type settings struct {
	cfg *config.Config
	// configJSON is the configuration file deployed beside every function's binary.
	configJSON     []byte
	sourceDir      string
	definitionPath string
	definition     *definition
	operator       Operator
	ecsShare       float64
	deployment     string
	// names are the construct's unique names (set by build).
	names names
}

// New adds a Stepscaler deployment to scope. It returns an error, before creating any
// resource, when the props are incomplete or invalid (the configuration's validation
// error as the parser reports it), or the source directory or its state machine
// definition cannot be read.
func New(scope constructs.Construct, id string, props *Props) (*Stepscaler, error) {
	if props == nil {
		return nil, errors.New("stepscaler: props are required (at least the scaling configuration)")
	}
	s, err := resolve(props, func() (string, error) { return defaultDeployment(scope, id) })
	if err != nil {
		return nil, err
	}
	return build(scope, id, s), nil
}

// resolve validates the props and fills in their defaults; deployment gives the default
// deployment name.
func resolve(p *Props, deployment func() (string, error)) (*settings, error) {
	cfg, data, err := scalingConfig(p)
	if err != nil {
		return nil, err
	}
	if v := p.ECSAPIShare; v != 0 && (v < MinECSShare || v > 1) {
		return nil, fmt.Errorf("the ECS API share must be from %g to 1, got %g", MinECSShare, v)
	}
	if err := p.Operator.validate(); err != nil {
		return nil, err
	}
	s := &settings{cfg: cfg, configJSON: data, operator: p.Operator, ecsShare: p.ECSAPIShare, deployment: p.Deployment}
	if s.ecsShare == 0 {
		s.ecsShare = deploy.DefaultECSShare
	}
	if s.deployment == "" {
		if s.deployment, err = deployment(); err != nil {
			return nil, err
		}
	}
	if err := checkName(s.deployment); err != nil {
		return nil, fmt.Errorf("stepscaler: %w", err)
	}
	if s.sourceDir = p.SourceDir; s.sourceDir == "" {
		if s.sourceDir, err = LocateSource(); err != nil {
			return nil, err
		}
	}
	s.definitionPath = filepath.Join(s.sourceDir, DefinitionPath)
	if err := s.check(); err != nil {
		return nil, err
	}
	return s, nil
}

// check refuses, before anything is created, what a deployment would fail on: a state
// machine definition the construct cannot deploy, alarms that would share a construct
// ID, a topic policy or a dashboard over its quota.
func (s *settings) check() error {
	def, err := readDefinition(s.definitionPath)
	if err != nil {
		return err
	}
	s.definition = def
	if err := checkAlarmIDs(s.cfg); err != nil {
		return err
	}
	if err := checkTopicPolicySize(s.cfg); err != nil {
		return err
	}
	return checkDashboardSize(s.cfg)
}

// defaultDeployment is the stack's name, followed by the construct's path below the stack
// (IDs "Default" left out, as the CDK leaves them out of logical IDs).
func defaultDeployment(scope constructs.Construct, id string) (string, error) {
	st := awscdk.Stack_Of(scope)
	if *awscdk.Token_IsUnresolved(st.StackName()) {
		return "", errors.New("stepscaler: the stack's name is not known at synth (a nested stack?): give Props.Deployment")
	}
	parts := []string{*st.StackName()}
	for _, p := range append(pathBelow(st, scope), id) {
		if p != "Default" {
			parts = append(parts, p)
		}
	}
	return sanitizeName(strings.Join(parts, "/")), nil
}

// pathBelow is the IDs of the constructs from the stack (excluded) down to c (included).
func pathBelow(st awscdk.Stack, c constructs.Construct) []string {
	var ids []string
	for _, x := range *c.Node().Scopes() {
		ids = append(ids, *x.Node().Id())
	}
	for i, x := range *c.Node().Scopes() {
		if *x.Node().Path() == *st.Node().Path() {
			return ids[i+1:]
		}
	}
	return ids
}

// build creates the resources; s has been checked.
func build(scope constructs.Construct, id string, s *settings) *Stepscaler {
	// The construct is this struct itself, registered with jsii (the CDK's Go pattern for
	// a construct of one's own), so a *Stepscaler can be the scope of other constructs.
	sc := &Stepscaler{deployment: s.deployment}
	constructs.NewConstruct_Override(sc, scope, jsii.String(id))
	c := constructs.Construct(sc)
	s.names = resourceNames(c)

	sc.table = newTable(c)
	tasks := newTaskFunctions(c, s, sc.table)
	sc.stateMachine = newStateMachine(c, s.names, s.definition, tasks)
	key := newTopicKey(c, s.cfg)
	sc.topic = newTopic(c, s.cfg, key)
	sc.starter = newStarter(c, s, sc.stateMachine, sc.topic)
	sc.evaluator = newEvaluator(c, s, sc.stateMachine)
	created := newConfiguredAlarms(c, s.cfg, sc.topic)
	ops := newMonitoring(c, s.names, key, s.operator, sc.stateMachine, tasks, sc.starter, sc.evaluator)
	sc.operatorTopic = ops.topic
	sc.dashboard = newDashboard(c, s, dashboardParts{
		stateMachine: sc.stateMachine, configured: created, operational: ops.alarms,
	})

	addNagSuppressions(s.cfg, tasks, sc.stateMachine, sc.starter, sc.evaluator)
	return sc
}

// names gives the names that must be unique in the account and Region (the operational
// alarms, the state machine's log group): the stack's name, then the construct's path
// below the stack, so two deployments in one stack do not collide; the standalone
// stack's construct, "Default", adds nothing.
type names struct{ prefix []*string }

func resourceNames(c constructs.Construct) names {
	n := names{prefix: []*string{awscdk.Aws_STACK_NAME()}}
	for _, id := range pathBelow(awscdk.Stack_Of(c), c) {
		if id == "Default" {
			continue
		}
		if w := nameChars.ReplaceAllString(id, ""); w != "" {
			n.prefix = append(n.prefix, jsii.String(w))
		}
	}
	return n
}

// nameChars are the characters a construct ID contributes to a name: those CloudWatch
// alarm names and CloudWatch Logs group names both accept.
var nameChars = regexp.MustCompile(`[^A-Za-z0-9_-]`)

// name is <prefix>-<suffix>.
func (n names) name(suffix string) *string {
	return join("-", append(append([]*string{}, n.prefix...), jsii.String(suffix))...)
}

// join is Fn::Join.
func join(sep string, parts ...*string) *string { return awscdk.Fn_Join(jsii.String(sep), &parts) }

// deploymentChars are those a deployment name may hold: it is a dimension value, and it
// is quoted in the dashboard's search expressions, so it may hold no quote.
var deploymentChars = regexp.MustCompile(`^[A-Za-z0-9 _./:@+=-]+$`)

// checkName refuses a deployment name the dashboard could not search for.
func checkName(deployment string) error {
	if err := metrics.CheckDeployment(deployment); err != nil {
		return err
	}
	if !deploymentChars.MatchString(deployment) {
		return fmt.Errorf("deployment name %q: use letters, digits, spaces and _ . / : @ + = -", deployment)
	}
	return nil
}

// sanitizeName turns a construct path into a deployment name checkName accepts.
func sanitizeName(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r < 0x80 && deploymentChars.MatchString(string(r)) {
			b.WriteRune(r)
		} else {
			b.WriteByte('-')
		}
	}
	return b.String()
}
