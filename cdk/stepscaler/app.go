package stepscaler

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/stepscaler/stepscaler/internal/config"
)

// contextNode is what a context value is read from (constructs.Node has the method).
type contextNode interface{ TryGetContext(key *string) any }

const (
	// StackName is the standalone app's stack: its CloudFormation name and construct ID.
	StackName = "Stepscaler"
	// ConfigContextKey is the context key naming the scaling configuration file.
	ConfigContextKey = "stepscaler:config"
	// ECSShareContextKey is the context key giving Props.ECSAPIShare.
	ECSShareContextKey = "stepscaler:ecsApiShare"
	// DefaultConfigPath is the configuration file when the context names none.
	DefaultConfigPath = "config/stepscaler.json"

	modulePath = "github.com/stepscaler/stepscaler"
)

// PropsFromContext reads the standalone app's context keys into props, so that any app
// built on the construct can offer the same -c options: stepscaler:config (the
// configuration file; relative to baseDir; default config/stepscaler.json),
// stepscaler:alarmEmail and stepscaler:alarmTopicArn (Props.Operator),
// stepscaler:ecsApiShare (Props.ECSAPIShare). It reads and validates the configuration
// file, naming it in messages as the context gives it, and returns the validation error
// unchanged when the file is invalid.
func PropsFromContext(node constructs.Node, baseDir string) (*Props, error) {
	name := DefaultConfigPath
	if v := node.TryGetContext(jsii.String(ConfigContextKey)); v != nil {
		s, ok := v.(string)
		if !ok || s == "" {
			return nil, fmt.Errorf("context %s must be a file path, got %v", ConfigContextKey, v)
		}
		name = s
	}
	path := name
	if !filepath.IsAbs(path) {
		path = filepath.Join(baseDir, path)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read scaling config %s: %w", name, err)
	}
	if _, err := config.Parse(name, data); err != nil {
		return nil, err
	}
	op, err := operatorFromContext(node)
	if err != nil {
		return nil, err
	}
	share, err := ecsShareFromContext(node)
	if err != nil {
		return nil, err
	}
	return &Props{ConfigFile: path, Operator: op, ECSAPIShare: share}, nil
}

// ecsShareFromContext reads stepscaler:ecsApiShare: a number (in cdk.json) or a decimal
// string (from -c on the command line); absent, zero.
func ecsShareFromContext(node contextNode) (float64, error) {
	v := node.TryGetContext(jsii.String(ECSShareContextKey))
	var share float64
	switch x := v.(type) {
	case nil:
		return 0, nil
	case float64:
		share = x
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
		if err != nil {
			return 0, fmt.Errorf("context %s must be a number from %g to 1, got %q", ECSShareContextKey, MinECSShare, x)
		}
		share = f
	default:
		return 0, fmt.Errorf("context %s must be a number from %g to 1, got %v", ECSShareContextKey, MinECSShare, v)
	}
	if !(share >= MinECSShare && share <= 1) {
		return 0, fmt.Errorf("context %s must be a number from %g to 1, got %g", ECSShareContextKey, MinECSShare, share)
	}
	return share, nil
}

// LocateSource finds Stepscaler's module source, whose functions and state machine the
// construct deploys: the directory `go list -m github.com/stepscaler/stepscaler` names
// from the working directory. In Stepscaler's repository that is the repository (the
// main module); in a team's app that requires Stepscaler, the module cache's copy (or a
// replace directive's directory). It needs the Go toolchain, which building the functions
// needs anyway.
func LocateSource() (string, error) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		return "", fmt.Errorf("stepscaler: the Go toolchain is needed to find and build Stepscaler's functions: %w", err)
	}
	cmd := exec.Command(goBin, "list", "-m", "-f", "{{.Dir}}", modulePath)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("stepscaler: locate module %s (run the app in a Go module that requires it, or set Props.SourceDir): %w: %s",
			modulePath, err, strings.TrimSpace(stderr.String()))
	}
	dir := strings.TrimSpace(stdout.String())
	if dir == "" {
		return "", errors.New("stepscaler: go list names no directory for " + modulePath + " (is it only in go.mod, not downloaded? run go mod download)")
	}
	if got := modFileModule(dir); got != modulePath {
		return "", fmt.Errorf("stepscaler: %s is not the source of %s (its go.mod declares %q)", dir, modulePath, got)
	}
	return dir, nil
}

// modFileModule returns the module path declared in dir's go.mod, or "".
func modFileModule(dir string) string {
	data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "module" {
			return strings.Trim(f[1], `"`)
		}
	}
	return ""
}
