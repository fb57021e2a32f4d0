package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stepscaler/stepscaler/internal/config"
)

// documented is testdata/documented of internal/aas: AWS's documented outputs for ECS
// services (see its SOURCES.md).
var documented = filepath.Join("..", "..", "internal", "aas", "testdata", "documented")

func importArgs(extra ...string) []string {
	return append([]string{
		"--scalable-targets", filepath.Join(documented, "describe-scalable-targets.json"),
		"--scaling-policies", filepath.Join(documented, "describe-scaling-policies.json"),
		"--scheduled-actions", filepath.Join(documented, "describe-scheduled-actions.json"),
		"--alarms", filepath.Join(documented, "describe-alarms.json"),
	}, extra...)
}

func TestImportCommand(t *testing.T) {
	out := filepath.Join(t.TempDir(), "stepscaler.json")
	var stdout, stderr bytes.Buffer
	if err := runImport(importArgs("-o", out), strings.NewReader(""), &stdout, &stderr); err != nil {
		t.Fatalf("import: %v\n%s", err, stderr.String())
	}
	if stdout.Len() != 0 {
		t.Errorf("with -o, standard output got %q", stdout.String())
	}
	cfg, err := config.Load(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Services) != 4 || !cfg.Services[0].DryRun {
		t.Errorf("%d services, dry run %v; want 4 in dry run", len(cfg.Services), cfg.Services[0].DryRun)
	}
	report := stderr.String()
	for _, want := range []string{
		"Imported 4 services, 9 alarms and 3 scheduled actions; 0 items not imported.",
		"\nservice/default/web-app\n",
		`  imported      policy "my-step-scaling-policy": alarm "Step-Scaling-AlarmHigh-ECS:service/default/sample-app-service", scale-out, ChangeInCapacity with 3 steps, cooldown 60s`,
		"add Stepscaler's topic to their alarm actions:\n  web-app-cpu-gt-75\n",
		"Wrote " + out + ".",
	} {
		if !strings.Contains(report, want) {
			t.Errorf("the report lacks %q:\n%s", want, report)
		}
	}

	// The same with one file on standard input and the configuration on standard output.
	policies, err := os.ReadFile(filepath.Join(documented, "describe-scaling-policies.json"))
	if err != nil {
		t.Fatal(err)
	}
	args := importArgs("--dry-run=false")
	args[3] = "-"
	stdout.Reset()
	stderr.Reset()
	if err := runImport(args, bytes.NewReader(policies), &stdout, &stderr); err != nil {
		t.Fatalf("import from standard input: %v\n%s", err, stderr.String())
	}
	c, err := config.Parse("stdout", stdout.Bytes())
	if err != nil || len(c.Services) != 4 || c.Services[0].DryRun {
		t.Errorf("standard output: %v, %+v; want 4 services, not in dry run", err, c)
	}
}

// TestImportCommandPartial: what cannot be imported is reported, the configuration is
// still written, and the exit status says the migration is partial.
func TestImportCommandPartial(t *testing.T) {
	dir := t.TempDir()
	policies := filepath.Join(dir, "policies.json")
	both := `{"ScalingPolicies": [{"PolicyName": "both-ways", "PolicyType": "StepScaling", "ServiceNamespace": "ecs",
		"ResourceId": "service/default/web-app", "ScalableDimension": "ecs:service:DesiredCount",
		"StepScalingPolicyConfiguration": {"AdjustmentType": "ChangeInCapacity", "StepAdjustments": [
			{"MetricIntervalUpperBound": 0, "ScalingAdjustment": -1}, {"MetricIntervalLowerBound": 0, "ScalingAdjustment": 1}]},
		"Alarms": [{"AlarmName": "web-app-cpu"}]}]}`
	if err := os.WriteFile(policies, []byte(both), 0o644); err != nil {
		t.Fatal(err)
	}
	args := importArgs()
	args[3] = policies
	var stdout, stderr bytes.Buffer
	err := runImport(args, strings.NewReader(""), &stdout, &stderr)
	if !errors.Is(err, exitError(exitPartialImport)) {
		t.Fatalf("import = %v, want exit status %d\n%s", err, exitPartialImport, stderr.String())
	}
	if _, err := config.Parse("stdout", stdout.Bytes()); err != nil {
		t.Errorf("the configuration written is not valid: %v", err)
	}
	if !regexp.MustCompile(`(?m)^  NOT IMPORTED  policy "both-ways": its steps both add and remove tasks`).MatchString(stderr.String()) {
		t.Errorf("the report does not list the policy:\n%s", stderr.String())
	}
}

func TestImportCommandErrors(t *testing.T) {
	dir := t.TempDir()
	notTargets := filepath.Join(documented, "describe-alarms.json")
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"a file missing", importArgs()[:6], "--alarms required"},
		{"two standard inputs", func() []string { a := importArgs(); a[1], a[3] = "-", "-"; return a }(), "--scalable-targets, --scaling-policies all read standard input"},
		{"a file that does not exist", func() []string { a := importArgs(); a[5] = filepath.Join(dir, "nope.json"); return a }(), "--scheduled-actions: open " + filepath.Join(dir, "nope.json")},
		{"another command's output", func() []string { a := importArgs(); a[1] = notTargets; return a }(),
			notTargets + " is not the output of aws application-autoscaling describe-scalable-targets"},
		{"an argument", importArgs("extra"), `unexpected argument "extra"`},
	}
	for _, tt := range tests {
		var stdout, stderr bytes.Buffer
		err := runImport(tt.args, strings.NewReader(""), &stdout, &stderr)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want an error saying %q", tt.name, err, tt.want)
		}
		if stdout.Len() != 0 {
			t.Errorf("%s: wrote %q", tt.name, stdout.String())
		}
	}
	// Nothing importable: no configuration, and the report says why.
	empty := filepath.Join(dir, "empty.json")
	if err := os.WriteFile(empty, []byte(`{"ScalableTargets": []}`), 0o644); err != nil {
		t.Fatal(err)
	}
	args := importArgs()
	args[1] = empty
	var stdout, stderr bytes.Buffer
	if err := runImport(args, strings.NewReader(""), &stdout, &stderr); err == nil || !strings.Contains(err.Error(), "nothing could be imported") || stdout.Len() != 0 {
		t.Errorf("nothing to import: %v, wrote %q", err, stdout.String())
	}
}

// TestMigrationGuideShowsRealOutput holds docs/migrate.md to what the command prints: each
// line of its report excerpts is a line of the report of the documented files, and its
// example error is the error such a file gives.
func TestMigrationGuideShowsRealOutput(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "migrate.md"))
	if err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if err := runImport(importArgs(), strings.NewReader(""), &stdout, &stderr); err != nil {
		t.Fatal(err)
	}
	lines := map[string]bool{}
	for _, l := range strings.Split(stderr.String(), "\n") {
		lines[l] = true
	}
	blocks := strings.Split(string(doc), "```text\n")[1:]
	if len(blocks) < 2 {
		t.Fatalf("docs/migrate.md shows %d report excerpts, want 2", len(blocks))
	}
	for _, b := range blocks {
		for _, l := range strings.Split(b[:strings.Index(b, "```")], "\n") {
			if l != "" && !lines[l] {
				t.Errorf("docs/migrate.md shows a line the report lacks:\n%s\nreport:\n%s", l, stderr.String())
			}
		}
	}

	// The example error: a Cooldown written as a string.
	bad := filepath.Join(t.TempDir(), "policies.json")
	if err := os.WriteFile(bad, []byte(`{"ScalingPolicies": [{}, {"StepScalingPolicyConfiguration": {"Cooldown": "60"}}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	args := importArgs()
	args[3] = bad
	err = runImport(args, strings.NewReader(""), &stdout, &stderr)
	if err == nil {
		t.Fatal("no error")
	}
	shown := "stepscaler: " + strings.Replace(err.Error(), bad, "policies.json", 1)
	if !strings.Contains(string(doc), "\n"+shown+"\n") {
		t.Errorf("docs/migrate.md should show the error as the command gives it:\n%s", shown)
	}
}
