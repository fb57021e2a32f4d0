package stepscaler

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/stepscaler/stepscaler/internal/config"
)

// functionCase is what the template must say about one function.
type functionCase struct {
	id, folder     string
	timeoutSeconds float64
	env            map[string]string // rendered values
}

func functionCases(t *testing.T, tmpl map[string]any) []functionCase {
	table := "{Ref:" + resources(tmpl, "AWS::DynamoDB::Table")[0].id + "}"
	sm := "{Ref:" + resources(tmpl, "AWS::StepFunctions::StateMachine")[0].id + "}"
	// Every function reads the deployed scaling configuration (lambdaenv.ScalingConfig).
	env := func(kv ...string) map[string]string {
		m := map[string]string{"STEPSCALER_CONFIG": "stepscaler.json"}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	// The functions that call ECS are paced (internal/deploy) at the default share, 0.5, of
	// ECS's rates split among the instances drawing on each bucket, their reserved
	// concurrency: reads 20/s × 0.5 / (describe-service 4 + check-stability 2) = 10/6 per
	// instance, writes 5/s × 0.5 / (update-desired-count 4) = 0.625.
	const pace = "STEPSCALER_ECS_CALLS_PER_SECOND"
	return []functionCase{
		{"Starter", "starter", 10, env("STATE_MACHINE_ARN", sm)},
		{"EvaluateAlarms", "evaluate-alarms", 50, env("STATE_MACHINE_ARN", sm)},
		{"AcquireLease", "acquire-lease", 10, env("STEPSCALER_TABLE", table)},
		{"ReadAlarms", "read-alarms", 15, env()},
		{"DescribeService", "describe-service", 10, env(pace, "1.6666666666666667")},
		{"PlanScaling", "plan-scaling", 5, env()},
		{"UpdateDesiredCount", "update-desired-count", 10, env(pace, "0.625")},
		{"CheckStability", "check-stability", 10, env(pace, "1.6666666666666667")},
		// The deployment's name is its metrics' Deployment dimension (internal/metrics).
		{"RecordOutcome", "record-outcome", 10, env("STEPSCALER_TABLE", table, "ACTIVITY_RETENTION_DAYS", "42", "STEPSCALER_DEPLOYMENT", "Stepscaler")},
	}
}

func TestFunctions(t *testing.T) {
	_, tmpl := synthesized(t)
	cases := functionCases(t, tmpl)
	if n := len(resources(tmpl, "AWS::Lambda::Function")); n != len(cases) {
		t.Errorf("template has %d functions, want %d", n, len(cases))
	}
	for _, c := range cases {
		t.Run(c.folder, func(t *testing.T) {
			if _, err := os.Stat(filepath.Join(repoFile(t, "functions"), c.folder, "main.go")); err != nil {
				t.Errorf("function source: %v", err)
			}
			fn := byConstructID(t, tmpl, "AWS::Lambda::Function", c.id)
			p := fn.props
			want := map[string]any{
				"Runtime": "provided.al2023", "Handler": "bootstrap",
				"MemorySize": float64(memoryMB), "Timeout": c.timeoutSeconds,
			}
			for k, v := range want {
				if p[k] != v {
					t.Errorf("%s = %v, want %v", k, p[k], v)
				}
			}
			if a := strs(p["Architectures"]); len(a) != 1 || a[0] != "arm64" {
				t.Errorf("Architectures = %v, want [arm64]", a)
			}
			if m := render(p["TracingConfig"]); m != `{"Mode":"Active"}` {
				t.Errorf("TracingConfig = %s, want active tracing", m)
			}
			role := byConstructID(t, tmpl, "AWS::IAM::Role", c.id+"Role")
			if got := render(p["Role"]); got != "{GetAtt:"+role.id+".Arn}" {
				t.Errorf("Role = %s, want the function's own role %s", got, role.id)
			}

			lc, _ := p["LoggingConfig"].(map[string]any)
			if lc["LogFormat"] != "JSON" || lc["ApplicationLogLevel"] != "INFO" || lc["SystemLogLevel"] != "INFO" {
				t.Errorf("LoggingConfig = %v, want JSON at INFO", lc)
			}
			logs := byConstructID(t, tmpl, "AWS::Logs::LogGroup", c.id+"Logs")
			if got := render(lc["LogGroup"]); got != "{Ref:"+logs.id+"}" {
				t.Errorf("LoggingConfig.LogGroup = %s, want the function's own log group %s", got, logs.id)
			}
			if r := logs.props["RetentionInDays"]; r != float64(30) {
				t.Errorf("log group retention = %v days, want 30", r)
			}

			got := functionEnv(fn)
			if len(got) != len(c.env) {
				t.Errorf("environment = %v, want %v", got, c.env)
			}
			for k, v := range c.env {
				if got[k] != v {
					t.Errorf("environment %s = %q, want %q", k, got[k], v)
				}
			}
		})
	}
}

// functionEnv is a function's environment, rendered.
func functionEnv(fn resource) map[string]string {
	got := map[string]string{}
	if env, ok := fn.props["Environment"].(map[string]any); ok {
		for k, v := range env["Variables"].(map[string]any) {
			got[k] = render(v)
		}
	}
	return got
}

// TestEveryFunctionFolderIsDeployed: each folder under functions/ is one Lambda function,
// and the stack deploys each of them (a function added without the stack following fails
// here rather than in an account).
func TestEveryFunctionFolderIsDeployed(t *testing.T) {
	_, tmpl := synthesized(t)
	entries, err := os.ReadDir(repoFile(t, "functions"))
	if err != nil {
		t.Fatal(err)
	}
	var folders, deployed []string
	for _, e := range entries {
		if _, err := os.Stat(filepath.Join(repoFile(t, "functions"), e.Name(), "main.go")); e.IsDir() && err == nil {
			folders = append(folders, e.Name())
		}
	}
	for _, c := range functionCases(t, tmpl) {
		deployed = append(deployed, c.folder)
	}
	if !equalSets(folders, deployed) {
		t.Errorf("functions/ has %v, the stack deploys %v", sortedCopy(folders), sortedCopy(deployed))
	}
}

// TestEveryFunctionIsToldWhereTheConfigIs checks the variable on every function in the
// template, whether or not functionCases lists it.
func TestEveryFunctionIsToldWhereTheConfigIs(t *testing.T) {
	_, tmpl := synthesized(t)
	fns := resources(tmpl, "AWS::Lambda::Function")
	if len(fns) == 0 {
		t.Fatal("no functions")
	}
	for _, fn := range fns {
		if got := functionEnv(fn)["STEPSCALER_CONFIG"]; got != configFile {
			t.Errorf("%s: STEPSCALER_CONFIG = %q, want %q", fn.id, got, configFile)
		}
	}
}

// asyncCase is what an asynchronously invoked function's invoke configuration must say.
type asyncCase struct {
	function, queue          string // construct ids
	retries, maxEventAgeSecs float64
}

func TestAsyncFailureDestinations(t *testing.T) {
	_, tmpl := synthesized(t)
	cases := []asyncCase{
		// SNS notifications: retried twice within an hour.
		{"Starter", "StarterFailures", starterRetryAttempts, 3600},
		// Per-minute evaluations: never retried, dropped after a minute (the next one
		// supersedes them).
		{"EvaluateAlarms", "EvaluationFailures", 0, 60},
	}
	cfgs := resources(tmpl, "AWS::Lambda::EventInvokeConfig")
	if len(cfgs) != len(cases) {
		t.Fatalf("%d EventInvokeConfig resources, want %d", len(cfgs), len(cases))
	}
	depthAlarms := map[string]resource{}
	for _, a := range resources(tmpl, "AWS::CloudWatch::Alarm") {
		if a.props["Namespace"] == "AWS/SQS" && a.props["MetricName"] == "ApproximateNumberOfMessagesVisible" {
			depthAlarms[render(a.props["Dimensions"])] = a
		}
	}
	if len(depthAlarms) != len(cases) {
		t.Errorf("%d alarms on failure queues' depth, want %d", len(depthAlarms), len(cases))
	}

	for _, c := range cases {
		t.Run(c.function, func(t *testing.T) {
			fn := byConstructID(t, tmpl, "AWS::Lambda::Function", c.function)
			queue := byConstructID(t, tmpl, "AWS::SQS::Queue", c.queue)
			var cfg *resource
			for i := range cfgs {
				if render(cfgs[i].props["FunctionName"]) == "{Ref:"+fn.id+"}" {
					cfg = &cfgs[i]
				}
			}
			if cfg == nil {
				t.Fatalf("no EventInvokeConfig for %s", c.function)
			}
			p := cfg.props
			dest := p["DestinationConfig"].(map[string]any)["OnFailure"].(map[string]any)["Destination"]
			if render(dest) != "{GetAtt:"+queue.id+".Arn}" {
				t.Errorf("on-failure destination = %s, want %s", render(dest), c.queue)
			}
			if p["MaximumRetryAttempts"] != c.retries || p["MaximumEventAgeInSeconds"] != c.maxEventAgeSecs {
				t.Errorf("retries = %v, max event age = %v; want %v, %v", p["MaximumRetryAttempts"], p["MaximumEventAgeInSeconds"], c.retries, c.maxEventAgeSecs)
			}
			if queue.props["SqsManagedSseEnabled"] != true {
				t.Errorf("failure queue is not encrypted: %v", queue.props)
			}
			var policies []resource
			for _, qp := range resources(tmpl, "AWS::SQS::QueuePolicy") {
				if slices.Contains(renderAll(qp.props["Queues"]), "{Ref:"+queue.id+"}") {
					policies = append(policies, qp)
				}
			}
			assertTLSOnly(t, policies, c.queue)
			if queue.props["MessageRetentionPeriod"] != float64(14*24*3600) {
				t.Errorf("failure queue keeps messages %v s, want 14 days", queue.props["MessageRetentionPeriod"])
			}
			alarm, ok := depthAlarms[`[{"Name":"QueueName","Value":{"Fn::GetAtt":["`+queue.id+`","QueueName"]}}]`]
			if !ok {
				t.Fatalf("no alarm on %s's depth", c.queue)
			}
			if a := alarm.props; a["Threshold"] != float64(1) || a["ComparisonOperator"] != "GreaterThanOrEqualToThreshold" {
				t.Errorf("depth alarm fires at %v %v, want >= 1 message", a["ComparisonOperator"], a["Threshold"])
			}
		})
	}
}

// assertTLSOnly checks that one of the policies denies every request made without TLS.
func assertTLSOnly(t *testing.T, policies []resource, what string) {
	t.Helper()
	for _, p := range policies {
		for _, s := range p.props["PolicyDocument"].(map[string]any)["Statement"].([]any) {
			st := s.(map[string]any)
			if st["Effect"] == "Deny" && render(st["Condition"]) == `{"Bool":{"aws:SecureTransport":"false"}}` {
				return
			}
		}
	}
	t.Errorf("%s: no statement denies requests without TLS", what)
}

// aslPlaceholder is the syntax of a DefinitionSubstitutions placeholder, kept apart from the
// package's own pattern so the test does not trust the code under test.
var aslPlaceholder = regexp.MustCompile(`\$\{([A-Za-z0-9_]+)\}`)

func TestStateMachine(t *testing.T) {
	_, tmpl := synthesized(t)
	data, err := os.ReadFile(repoFile(t, DefinitionPath))
	if err != nil {
		t.Fatal(err)
	}
	machines := resources(tmpl, "AWS::StepFunctions::StateMachine")
	if len(machines) != 1 {
		t.Fatalf("%d state machines, want 1", len(machines))
	}
	p := machines[0].props
	if p["StateMachineType"] != "STANDARD" {
		t.Errorf("type = %v, want STANDARD", p["StateMachineType"])
	}
	if p["DefinitionString"] != string(data) {
		t.Errorf("DefinitionString is not %s verbatim", DefinitionPath)
	}

	subs := p["DefinitionSubstitutions"].(map[string]any)
	functionArns := map[string]bool{}
	for _, f := range resources(tmpl, "AWS::Lambda::Function") {
		functionArns["{GetAtt:"+f.id+".Arn}"] = true
	}
	found := map[string]bool{}
	for _, m := range aslPlaceholder.FindAllStringSubmatch(string(data), -1) {
		found[m[1]] = true
	}
	if len(found) == 0 {
		t.Fatalf("no ${...} placeholder found in %s", DefinitionPath)
	}
	for name := range found {
		v, ok := subs[name]
		if !ok {
			t.Errorf("placeholder ${%s} has no substitution", name)
			continue
		}
		if !functionArns[render(v)] {
			t.Errorf("${%s} is substituted with %s, not a function ARN of this stack", name, render(v))
		}
	}
	for name := range subs {
		if !found[name] {
			t.Errorf("substitution %s matches no placeholder in %s", name, DefinitionPath)
		}
	}

	logs := byConstructID(t, tmpl, "AWS::Logs::LogGroup", "StateMachineLogs")
	lc := p["LoggingConfiguration"].(map[string]any)
	if lc["Level"] != "ALL" || lc["IncludeExecutionData"] != true {
		t.Errorf("logging = %v, want ALL events with execution data", lc)
	}
	if dest := render(lc["Destinations"]); dest != `[{"CloudWatchLogsLogGroup":{"LogGroupArn":{"Fn::GetAtt":["`+logs.id+`","Arn"]}}}]` {
		t.Errorf("log destination = %s", dest)
	}
	if render(logs.props["LogGroupName"]) != "/aws/vendedlogs/states/Stepscaler-scale" || logs.props["RetentionInDays"] != float64(30) {
		t.Errorf("state machine log group = %v", logs.props)
	}
	if render(p["TracingConfiguration"]) != `{"Enabled":true}` {
		t.Errorf("tracing = %s, want enabled", render(p["TracingConfiguration"]))
	}
}

// TestTaskTimeoutsExceedFunctionTimeouts reads the deployed definition: every Task that
// invokes a function of the stack must time out after the function does, so a function
// timeout reaches the state machine as Lambda.Unknown (which the ASL retries) instead of
// being cut short as States.Timeout.
func TestTaskTimeoutsExceedFunctionTimeouts(t *testing.T) {
	_, tmpl := synthesized(t)
	sm := resources(tmpl, "AWS::StepFunctions::StateMachine")[0].props
	var asl struct {
		States map[string]struct {
			Type           string
			Resource       string
			TimeoutSeconds *float64
		}
	}
	if err := json.Unmarshal([]byte(sm["DefinitionString"].(string)), &asl); err != nil {
		t.Fatal(err)
	}
	subs := sm["DefinitionSubstitutions"].(map[string]any)
	timeouts := map[string]float64{} // rendered function ARN → function timeout
	for _, f := range resources(tmpl, "AWS::Lambda::Function") {
		timeouts["{GetAtt:"+f.id+".Arn}"] = f.props["Timeout"].(float64)
	}
	invoked := map[string]bool{}
	tasks := 0
	for name, st := range asl.States {
		if st.Type != "Task" {
			continue
		}
		tasks++
		m := aslPlaceholder.FindStringSubmatch(st.Resource)
		if m == nil || m[0] != st.Resource {
			t.Errorf("Task %q invokes %q, not a function of the stack", name, st.Resource)
			continue
		}
		fn := render(subs[m[1]])
		fnTimeout, ok := timeouts[fn]
		if !ok {
			t.Errorf("Task %q: ${%s} is %s, no function of the stack", name, m[1], fn)
			continue
		}
		invoked[fn] = true
		switch {
		case st.TimeoutSeconds == nil:
			t.Errorf("Task %q has no TimeoutSeconds (function timeout %gs)", name, fnTimeout)
		case *st.TimeoutSeconds <= fnTimeout:
			t.Errorf("Task %q: TimeoutSeconds %g does not exceed its function's timeout %gs", name, *st.TimeoutSeconds, fnTimeout)
		}
	}
	// Every task function is covered: all functions but the two triggers.
	if want := len(timeouts) - 2; len(invoked) != want {
		t.Errorf("the Tasks invoke %d functions, want %d (every function but the starter and the evaluator)", len(invoked), want)
	}
	t.Logf("%d Task states checked", tasks)
}

func TestReadDefinitionRejectsShortTaskTimeouts(t *testing.T) {
	_, err := readDefinition(filepath.Join("testdata", "short-timeouts.asl.json"))
	if err == nil {
		t.Fatal("readDefinition accepted Task timeouts at or below their functions' timeouts")
	}
	for _, want := range []string{`"Plan" (plan-scaling) times out after 5s`, `"Record" (record-outcome) has no TimeoutSeconds`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("err = %v, want it to say %s", err, want)
		}
	}
	if strings.Contains(err.Error(), `"Describe"`) {
		t.Errorf("err = %v names the Task whose timeout is right", err)
	}
}

func TestReadDefinitionRejectsUnknownPlaceholder(t *testing.T) {
	_, err := readDefinition(filepath.Join("testdata", "unknown-placeholder.asl.json"))
	if err == nil || !regexp.MustCompile(`\$\{ScaleEverythingFunctionArn\}`).MatchString(err.Error()) {
		t.Fatalf("err = %v, want one naming ${ScaleEverythingFunctionArn}", err)
	}
}

func TestTable(t *testing.T) {
	_, tmpl := synthesized(t)
	tables := resources(tmpl, "AWS::DynamoDB::Table")
	if len(tables) != 1 {
		t.Fatalf("%d tables, want 1", len(tables))
	}
	tb := tables[0]
	p := tb.props
	checks := map[string]string{
		"KeySchema":                        `[{"AttributeName":"pk","KeyType":"HASH"},{"AttributeName":"sk","KeyType":"RANGE"}]`,
		"AttributeDefinitions":             `[{"AttributeName":"pk","AttributeType":"S"},{"AttributeName":"sk","AttributeType":"S"}]`,
		"BillingMode":                      "PAY_PER_REQUEST",
		"PointInTimeRecoverySpecification": `{"PointInTimeRecoveryEnabled":true}`,
		"TimeToLiveSpecification":          `{"AttributeName":"expiresAt","Enabled":true}`,
		"SSESpecification":                 `{"SSEEnabled":true}`,
	}
	for k, want := range checks {
		if got := render(p[k]); got != want {
			t.Errorf("%s = %s, want %s", k, got, want)
		}
	}
	if tb.raw["DeletionPolicy"] != "Retain" {
		t.Errorf("DeletionPolicy = %v, want Retain", tb.raw["DeletionPolicy"])
	}
}

func TestOutputs(t *testing.T) {
	_, tmpl := synthesized(t)
	outputs := tmpl["Outputs"].(map[string]any)
	sm := resources(tmpl, "AWS::StepFunctions::StateMachine")[0].id
	want := map[string]string{
		"TopicArn":                    "{Ref:" + byConstructID(t, tmpl, "AWS::SNS::Topic", "Topic").id + "}",
		"StateMachineArn":             "{Ref:" + sm + "}",
		"StateMachineConsoleUrl":      "https://us-east-1.console.aws.amazon.com/states/home?region=us-east-1#/statemachines/view/{Ref:" + sm + "}",
		"TableName":                   "{Ref:" + resources(tmpl, "AWS::DynamoDB::Table")[0].id + "}",
		"StarterFailureQueueUrl":      "{Ref:" + byConstructID(t, tmpl, "AWS::SQS::Queue", "StarterFailures").id + "}",
		"EvaluationScheduleName":      render(byConstructID(t, tmpl, "AWS::Scheduler::Schedule", "EvaluationSchedule").props["Name"]),
		"EvaluationScheduleGroupName": render(byConstructID(t, tmpl, "AWS::Scheduler::ScheduleGroup", "EvaluationScheduleGroup").props["Name"]),
		"EvaluationFailureQueueUrl":   "{Ref:" + byConstructID(t, tmpl, "AWS::SQS::Queue", "EvaluationFailures").id + "}",
		"DashboardName":               "{Ref:" + byConstructID(t, tmpl, "AWS::CloudWatch::Dashboard", "Dashboard").id + "}",
	}
	if len(outputs) != len(want) {
		t.Errorf("%d outputs (%v), want %d", len(outputs), sortedKeys(outputs), len(want))
	}
	for name, v := range want {
		o, ok := outputs[name].(map[string]any)
		if !ok {
			t.Errorf("output %s missing", name)
			continue
		}
		if got := render(o["Value"]); got != v {
			t.Errorf("output %s = %s, want %s", name, got, v)
		}
	}
}

func loadExample(t *testing.T) *config.Config {
	t.Helper()
	cfg, err := config.Load(repoFile(t, exampleConfig))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// sortedKeys is a map's keys, sorted.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
