package stepscaler

import (
	"encoding/csv"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestSampleApp builds testdata/sampleapp, a team's CDK app in a Go module of its own that
// puts the construct in its stack beside its own resources and uses what the construct
// exposes, and runs it as the CDK CLI would (CDK_OUTDIR, CDK_CONTEXT_JSON). Being another
// module, it can import only Stepscaler's public packages: that it compiles shows the
// construct's API needs nothing from internal/. It locates Stepscaler's source itself
// (`go list -m`, through its replace directive). Offline: GOPROXY=off, the modules come
// from the module cache, the checksums from the repository's go.sum.
func TestSampleApp(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a CDK app")
	}
	root, err := LocateSource()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, f := range []string{"go.mod", "main.go"} {
		data, err := os.ReadFile(filepath.Join("testdata", "sampleapp", f))
		if err != nil {
			t.Fatal(err)
		}
		if f == "go.mod" {
			data = []byte(strings.Replace(string(data), "=> ../../../..", "=> "+root, 1))
		}
		if err := os.WriteFile(filepath.Join(dir, f), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "go.sum"), sum, 0o644); err != nil {
		t.Fatal(err)
	}

	build := exec.Command("go", "build", "-o", "sampleapp", ".")
	build.Dir = dir
	build.Env = append(os.Environ(), "GOFLAGS=-mod=mod -buildvcs=false", "GOPROXY=off", "GOSUMDB=off", "GOWORK=off", "GOTOOLCHAIN=local")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build the sample app: %v\n%s", err, out)
	}
	outdir := filepath.Join(dir, "cdk.out")
	run := exec.Command(filepath.Join(dir, "sampleapp"))
	run.Dir = dir
	run.Env = append(os.Environ(), "CDK_OUTDIR="+outdir, `CDK_CONTEXT_JSON={"aws:cdk:bundling-stacks":[]}`,
		"JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20")
	if out, err := run.CombinedOutput(); err != nil {
		t.Fatalf("run the sample app: %v\n%s", err, out)
	}
	data, err := os.ReadFile(filepath.Join(outdir, "SampleApp.template.json"))
	if err != nil {
		t.Fatal(err)
	}
	var tmpl map[string]any
	if err := json.Unmarshal(data, &tmpl); err != nil {
		t.Fatalf("template: %v", err)
	}

	t.Run("the team's resources stay its own", func(t *testing.T) {
		own := regexp.MustCompile(`^(Orders|OrdersDead|OpsReaders|OpsReadersDefaultPolicy|OrdersPolicy|OrdersDeadPolicy|OrdersBacklogHigh|OrdersBacklogLow|ScalingFailures)[0-9A-F]{8}$`)
		var team, other []string
		for id := range tmpl["Resources"].(map[string]any) {
			switch {
			case own.MatchString(id):
				team = append(team, id)
			case !strings.HasPrefix(id, "Scaler"):
				other = append(other, id)
			}
		}
		if len(team) != 9 {
			t.Errorf("the team's resources: %v, want its 2 queues and their policies, its role and policy and 3 alarms", team)
		}
		if len(other) > 0 {
			t.Errorf("resources neither the team's nor under the construct's ID: %v", other)
		}
	})

	t.Run("the construct's resources", func(t *testing.T) {
		if n := len(resources(tmpl, "AWS::Lambda::Function")); n != 9 {
			t.Errorf("%d functions, want 9", n)
		}
		record := byConstructID(t, tmpl, "AWS::Lambda::Function", "ScalerRecordOutcome")
		if got := functionEnv(record)["STEPSCALER_DEPLOYMENT"]; got != "SampleApp/Scaler" {
			t.Errorf("record-outcome's deployment = %q, want SampleApp/Scaler (the stack, then the construct's ID)", got)
		}
		// render stands AWS::StackName in as "Stepscaler": the names are <stack>-Scaler-...
		if got := render(byConstructID(t, tmpl, "AWS::CloudWatch::Alarm", "ScalerExecutionsFailedAlarm").props["AlarmName"]); got != "Stepscaler-Scaler-ExecutionsFailed" {
			t.Errorf("operational alarm name = %s, want <stack>-Scaler-ExecutionsFailed", got)
		}
		if got := render(byConstructID(t, tmpl, "AWS::Logs::LogGroup", "ScalerStateMachineLogs").props["LogGroupName"]); got != "/aws/vendedlogs/states/Stepscaler-Scaler-scale" {
			t.Errorf("state machine log group = %s, want /aws/vendedlogs/states/<stack>-Scaler-scale", got)
		}
		if got := render(byConstructID(t, tmpl, "AWS::CloudWatch::Dashboard", "ScalerDashboard").props["DashboardName"]); got != "SampleApp-Scaler-us-east-1" {
			t.Errorf("dashboard name = %s, want SampleApp-Scaler-<Region>", got)
		}
		// The Go values reached the deployment: the service and the alarms they name.
		describe := roleStatements(t, tmpl)[byConstructID(t, tmpl, "AWS::IAM::Role", "ScalerDescribeServiceRole").id]
		if !slices.ContainsFunc(describe, func(st map[string]any) bool {
			return slices.Contains(renderAll(st["Resource"]), "arn:aws:ecs:us-east-1:123456789012:service/shop/orders-worker")
		}) {
			t.Errorf("describe-service may not describe shop/orders-worker: %v", describe)
		}
	})

	t.Run("the team uses what the construct exposes", func(t *testing.T) {
		topic := "{Ref:" + byConstructID(t, tmpl, "AWS::SNS::Topic", "ScalerTopic").id + "}"
		for _, id := range []string{"OrdersBacklogHigh", "OrdersBacklogLow"} {
			if got := renderAll(byConstructID(t, tmpl, "AWS::CloudWatch::Alarm", id).props["AlarmActions"]); !slices.Equal(got, []string{topic}) {
				t.Errorf("%s notifies %v, want the construct's topic %s", id, got, topic)
			}
		}
		sm := "{Ref:" + byConstructID(t, tmpl, "AWS::StepFunctions::StateMachine", "ScalerStateMachine").id + "}"
		if got := render(byConstructID(t, tmpl, "AWS::CloudWatch::Alarm", "ScalingFailures").props["Dimensions"]); !strings.Contains(got, `"Ref":"`+strings.TrimSuffix(strings.TrimPrefix(sm, "{Ref:"), "}")) {
			t.Errorf("the team's alarm watches %s, not the construct's state machine", got)
		}
		table := "{GetAtt:" + byConstructID(t, tmpl, "AWS::DynamoDB::Table", "ScalerTable").id + ".Arn}"
		granted := allowedActions(t, tmpl, "OpsReaders")
		if !slices.Contains(granted["dynamodb:Query"], table) {
			t.Errorf("the team's role may not query the table %s: %v", table, granted)
		}
		outputs := tmpl["Outputs"].(map[string]any)
		if got := render(outputs["ScalingDeployment"].(map[string]any)["Value"]); got != "SampleApp/Scaler" {
			t.Errorf("Deployment() = %s", got)
		}
	})

	t.Run("cdk-nag finds nothing", func(t *testing.T) {
		f, err := os.Open(filepath.Join(outdir, "AwsSolutions--SampleApp-NagReport.csv"))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		rows, err := csv.NewReader(f).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) < 50 {
			t.Fatalf("the report has %d rows: too few for the whole app", len(rows))
		}
		for _, r := range rows[1:] {
			if r[2] == "Non-Compliant" {
				t.Errorf("%s on %s: %s", r[0], r[1], r[5])
			}
		}
	})
}
