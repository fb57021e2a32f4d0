package stepscaler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/smithy-go/middleware"
	"github.com/sivchari/kumo"

	"github.com/stepscaler/stepscaler/internal/config"
	"github.com/stepscaler/stepscaler/internal/evaluate"
	"github.com/stepscaler/stepscaler/internal/executions"
	"github.com/stepscaler/stepscaler/internal/metrics"
	"github.com/stepscaler/stepscaler/internal/scaling"
	"github.com/stepscaler/stepscaler/internal/stability"
	faststarter "github.com/stepscaler/stepscaler/internal/starter"
	"github.com/stepscaler/stepscaler/internal/steps/acquire"
	"github.com/stepscaler/stepscaler/internal/steps/alarms"
	"github.com/stepscaler/stepscaler/internal/steps/describe"
	"github.com/stepscaler/stepscaler/internal/steps/plan"
	"github.com/stepscaler/stepscaler/internal/steps/record"
	"github.com/stepscaler/stepscaler/internal/steps/stabilize"
	"github.com/stepscaler/stepscaler/internal/steps/update"
	"github.com/stepscaler/stepscaler/internal/store"
	"github.com/stepscaler/stepscaler/internal/workflow"
	"github.com/stepscaler/stepscaler/local/cwemu"
	"github.com/stepscaler/stepscaler/local/ecsemu"
	"github.com/stepscaler/stepscaler/local/sfnlocal"
)

// The derived-permissions test runs every function's handler, wired as its main in
// functions/ wires it, against the local emulators (the ECS and CloudWatch emulators,
// kumo's DynamoDB in process, the local Step Functions endpoint) over inputs that drive
// each path that makes a different AWS call, records the IAM actions those calls need,
// and checks that the synthesized template grants each function's role exactly those
// actions: a grant nothing calls, and a call nothing grants, both fail it.

// iamPrefixes are the IAM service prefixes of the SDK service ids the functions use
// (Service Authorization Reference: "ecs", "dynamodb", "cloudwatch", "states").
var iamPrefixes = map[string]string{"ECS": "ecs", "DynamoDB": "dynamodb", "CloudWatch": "cloudwatch", "SFN": "states"}

// iamActions are the IAM actions one API call is authorized as. For the four services the
// functions call, an operation's action has the operation's name (Service Authorization
// Reference, each service's Actions table), with these exceptions:
//
//   - DynamoDB TransactWriteItems has no action of its own: "Permissions for Put, Update,
//     Delete, and Get actions are governed by the permissions used for the underlying
//     PutItem, UpdateItem, DeleteItem, and GetItem operations. For the ConditionCheck
//     action, you can use the dynamodb:ConditionCheckItem permission" (DynamoDB Developer
//     Guide, "Using IAM with DynamoDB transactions"): a Put and an Update need PutItem and
//     UpdateItem.
//   - DynamoDB TransactGetItems likewise needs GetItem.
func iamActions(serviceID, operation string, params any) ([]string, error) {
	prefix, ok := iamPrefixes[serviceID]
	if !ok {
		return nil, fmt.Errorf("%s %s: no IAM prefix known for service %q", serviceID, operation, serviceID)
	}
	switch in := params.(type) {
	case *dynamodb.TransactWriteItemsInput:
		var out []string
		for _, item := range in.TransactItems {
			switch {
			case item.Put != nil:
				out = append(out, "dynamodb:PutItem")
			case item.Update != nil:
				out = append(out, "dynamodb:UpdateItem")
			case item.Delete != nil:
				out = append(out, "dynamodb:DeleteItem")
			case item.ConditionCheck != nil:
				out = append(out, "dynamodb:ConditionCheckItem")
			}
		}
		return out, nil
	case *dynamodb.TransactGetItemsInput:
		return []string{"dynamodb:GetItem"}, nil
	}
	return []string{prefix + ":" + operation}, nil
}

// callLog records what one function's handler asked of AWS: the IAM actions, the alarm
// types it asked DescribeAlarms for, and its UpdateService requests.
type callLog struct {
	mu         sync.Mutex
	actions    map[string]bool
	alarmTypes map[cwtypes.AlarmType]bool
	updates    []ecs.UpdateServiceInput
	err        error
}

func newCallLog() *callLog {
	return &callLog{actions: map[string]bool{}, alarmTypes: map[cwtypes.AlarmType]bool{}}
}

// apiOptions adds, to a client built with them, a middleware that records every call
// before it is sent: a call that fails (a conditional check, a missing service) needs its
// permission as much as one that succeeds.
func (l *callLog) apiOptions() []func(*middleware.Stack) error {
	return []func(*middleware.Stack) error{func(s *middleware.Stack) error {
		return s.Initialize.Add(middleware.InitializeMiddlewareFunc("RecordIAMActions",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				l.record(middleware.GetServiceID(ctx), middleware.GetOperationName(ctx), in.Parameters)
				return next.HandleInitialize(ctx, in)
			}), middleware.After)
	}}
}

func (l *callLog) record(serviceID, operation string, params any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	actions, err := iamActions(serviceID, operation, params)
	if err != nil {
		l.err = errors.Join(l.err, err)
	}
	for _, a := range actions {
		l.actions[a] = true
	}
	switch in := params.(type) {
	case *cloudwatch.DescribeAlarmsInput:
		for _, t := range in.AlarmTypes {
			l.alarmTypes[t] = true
		}
		if len(in.AlarmTypes) == 0 {
			l.alarmTypes[cwtypes.AlarmTypeMetricAlarm] = true // DescribeAlarms' default
		}
	case *ecs.UpdateServiceInput:
		l.updates = append(l.updates, *in)
	}
}

func (l *callLog) sortedActions() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Sorted(maps.Keys(l.actions))
}

// runtimeGrants are what a role holds for Lambda itself rather than for its handler's
// calls: writing the function's logs to its log group, X-Ray active tracing, and for an
// asynchronously invoked function the on-failure destination (granted by the CDK's SQS
// destination).
func runtimeGrants(asyncDestination bool) []string {
	g := []string{"logs:CreateLogStream", "logs:PutLogEvents", "xray:PutTelemetryRecords", "xray:PutTraceSegments"}
	if asyncDestination {
		g = append(g, "sqs:GetQueueAttributes", "sqs:GetQueueUrl", "sqs:SendMessage")
	}
	return g
}

const (
	permAccount = "123456789012" // the emulators' and the test template's account
	permRegion  = "us-east-1"
	alarmTopic  = "arn:aws:sns:us-east-1:123456789012:stepscaler-alarms"
)

// permEnv is the emulators one run of the handlers uses.
type permEnv struct {
	ecs   *ecsemu.Emulator
	cw    *cwemu.Emulator
	dynDB string // kumo's URL
	sfn   *sfnlocal.Server
	table string

	mu        sync.Mutex
	published []string // the alarm notifications CloudWatch sent to the alarm topic
}

var creds = credentials.NewStaticCredentialsProvider("AKID", "SECRET", "")

func (e *permEnv) ecsClient(l *callLog) *ecs.Client {
	return ecs.New(ecs.Options{Region: permRegion, BaseEndpoint: aws.String(e.ecs.URL()), Credentials: creds,
		RetryMaxAttempts: 1, APIOptions: l.apiOptions()})
}

func (e *permEnv) cwClient(l *callLog) *cloudwatch.Client {
	var opts []func(*middleware.Stack) error
	if l != nil {
		opts = l.apiOptions()
	}
	return cloudwatch.New(cloudwatch.Options{Region: permRegion, BaseEndpoint: aws.String(e.cw.URL()), Credentials: creds,
		RetryMaxAttempts: 1, APIOptions: opts})
}

func (e *permEnv) dynamoClient(l *callLog) *dynamodb.Client {
	var opts []func(*middleware.Stack) error
	if l != nil {
		opts = l.apiOptions()
	}
	return dynamodb.New(dynamodb.Options{Region: permRegion, BaseEndpoint: aws.String(e.dynDB), Credentials: creds,
		RetryMaxAttempts: 1, APIOptions: opts})
}

func (e *permEnv) sfnClient(l *callLog) *sfn.Client {
	return sfn.New(sfn.Options{Region: permRegion, BaseEndpoint: aws.String(e.sfn.URL()), Credentials: creds,
		RetryMaxAttempts: 1, APIOptions: l.apiOptions()})
}

func startPermEnv(t *testing.T) *permEnv {
	t.Helper()
	e := &permEnv{table: "stepscaler-permissions"}
	var err error
	if e.ecs, err = ecsemu.Start(ecsemu.Options{Region: permRegion, AccountID: permAccount, SchedulerDelay: time.Millisecond,
		TaskStartDelay: 20 * time.Millisecond, TaskStopDelay: 20 * time.Millisecond}); err != nil {
		t.Fatalf("start the ECS emulator: %v", err)
	}
	t.Cleanup(func() { e.ecs.Close() })
	if e.cw, err = cwemu.Start(cwemu.Options{Region: permRegion, AccountID: permAccount,
		Publish: func(_ context.Context, topic, _, message string) error {
			if topic == alarmTopic {
				e.mu.Lock()
				e.published = append(e.published, message)
				e.mu.Unlock()
			}
			return nil
		}}); err != nil {
		t.Fatalf("start the CloudWatch emulator: %v", err)
	}
	t.Cleanup(func() { e.cw.Close() })
	srv := kumo.NewServer()
	t.Cleanup(srv.Close)
	e.dynDB = srv.URL
	if err := store.CreateTable(t.Context(), e.dynamoClient(nil), e.table); err != nil {
		t.Fatalf("create the table: %v", err)
	}
	if e.sfn, err = sfnlocal.Start(context.Background(), sfnlocal.Options{Definition: "testdata/hold.asl.json",
		Region: permRegion, Account: permAccount}); err != nil {
		t.Fatalf("start the local Step Functions endpoint: %v", err)
	}
	t.Cleanup(func() { e.sfn.Close() })
	return e
}

// createAlarms puts the configuration's alarms into the CloudWatch emulator with the alarm
// topic as their action: each metric alarm from its metric block (an alarm without one
// exists outside the stack and gets a stand-in metric), each composite alarm with a rule
// on the configuration's first metric alarm.
func (e *permEnv) createAlarms(t *testing.T, cfg *config.Config) {
	t.Helper()
	cw := e.cwClient(nil)
	var composites []config.Alarm
	var first string
	for _, s := range cfg.Services {
		for _, a := range s.Alarms {
			if a.AlarmType == config.CompositeAlarm {
				composites = append(composites, a)
				continue
			}
			if first == "" {
				first = a.AlarmName
			}
			if _, err := cw.PutMetricAlarm(t.Context(), metricAlarmInput(a)); err != nil {
				t.Fatalf("create alarm %s: %v", a.AlarmName, err)
			}
		}
	}
	for _, a := range composites {
		if _, err := cw.PutCompositeAlarm(t.Context(), &cloudwatch.PutCompositeAlarmInput{
			AlarmName: aws.String(a.AlarmName), AlarmRule: aws.String(fmt.Sprintf("ALARM(%q)", first)),
			AlarmActions: []string{alarmTopic},
		}); err != nil {
			t.Fatalf("create composite alarm %s: %v", a.AlarmName, err)
		}
	}
}

func metricAlarmInput(a config.Alarm) *cloudwatch.PutMetricAlarmInput {
	in := &cloudwatch.PutMetricAlarmInput{
		AlarmName: aws.String(a.AlarmName), AlarmActions: []string{alarmTopic},
		Namespace: aws.String("Stepscaler/StandIn"), MetricName: aws.String(a.AlarmName), Statistic: cwtypes.StatisticAverage,
		Period: aws.Int32(60), EvaluationPeriods: aws.Int32(1), Threshold: aws.Float64(0),
		ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanThreshold,
	}
	m := a.Metric
	if m == nil {
		return in
	}
	dims := func(d map[string]string) []cwtypes.Dimension {
		var out []cwtypes.Dimension
		for _, k := range slices.Sorted(maps.Keys(d)) {
			out = append(out, cwtypes.Dimension{Name: aws.String(k), Value: aws.String(d[k])})
		}
		return out
	}
	in.Threshold, in.EvaluationPeriods = aws.Float64(m.Threshold), aws.Int32(int32(m.EvaluationPeriods))
	in.ComparisonOperator = cwtypes.ComparisonOperator(m.ComparisonOperator)
	period := aws.Int32(int32(m.PeriodSeconds))
	if m.Expression == "" {
		in.Namespace, in.MetricName, in.Period, in.Dimensions = aws.String(m.Namespace), aws.String(m.MetricName), period, dims(m.Dimensions)
		in.Statistic = cwtypes.Statistic(m.Statistic)
		if strings.HasPrefix(m.Statistic, "p") {
			in.Statistic, in.ExtendedStatistic = "", aws.String(m.Statistic)
		}
		return in
	}
	in.Namespace, in.MetricName, in.Period, in.Statistic = nil, nil, nil, ""
	in.Metrics = []cwtypes.MetricDataQuery{{Id: aws.String("e1"), Expression: aws.String(m.Expression), ReturnData: aws.Bool(true)}}
	for _, q := range m.Metrics {
		in.Metrics = append(in.Metrics, cwtypes.MetricDataQuery{Id: aws.String(q.ID), ReturnData: aws.Bool(false),
			MetricStat: &cwtypes.MetricStat{Period: period, Stat: aws.String(q.Statistic),
				Metric: &cwtypes.Metric{Namespace: aws.String(q.Namespace), MetricName: aws.String(q.MetricName), Dimensions: dims(q.Dimensions)}}})
	}
	return in
}

func (e *permEnv) setAlarm(t *testing.T, name string, state cwtypes.StateValue) {
	t.Helper()
	if _, err := e.cwClient(nil).SetAlarmState(t.Context(), &cloudwatch.SetAlarmStateInput{
		AlarmName: aws.String(name), StateValue: state, StateReason: aws.String("Stepscaler permissions test"),
	}); err != nil {
		t.Fatalf("SetAlarmState %s %s: %v", name, state, err)
	}
}

// executionNames lists the local state machine's executions.
func (e *permEnv) executionNames(t *testing.T) []string {
	t.Helper()
	c := sfn.New(sfn.Options{Region: permRegion, BaseEndpoint: aws.String(e.sfn.URL()), Credentials: creds})
	out, err := c.ListExecutions(t.Context(), &sfn.ListExecutionsInput{StateMachineArn: aws.String(e.sfn.StateMachineARN())})
	if err != nil {
		t.Fatalf("ListExecutions: %v", err)
	}
	var names []string
	for _, x := range out.Executions {
		names = append(names, aws.ToString(x.Name))
	}
	return names
}

// lastNotification is the latest message CloudWatch published for the alarm.
func (e *permEnv) lastNotification(t *testing.T, alarm string) string {
	t.Helper()
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, m := range slices.Backward(e.published) {
		var n struct{ AlarmName string }
		if json.Unmarshal([]byte(m), &n) == nil && n.AlarmName == alarm {
			return m
		}
	}
	t.Fatalf("CloudWatch published no notification for %s", alarm)
	return ""
}

// functions are the handlers of one configuration, each with its own call log, wired as
// functions/<name>/main.go wires them.
type functions struct {
	logs      map[string]*callLog // by folder name
	starter   *faststarter.Starter
	evaluator *evaluate.Evaluator
	acquire   *acquire.Handler
	read      *alarms.Handler
	describe  *describe.Handler
	plan      *plan.Handler
	update    *update.Handler
	check     *stabilize.Handler
	record    *record.Handler
}

func (e *permEnv) functions(cfg *config.Config, stateMachineArn string) *functions {
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	f := &functions{logs: map[string]*callLog{}}
	logFor := func(name string) *callLog {
		l := newCallLog()
		f.logs[name] = l
		return l
	}
	l := logFor("starter")
	f.starter = faststarter.New(cfg, executions.NewStarter(e.sfnClient(l), stateMachineArn), time.Now, quiet)
	l = logFor("evaluate-alarms")
	f.evaluator = evaluate.New(e.cwClient(l), executions.NewStarter(e.sfnClient(l), stateMachineArn), cfg,
		evaluate.DefaultStartsPerSecond, time.Now, quiet)
	f.acquire = acquire.New(store.New(e.dynamoClient(logFor("acquire-lease")), e.table), cfg, time.Now, quiet)
	f.read = alarms.New(e.cwClient(logFor("read-alarms")), cfg, time.Now, quiet)
	f.describe = describe.New(e.ecsClient(logFor("describe-service")), cfg, time.Now)
	logFor("plan-scaling") // the function builds no AWS client
	f.plan = plan.New(cfg, time.Now, quiet)
	f.update = update.New(e.ecsClient(logFor("update-desired-count")), cfg, time.Now, quiet)
	f.check = stabilize.New(e.ecsClient(logFor("check-stability")), cfg, time.Now, quiet)
	// The metrics go to standard output, not to an AWS API: the emitter writes them away
	// here, and any call it made would show in the call log.
	emf, err := metrics.NewEmitter(io.Discard, StackName)
	if err != nil {
		panic(err) // a constant, valid name
	}
	f.record = record.New(store.New(e.dynamoClient(logFor("record-outcome")), e.table), cfg, 42*24*time.Hour, time.Now, quiet, emf)
	return f
}

// notify delivers an alarm notification to the starter as SNS and Lambda deliver it: one
// record, in an invocation whose context names the function's ARN.
func (f *functions) notify(t *testing.T, message, messageID string) {
	t.Helper()
	payload, err := json.Marshal(events.SNSEvent{Records: []events.SNSEventRecord{{
		EventSource: "aws:sns", EventVersion: "1.0",
		SNS: events.SNSEntity{Type: "Notification", MessageID: messageID, TopicArn: alarmTopic, Message: message, Timestamp: time.Now().UTC()},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := lambdacontext.NewContext(t.Context(), &lambdacontext.LambdaContext{
		AwsRequestID:       messageID,
		InvokedFunctionArn: "arn:aws:lambda:" + permRegion + ":" + permAccount + ":function:Stepscaler-Starter",
	})
	if _, err := f.starter.Invoke(ctx, payload); err != nil {
		t.Fatalf("starter: %v", err)
	}
}

func (f *functions) evaluate(t *testing.T) evaluate.Result {
	t.Helper()
	res, err := f.evaluator.Handle(t.Context(), evaluate.Event{ScheduledTime: time.Now().UTC()})
	if err != nil {
		t.Fatalf("evaluation: %v", err)
	}
	return res
}

// execution runs one execution's steps for svc as the state machine orders them, and
// returns the state Record outcome receives. It stops after the lease when the lease is
// held, and after planning when the plan changes nothing.
func (f *functions) execution(t *testing.T, svc scaling.ServiceRef, name string) (workflow.Execution, workflow.State) {
	t.Helper()
	ctx := t.Context()
	exec := workflow.Execution{Name: name, ID: "arn:aws:states:us-east-1:123456789012:execution:Scale:" + name, StartTime: time.Now().UTC()}
	st := workflow.State{Input: workflow.Input{Service: svc, Trigger: workflow.Trigger{Source: workflow.SourceSchedule, Minute: time.Now().UTC().Truncate(time.Minute)}}}
	lease, err := f.acquire.Acquire(ctx, workflow.LeaseRequest{Service: svc, Execution: exec})
	if err != nil {
		t.Fatalf("%s: acquire: %v", name, err)
	}
	st.Lease = &lease
	if !lease.Acquired {
		return exec, st
	}
	read, err := f.read.Read(ctx, workflow.AlarmsRequest{Service: svc})
	if err != nil {
		t.Fatalf("%s: read alarms: %v", name, err)
	}
	st.Alarms = &read
	before, err := f.describe.Describe(ctx, workflow.DescribeRequest{Service: svc})
	if err != nil {
		t.Fatalf("%s: describe: %v", name, err)
	}
	st.Before = &before
	decision, err := f.plan.Plan(ctx, workflow.PlanRequest{Service: svc, Before: before, Lease: lease, Alarms: read, Execution: exec})
	if err != nil {
		t.Fatalf("%s: plan: %v", name, err)
	}
	st.Plan = &decision
	if !decision.Scale || decision.DryRun {
		return exec, st
	}
	w, err := f.update.Update(ctx, workflow.UpdateRequest{Service: svc, Plan: decision, Before: before})
	if err != nil {
		t.Fatalf("%s: update: %v", name, err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for w.Status == stability.InProgress || w.Status == "" {
		if time.Now().After(deadline) {
			t.Fatalf("%s: the service is not stable after 10 s: %+v", name, w)
		}
		time.Sleep(20 * time.Millisecond)
		if w, err = f.check.Check(ctx, workflow.StabilityRequest{Service: svc, Watch: w}); err != nil {
			t.Fatalf("%s: check stability: %v", name, err)
		}
	}
	st.Watch = &w
	return exec, st
}

func (f *functions) recordOutcome(t *testing.T, exec workflow.Execution, st workflow.State) workflow.Outcome {
	t.Helper()
	out, err := f.record.Record(t.Context(), workflow.RecordRequest{Execution: exec, State: st})
	if err != nil {
		t.Fatalf("%s: record: %v", exec.Name, err)
	}
	return out
}

// exampleRun drives the example configuration's paths: prod/web scales in (cpu-low in
// ALARM) and is stabilized; a second execution finds its lease held; a failure is
// recorded; prod/worker is a dry run whose not-scaled decision is recorded, then found
// repeated; the starter starts, finds a duplicate, ignores an OK transition and rejects an
// unknown alarm; the evaluation reads the alarms with none in ALARM, then starts one
// service and finds the other busy.
func exampleRun(t *testing.T, e *permEnv, cfg *config.Config, stateMachineArn string) *functions {
	web := scaling.ServiceRef{Cluster: "prod", Service: "web"}
	worker := scaling.ServiceRef{Cluster: "prod", Service: "worker"}
	for _, s := range cfg.Services {
		if ref := (scaling.ServiceRef{Cluster: s.Cluster, Service: s.Service}); ref != web && ref != worker {
			t.Fatalf("the example configures %s; the run drives prod/web and prod/worker", ref)
		}
	}
	if err := e.ecs.CreateService("prod", "web", ecsemu.ServiceSpec{DesiredCount: 5}); err != nil {
		t.Fatal(err)
	}
	if err := e.ecs.CreateService("prod", "worker", ecsemu.ServiceSpec{DesiredCount: 2}); err != nil {
		t.Fatal(err)
	}
	e.createAlarms(t, cfg)
	f := e.functions(cfg, stateMachineArn)

	// Every alarm OK: the evaluation reads them and starts nothing.
	for _, name := range cfg.AlarmNames() {
		e.setAlarm(t, name, cwtypes.StateValueOk)
	}
	if res := f.evaluate(t); len(res.InAlarm) != 0 {
		t.Fatalf("evaluation with every alarm OK: %+v", res)
	}

	// The fast path: prod/web's scale-in alarm goes into ALARM.
	e.setAlarm(t, "stepscaler-web-cpu-low", cwtypes.StateValueAlarm)
	alarmMsg := e.lastNotification(t, "stepscaler-web-cpu-low")
	f.notify(t, alarmMsg, "7f1e2d3c-0000-4000-8000-000000000001")
	f.notify(t, alarmMsg, "7f1e2d3c-0000-4000-8000-000000000001") // SNS delivers at least once
	e.setAlarm(t, "stepscaler-web-cpu-high", cwtypes.StateValueAlarm)
	e.setAlarm(t, "stepscaler-web-cpu-high", cwtypes.StateValueOk)
	f.notify(t, e.lastNotification(t, "stepscaler-web-cpu-high"), "7f1e2d3c-0000-4000-8000-000000000002") // OK: ignored
	var unknown map[string]any
	if err := json.Unmarshal([]byte(alarmMsg), &unknown); err != nil {
		t.Fatal(err)
	}
	unknown["AlarmName"] = "not-configured"
	unknown["AlarmArn"] = "arn:aws:cloudwatch:us-east-1:123456789012:alarm:not-configured"
	forged, _ := json.Marshal(unknown)
	f.notify(t, string(forged), "7f1e2d3c-0000-4000-8000-000000000003") // rejected
	if names := e.executionNames(t); len(names) != 1 || !strings.HasPrefix(names[0], workflow.NamePrefix(web)) {
		t.Fatalf("executions after the notifications: %v, want prod/web's one (started once, then a duplicate; the others start nothing)", names)
	}

	// The execution scales prod/web in, while a second one finds the lease held.
	exec, st := f.execution(t, web, "web-scale-in")
	if st.Plan == nil || !st.Plan.Scale || st.Plan.To != 4 || st.Watch == nil || st.Watch.Status != stability.Stable {
		t.Fatalf("web's execution: plan %+v, watch %+v; want 5 → 4, stable", st.Plan, st.Watch)
	}
	heldExec, held := f.execution(t, web, "web-lease-held")
	if held.Lease.Acquired {
		t.Fatal("a second execution acquired the lease the first holds")
	}
	if out := f.recordOutcome(t, heldExec, held); out.Failed {
		t.Errorf("recording a held lease: %+v", out)
	}
	if out := f.recordOutcome(t, exec, st); out.Failed {
		t.Errorf("recording the scale-in: %+v", out)
	}

	// A step that failed after its retries is recorded by Record failure.
	failExec, failed := f.execution(t, web, "web-failure")
	failed.Error = &workflow.StepError{Error: "TransientError", Cause: `{"errorMessage":"throttled","errorType":"TransientError"}`}
	if out := f.recordOutcome(t, failExec, failed); !out.Failed {
		t.Errorf("recording a failure: %+v, want failed", out)
	}

	// prod/worker is a dry run: its alarm sizes from its metric (GetMetricData), the plan
	// changes nothing, the decision is recorded, and the same decision again is a repeat.
	e.setAlarm(t, "stepscaler-worker-backlog-high", cwtypes.StateValueAlarm)
	for i, name := range []string{"worker-dry-run", "worker-dry-run-again"} {
		x, s := f.execution(t, worker, name)
		if s.Plan == nil || (s.Plan.Scale && !s.Plan.DryRun) {
			t.Fatalf("worker's plan = %+v, want no change", s.Plan)
		}
		if i == 0 {
			// The state machine never updates on such a plan; the step refuses it anyway.
			if _, err := f.update.Update(t.Context(), workflow.UpdateRequest{Service: worker, Plan: *s.Plan, Before: *s.Before}); err == nil {
				t.Error("update-desired-count acted on a plan that changes nothing")
			}
		}
		if out := f.recordOutcome(t, x, s); out.Failed || out.Repeated != (i == 1) {
			t.Errorf("%s recorded %+v, want repeated = %v", name, out, i == 1)
		}
	}

	// The evaluation: prod/web's execution (the starter's) still runs, prod/worker's
	// starts; a second evaluation finds both running.
	res := f.evaluate(t)
	if len(res.Busy) != 1 || len(res.Started) != 1 {
		t.Errorf("evaluation: %+v, want prod/web busy and prod/worker started", res)
	}
	if res := f.evaluate(t); len(res.Busy) != 2 {
		t.Errorf("second evaluation: %+v, want both services busy", res)
	}
	return f
}

// compositeRun drives read-alarms and the evaluation over a configuration that declares
// a composite alarm, which then goes into ALARM with its child.
func compositeRun(t *testing.T, e *permEnv, cfg *config.Config, stateMachineArn string) *functions {
	e.createAlarms(t, cfg)
	f := e.functions(cfg, stateMachineArn)
	composites := compositeNames(cfg)
	if len(composites) == 0 {
		t.Fatal("the composite run's configuration declares no composite alarm")
	}
	// createAlarms gave every composite alarm the rule ALARM(<first metric alarm>).
	first := slices.IndexFunc(cfg.AlarmNames(), func(n string) bool { return !composites[n] })
	e.setAlarm(t, cfg.AlarmNames()[first], cwtypes.StateValueAlarm)
	for _, s := range cfg.ServiceTargets() {
		if _, err := f.read.Read(t.Context(), workflow.AlarmsRequest{Service: s.Service}); err != nil {
			t.Fatalf("read alarms of %s: %v", s.Service, err)
		}
	}
	f.evaluate(t)
	return f
}

func compositeNames(cfg *config.Config) map[string]bool {
	out := map[string]bool{}
	for _, s := range cfg.Services {
		for _, a := range s.Alarms {
			if a.AlarmType == config.CompositeAlarm {
				out[a.AlarmName] = true
			}
		}
	}
	return out
}

// functionRoles maps each function folder to its role's construct id and whether Lambda
// invokes it asynchronously with an on-failure destination.
var functionRoles = func() map[string]struct {
	role  string
	async bool
} {
	m := map[string]struct {
		role  string
		async bool
	}{"starter": {"StarterRole", true}, "evaluate-alarms": {"EvaluateAlarmsRole", true}}
	for _, s := range taskSpecs {
		m[s.name] = struct {
			role  string
			async bool
		}{s.id + "Role", false}
	}
	return m
}()

// allowedActions are the actions of a role's Allow statements, and for each action the
// rendered resources it is allowed on.
func allowedActions(t *testing.T, tmpl map[string]any, roleID string) map[string][]string {
	t.Helper()
	role := byConstructID(t, tmpl, "AWS::IAM::Role", roleID)
	out := map[string][]string{}
	for _, st := range roleStatements(t, tmpl)[role.id] {
		if st["Effect"] != "Allow" {
			continue
		}
		for _, a := range strs(st["Action"]) {
			out[a] = append(out[a], renderAll(st["Resource"])...)
		}
	}
	return out
}

// TestRolesGrantExactlyTheCallsTheHandlersMake is the derived-permissions test.
func TestRolesGrantExactlyTheCallsTheHandlersMake(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the emulators and the local Step Functions endpoint")
	}
	_, exampleTmpl := synthesized(t)
	example := loadExample(t)
	composite, err := config.Load("testdata/composite.json")
	if err != nil {
		t.Fatal(err)
	}
	_, compositeTmpl := synthesizeConfig(t, composite, Operator{})

	e := startPermEnv(t)
	runs := []struct {
		name string
		cfg  *config.Config
		tmpl map[string]any
		f    *functions
	}{
		{exampleConfig, example, exampleTmpl, exampleRun(t, e, example, e.sfn.StateMachineARN())},
		{"testdata/composite.json", composite, compositeTmpl, compositeRun(t, e, composite, e.sfn.StateMachineARN())},
	}

	// What each function's handler called, over every run: one binary, every path.
	derived := map[string][]string{}
	for _, r := range runs {
		for name, l := range r.f.logs {
			if l.err != nil {
				t.Errorf("%s: %v", name, l.err)
			}
			derived[name] = slices.Compact(slices.Sorted(slices.Values(append(derived[name], l.sortedActions()...))))
		}
	}
	for _, name := range slices.Sorted(maps.Keys(functionRoles)) {
		t.Logf("%-20s calls %v", name, derived[name])
	}

	for _, r := range runs {
		t.Run(r.name, func(t *testing.T) {
			for name, fr := range functionRoles {
				granted := allowedActions(t, r.tmpl, fr.role)
				want := append(slices.Clone(derived[name]), runtimeGrants(fr.async)...)
				if got := slices.Sorted(maps.Keys(granted)); !equalSets(got, want) {
					var more, less []string
					for _, a := range got {
						if !slices.Contains(want, a) {
							more = append(more, a)
						}
					}
					for _, a := range want {
						if !slices.Contains(got, a) {
							less = append(less, a)
						}
					}
					t.Errorf("%s: the role grants %v that nothing calls, and lacks %v that the handler calls", fr.role, more, less)
				}
				// Composite alarms are asked for exactly under a grant on "*".
				if l := r.f.logs[name]; l.actions["cloudwatch:DescribeAlarms"] {
					askedComposite := l.alarmTypes[cwtypes.AlarmTypeCompositeAlarm]
					onStar := slices.Contains(granted["cloudwatch:DescribeAlarms"], "*")
					if askedComposite != onStar {
						t.Errorf("%s: asks DescribeAlarms for composite alarms: %v; DescribeAlarms granted on \"*\": %v", name, askedComposite, onStar)
					}
				}
			}
		})
	}

	// update-desired-count's requests carry the cluster, the service and the desired count
	// only, so none of the keys its Deny statements test is in their context.
	updates := runs[0].f.logs["update-desired-count"].updates
	if len(updates) == 0 {
		t.Fatal("update-desired-count made no UpdateService request")
	}
	for _, in := range updates {
		v := reflect.ValueOf(in)
		for i := range v.NumField() {
			field := v.Type().Field(i).Name
			if !v.Type().Field(i).IsExported() || slices.Contains([]string{"Cluster", "Service", "DesiredCount"}, field) {
				continue
			}
			if !v.Field(i).IsZero() {
				t.Errorf("UpdateService request sets %s = %v; the role may change the desired count only", field, v.Field(i).Interface())
			}
		}
		if in.DesiredCount == nil || in.Cluster == nil || in.Service == nil {
			t.Errorf("UpdateService request %+v lacks the cluster, service or desired count", in)
		}
	}
}
