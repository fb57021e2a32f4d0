package main

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/stepscaler/stepscaler/cdk/stepscaler"
	"github.com/stepscaler/stepscaler/internal/config"
)

// These tests run the standalone app as `cdk synth` runs it (build), with bundling
// skipped.

func TestMain(m *testing.M) {
	code := m.Run()
	jsii.Close()
	os.Exit(code)
}

// newApp is an app with the given context, bundling skipped, writing under t's temporary
// directory.
func newApp(t *testing.T, context map[string]any) awscdk.App {
	ctx := map[string]any{"aws:cdk:bundling-stacks": []any{}}
	for k, v := range context {
		ctx[k] = v
	}
	return awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(t.TempDir()), Context: &ctx})
}

// TestUpgradeChangesNoResource: an account that deployed the stack as it was before the
// construct existed (cdk/testdata/upgrade/*.template.json, synthesized then with the
// configuration beside them, with and without an operator email and ECS share) gets, from
// the app built on the construct, every resource under the same logical ID and type, with
// the same properties but for the changes listed here, and the same outputs; the only
// resource added is the dashboard, the only output added its name. CloudFormation
// replaces a resource whose logical ID changes, and an alarm or a table renamed that way
// would be deleted and created again.
//
// The intended changes: the record function learns the deployment's name (its metrics'
// Deployment dimension), and the throttle alarm's description names the file the
// reserved concurrency moved to. The state machine's definition is the ASL file as it is
// now, whoever changed it since; its placeholders and substitutions are compared.
func TestUpgradeChangesNoResource(t *testing.T) {
	for file, context := range map[string]map[string]any{
		"before.template.json": {},
		"before-operator.template.json": {
			stepscaler.AlarmEmailContextKey: "oncall@example.com", stepscaler.ECSShareContextKey: "0.25",
		},
	} {
		t.Run(file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", "upgrade", file))
			if err != nil {
				t.Fatal(err)
			}
			var before map[string]any
			if err := json.Unmarshal(data, &before); err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			context[stepscaler.ConfigContextKey] = "cdk/testdata/upgrade/stepscaler.json"
			st, err := build(newApp(t, context))
			if err != nil {
				t.Fatal(err)
			}
			after := *assertions.Template_FromStack(st, nil).ToJSON()
			compareUpgrade(t, before, after)
		})
	}
}

func compareUpgrade(t *testing.T, before, after map[string]any) {
	t.Helper()
	old, now := before["Resources"].(map[string]any), after["Resources"].(map[string]any)
	if len(old) < 70 {
		t.Fatalf("the saved template has %d resources; it should be the whole stack", len(old))
	}
	for id, r := range old {
		n, ok := now[id]
		if !ok {
			t.Errorf("resource %s (%v) is gone: CloudFormation would delete it", id, r.(map[string]any)["Type"])
			continue
		}
		want := intendedChange(t, id, r.(map[string]any))
		if !reflect.DeepEqual(withoutDefinition(want), withoutDefinition(n.(map[string]any))) {
			a, _ := json.Marshal(want)
			b, _ := json.Marshal(n)
			t.Errorf("resource %s changed:\n  before %s\n  after  %s", id, a, b)
		}
	}
	var added []string
	for id, r := range now {
		if _, ok := old[id]; !ok {
			added = append(added, id+" "+r.(map[string]any)["Type"].(string))
		}
	}
	if len(added) != 1 || !strings.HasSuffix(added[0], " AWS::CloudWatch::Dashboard") {
		t.Errorf("resources added: %v, want the dashboard only", added)
	}
	oldOut, nowOut := before["Outputs"].(map[string]any), after["Outputs"].(map[string]any)
	for id, o := range oldOut {
		if !reflect.DeepEqual(o, nowOut[id]) {
			t.Errorf("output %s changed: %v → %v", id, o, nowOut[id])
		}
	}
	var newOutputs []string
	for id := range nowOut {
		if _, ok := oldOut[id]; !ok {
			newOutputs = append(newOutputs, id)
		}
	}
	if !slices.Equal(newOutputs, []string{"DashboardName"}) {
		t.Errorf("outputs added: %v, want DashboardName", newOutputs)
	}
}

// intendedChange is the resource as it was, with the changes the construct makes on
// purpose applied.
func intendedChange(t *testing.T, id string, r map[string]any) map[string]any {
	t.Helper()
	var c map[string]any
	// A deep copy of what Unmarshal made.
	data, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &c); err != nil {
		t.Fatal(err)
	}
	props, _ := c["Properties"].(map[string]any)
	switch {
	case c["Type"] == "AWS::Lambda::Function" && strings.HasPrefix(id, "RecordOutcome"):
		vars := props["Environment"].(map[string]any)["Variables"].(map[string]any)
		vars["STEPSCALER_DEPLOYMENT"] = stepscaler.StackName
	case c["Type"] == "AWS::CloudWatch::Alarm" && strings.HasPrefix(id, "TaskFunctionsThrottledAlarm"):
		props["AlarmDescription"] = strings.Replace(props["AlarmDescription"].(string),
			"cdk/stack/concurrency.go", "cdk/stepscaler/concurrency.go", 1)
	}
	return c
}

// withoutDefinition leaves the state machine's DefinitionString out: the ASL file is
// another part of the project, and changes with it; the substitutions stay.
func withoutDefinition(r map[string]any) map[string]any {
	if r["Type"] != "AWS::StepFunctions::StateMachine" {
		return r
	}
	c := map[string]any{}
	for k, v := range r {
		c[k] = v
	}
	props := map[string]any{}
	for k, v := range r["Properties"].(map[string]any) {
		if k != "DefinitionString" {
			props[k] = v
		}
	}
	c["Properties"] = props
	return c
}

// TestBrokenConfigFailsSynth builds the app from an invalid configuration: it must stop
// before creating a stack, with the configuration's own validation message, which main
// prints.
func TestBrokenConfigFailsSynth(t *testing.T) {
	const broken = "cdk/testdata/broken.json"
	app := newApp(t, map[string]any{stepscaler.ConfigContextKey: broken})
	st, err := build(app)
	if err == nil {
		t.Fatalf("build succeeded with %s", broken)
	}
	if st != nil {
		t.Error("build returned a stack with an error")
	}
	var cfgErr *config.Error
	if !errors.As(err, &cfgErr) {
		t.Fatalf("err = %v (%T), want the *config.Error", err, err)
	}
	data, rerr := os.ReadFile(filepath.Join("testdata", "broken.json"))
	if rerr != nil {
		t.Fatal(rerr)
	}
	_, want := config.Parse(broken, data)
	if want == nil || err.Error() != want.Error() {
		t.Errorf("message:\n%v\nwant the validation message:\n%v", err, want)
	}
	for _, field := range []string{"services[0].maxCapacity", "services[0].alarms[0].direction",
		"services[0].alarms[0].metric.statistic", "services[0].alarms[0].metric.periodSeconds"} {
		if !strings.Contains(err.Error(), field) {
			t.Errorf("message does not name %s:\n%v", field, err)
		}
	}
	if n := len(*app.Node().Children()); n != 0 {
		t.Errorf("app has %d children after a failed build, want none", n)
	}
}

func TestMissingConfigFailsSynth(t *testing.T) {
	_, err := build(newApp(t, map[string]any{stepscaler.ConfigContextKey: "cdk/testdata/no-such-file.json"}))
	if err == nil || !strings.Contains(err.Error(), "cdk/testdata/no-such-file.json") {
		t.Fatalf("err = %v, want one naming the missing file", err)
	}
}
