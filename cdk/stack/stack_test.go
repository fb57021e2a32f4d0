package stack

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
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
	return []functionCase{
		{"Starter", "starter", 10, map[string]string{"STATE_MACHINE_ARN": sm, "STEPSCALER_CONFIG": "stepscaler.json"}},
		{"AcquireLease", "acquire-lease", 10, map[string]string{"STEPSCALER_TABLE": table}},
		{"CheckAlarms", "check-alarms", 10, map[string]string{}},
		{"DescribeService", "describe-service", 10, map[string]string{}},
		{"PlanScaling", "plan-scaling", 3, map[string]string{}},
		{"UpdateDesiredCount", "update-desired-count", 10, map[string]string{}},
		{"CheckStability", "check-stability", 10, map[string]string{}},
		{"RecordOutcome", "record-outcome", 10, map[string]string{"STEPSCALER_TABLE": table, "ACTIVITY_RETENTION_DAYS": "42"}},
		{"ReleaseLease", "release-lease", 10, map[string]string{"STEPSCALER_TABLE": table}},
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

			got := map[string]string{}
			if env, ok := p["Environment"].(map[string]any); ok {
				for k, v := range env["Variables"].(map[string]any) {
					got[k] = render(v)
				}
			}
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

func TestStarterAsyncFailureDestination(t *testing.T) {
	_, tmpl := synthesized(t)
	starter := byConstructID(t, tmpl, "AWS::Lambda::Function", "Starter")
	queue := byConstructID(t, tmpl, "AWS::SQS::Queue", "StarterFailures")

	cfgs := resources(tmpl, "AWS::Lambda::EventInvokeConfig")
	if len(cfgs) != 1 {
		t.Fatalf("%d EventInvokeConfig resources, want 1 (the starter's)", len(cfgs))
	}
	p := cfgs[0].props
	if render(p["FunctionName"]) != "{Ref:"+starter.id+"}" {
		t.Errorf("EventInvokeConfig is for %s, want the starter", render(p["FunctionName"]))
	}
	dest := p["DestinationConfig"].(map[string]any)["OnFailure"].(map[string]any)["Destination"]
	if render(dest) != "{GetAtt:"+queue.id+".Arn}" {
		t.Errorf("on-failure destination = %s, want the failure queue", render(dest))
	}
	if p["MaximumRetryAttempts"] != float64(starterRetryAttempts) || p["MaximumEventAgeInSeconds"] != float64(3600) {
		t.Errorf("retries = %v, max event age = %v", p["MaximumRetryAttempts"], p["MaximumEventAgeInSeconds"])
	}

	if queue.props["SqsManagedSseEnabled"] != true {
		t.Errorf("failure queue is not encrypted: %v", queue.props)
	}
	assertTLSOnly(t, resources(tmpl, "AWS::SQS::QueuePolicy"), "failure queue")

	var depth []resource
	for _, a := range resources(tmpl, "AWS::CloudWatch::Alarm") {
		if a.props["Namespace"] == "AWS/SQS" && a.props["MetricName"] == "ApproximateNumberOfMessagesVisible" {
			depth = append(depth, a)
		}
	}
	if len(depth) != 1 {
		t.Fatalf("%d alarms on the failure queue's depth, want 1", len(depth))
	}
	a := depth[0].props
	if dims := render(a["Dimensions"]); dims != `[{"Name":"QueueName","Value":{"Fn::GetAtt":["`+queue.id+`","QueueName"]}}]` {
		t.Errorf("depth alarm dimensions = %s", dims)
	}
	if a["Threshold"] != float64(1) || a["ComparisonOperator"] != "GreaterThanOrEqualToThreshold" {
		t.Errorf("depth alarm fires at %v %v, want >= 1 message", a["ComparisonOperator"], a["Threshold"])
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

func TestTopic(t *testing.T) {
	_, tmpl := synthesized(t)
	cfg := loadExample(t)
	topic := byConstructID(t, tmpl, "AWS::SNS::Topic", "Topic")
	topicRef := "{Ref:" + topic.id + "}"
	key := byConstructID(t, tmpl, "AWS::KMS::Key", "TopicKey")

	if render(topic.props["KmsMasterKeyId"]) != "{GetAtt:"+key.id+".Arn}" {
		t.Errorf("topic key = %s, want the stack's customer managed key", render(topic.props["KmsMasterKeyId"]))
	}
	if key.props["EnableKeyRotation"] != true {
		t.Error("topic key rotation is off")
	}
	cloudwatchMayUseKey := false
	for _, s := range key.props["KeyPolicy"].(map[string]any)["Statement"].([]any) {
		st := s.(map[string]any)
		if render(st["Principal"]) == `{"Service":"cloudwatch.amazonaws.com"}` &&
			equalSets(strs(st["Action"]), []string{"kms:Decrypt", "kms:GenerateDataKey*"}) {
			cloudwatchMayUseKey = true
		}
	}
	if !cloudwatchMayUseKey {
		t.Error("key policy does not let CloudWatch alarms use the topic key")
	}

	policies := resources(tmpl, "AWS::SNS::TopicPolicy")
	if len(policies) != 1 {
		t.Fatalf("%d topic policies, want 1", len(policies))
	}
	assertTLSOnly(t, policies, "topic")
	if got := renderAll(policies[0].props["Topics"]); len(got) != 1 || got[0] != topicRef {
		t.Errorf("topic policy applies to %v", got)
	}
	var allows []map[string]any
	for _, s := range policies[0].props["PolicyDocument"].(map[string]any)["Statement"].([]any) {
		if st := s.(map[string]any); st["Effect"] == "Allow" {
			allows = append(allows, st)
		}
	}
	if len(allows) != 1 {
		t.Fatalf("topic policy has %d Allow statements, want 1 (CloudWatch's)", len(allows))
	}
	allow := allows[0]
	if render(allow["Principal"]) != `{"Service":"cloudwatch.amazonaws.com"}` {
		t.Errorf("topic policy allows %s, want only cloudwatch.amazonaws.com", render(allow["Principal"]))
	}
	if a := strs(allow["Action"]); len(a) != 1 || a[0] != "sns:Publish" {
		t.Errorf("topic policy allows %v, want sns:Publish", a)
	}
	if r := renderAll(allow["Resource"]); len(r) != 1 || r[0] != topicRef {
		t.Errorf("topic policy resource = %v", r)
	}
	cond := allow["Condition"].(map[string]any)
	if got := render(cond["StringEquals"].(map[string]any)["aws:SourceAccount"]); got != "123456789012" {
		t.Errorf("aws:SourceAccount = %s, want this account", got)
	}
	var wantAlarms []string
	for _, s := range cfg.Services {
		for _, a := range s.Alarms {
			wantAlarms = append(wantAlarms, "arn:aws:cloudwatch:us-east-1:123456789012:alarm:"+a.AlarmName)
		}
	}
	if got := renderAll(cond["ArnLike"].(map[string]any)["aws:SourceArn"]); !equalSets(got, wantAlarms) {
		t.Errorf("aws:SourceArn = %v, want the configured alarms %v", got, wantAlarms)
	}

	starter := byConstructID(t, tmpl, "AWS::Lambda::Function", "Starter")
	subs := resources(tmpl, "AWS::SNS::Subscription")
	if len(subs) != 1 {
		t.Fatalf("%d subscriptions, want 1", len(subs))
	}
	if s := subs[0].props; s["Protocol"] != "lambda" || render(s["Endpoint"]) != "{GetAtt:"+starter.id+".Arn}" || render(s["TopicArn"]) != topicRef {
		t.Errorf("subscription = %v, want the starter subscribed to the topic", s)
	}
	perms := resources(tmpl, "AWS::Lambda::Permission")
	if len(perms) != 1 {
		t.Fatalf("%d Lambda permissions, want 1", len(perms))
	}
	if p := perms[0].props; p["Principal"] != "sns.amazonaws.com" || render(p["SourceArn"]) != topicRef ||
		render(p["FunctionName"]) != "{GetAtt:"+starter.id+".Arn}" || p["Action"] != "lambda:InvokeFunction" {
		t.Errorf("invoke permission = %v, want SNS from this topic only", p)
	}
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
		"TopicArn":               "{Ref:" + byConstructID(t, tmpl, "AWS::SNS::Topic", "Topic").id + "}",
		"StateMachineArn":        "{Ref:" + sm + "}",
		"StateMachineConsoleUrl": "https://us-east-1.console.aws.amazon.com/states/home?region=us-east-1#/statemachines/view/{Ref:" + sm + "}",
		"TableName":              "{Ref:" + resources(tmpl, "AWS::DynamoDB::Table")[0].id + "}",
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
