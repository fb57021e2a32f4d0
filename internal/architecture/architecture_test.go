// Package architecture checks the import rules the design sets: the deciding rules live in
// packages that import no AWS SDK, and each function's binary links only the AWS clients
// its step calls.
package architecture

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/stepscaler/stepscaler/"

// deps lists a package's transitive imports, as the linker sees them.
func deps(t *testing.T, pkg string) []string {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps", module+pkg).Output()
	if err != nil {
		t.Fatalf("go list -deps %s: %v", pkg, err)
	}
	return strings.Fields(string(out))
}

// TestPurePackagesImportNoAWSSDK: parsing a notification, planning, judging stability,
// sizing a breach, building an activity, the configuration, scheduled actions, the presets
// and the translation of Application Auto Scaling's output are pure functions of their
// inputs, so they are table-tested without any AWS and reused by the backtest and the CLI.
func TestPurePackagesImportNoAWSSDK(t *testing.T) {
	for _, pkg := range []string{
		"internal/alarm", "internal/alarmeval", "internal/breach", "internal/config", "internal/scaling",
		"internal/service", "internal/stability", "internal/activity", "internal/workflow", "internal/simulate",
		"internal/schedule", "internal/presets", "internal/aas",
	} {
		for _, d := range deps(t, pkg) {
			if strings.HasPrefix(d, "github.com/aws/") {
				t.Errorf("%s imports %s", pkg, d)
				break
			}
		}
	}
}

// TestFunctionsLinkOnlyTheirClients: each function's main wires the clients its step
// calls and nothing else, so its binary carries no other service's code.
func TestFunctionsLinkOnlyTheirClients(t *testing.T) {
	clients := []string{"cloudwatch", "dynamodb", "ecs", "sfn"}
	want := map[string][]string{
		"acquire-lease":        {"dynamodb"},
		"read-alarms":          {"cloudwatch"},
		"describe-service":     {"ecs"},
		"plan-scaling":         nil,
		"update-desired-count": {"ecs"},
		"check-stability":      {"ecs"},
		"record-outcome":       {"dynamodb"},
		"starter":              {"sfn"},
		"evaluate-alarms":      {"cloudwatch", "sfn"},
	}
	for fn, wantClients := range want {
		d := deps(t, "functions/"+fn)
		var got []string
		for _, c := range clients {
			if slices.Contains(d, "github.com/aws/aws-sdk-go-v2/service/"+c) {
				got = append(got, c)
			}
		}
		if !slices.Equal(got, wantClients) {
			t.Errorf("functions/%s links %v, want %v", fn, got, wantClients)
		}
		if slices.Contains(d, "github.com/aws/aws-sdk-go-v2/config") {
			t.Errorf("functions/%s links the SDK's config loader; lambdaenv.AWSConfig reads the environment without it", fn)
		}
	}
}
