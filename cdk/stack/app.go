// Package stack defines Stepscaler's production CloudFormation stack in the AWS CDK:
// CloudWatch alarms → SNS topic → starter Lambda (the fast path) and, every minute,
// EventBridge Scheduler → evaluate-alarms Lambda (the level-triggered path), both starting
// the Step Functions Standard state machine (Go Lambda tasks) → ECS UpdateService, with
// outcomes in DynamoDB. Everything it reads is in this repository: the scaling
// configuration, the state machine definition and the functions' Go source, which it
// builds locally with the Go toolchain and the module cache (no Docker, no AWS calls).
package stack

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/stepscaler/stepscaler/internal/config"
)

const (
	// StackName is the CloudFormation stack's name and the app's construct id for it.
	StackName = "Stepscaler"
	// ConfigContextKey is the context key naming the scaling configuration file.
	ConfigContextKey = "stepscaler:config"
	// ECSShareContextKey is the context key giving the share of the account's ECS API
	// rates the functions keep to, from MinECSShare to 1 (default deploy.DefaultECSShare).
	ECSShareContextKey = "stepscaler:ecsApiShare"
	// MinECSShare is the smallest share accepted, a twentieth of the account's rates (the
	// range docs/operate.md gives).
	MinECSShare = 0.05
	// DefaultConfigPath is used when the context key is absent.
	DefaultConfigPath = "config/stepscaler.json"
	// DefinitionPath is the state machine definition, relative to the repository root: the
	// same file the workflow tests execute.
	DefinitionPath = "statemachine/scale.asl.json"

	modulePath = "github.com/stepscaler/stepscaler"
)

// FromApp loads the scaling configuration named by the app's context, adds the Stepscaler
// stack to app and applies cdk-nag's AwsSolutions checks to it. It returns the
// configuration's validation error, unchanged, when the file is invalid.
func FromApp(app awscdk.App) (awscdk.Stack, error) {
	root, err := RepoRoot()
	if err != nil {
		return nil, err
	}
	return build(app, root, filepath.Join(root, DefinitionPath))
}

// build is FromApp once the repository root, and so the definition file, is known.
func build(app awscdk.App, root, definitionPath string) (awscdk.Stack, error) {
	cfgName := DefaultConfigPath
	if v := app.Node().TryGetContext(jsii.String(ConfigContextKey)); v != nil {
		s, ok := v.(string)
		if !ok || s == "" {
			return nil, fmt.Errorf("context %s must be a file path, got %v", ConfigContextKey, v)
		}
		cfgName = s
	}
	cfgPath := cfgName
	if !filepath.IsAbs(cfgPath) {
		cfgPath = filepath.Join(root, cfgPath)
	}
	cfg, err := loadConfig(cfgName, cfgPath)
	if err != nil {
		return nil, err
	}
	op, err := operatorFromContext(app.Node())
	if err != nil {
		return nil, err
	}
	share, err := ecsShareFromContext(app.Node())
	if err != nil {
		return nil, err
	}
	st, err := NewStepscalerStack(app, StackName, &Props{
		StackProps: awscdk.StackProps{
			Description: jsii.String("Stepscaler: alarm-driven step scaling for Amazon ECS services " +
				"(CloudWatch alarm → SNS or the per-minute evaluation → Lambda → Step Functions → ECS UpdateService)"),
		},
		Config:         cfg,
		ConfigPath:     cfgPath,
		RepoRoot:       root,
		DefinitionPath: definitionPath,
		Operator:       op,
		ECSShare:       share,
	})
	if err != nil {
		return nil, err
	}
	awscdk.Aspects_Of(app).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
	return st, nil
}

// ecsShareFromContext reads stepscaler:ecsApiShare: a number (in cdk.json) or a decimal
// string (from -c on the command line); absent, zero.
func ecsShareFromContext(node interface{ TryGetContext(*string) any }) (float64, error) {
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

// loadConfig reads and validates the configuration, naming it in messages as the user
// gave it (name) rather than by its absolute path.
func loadConfig(name, path string) (*config.Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read scaling config %s: %w", name, err)
	}
	return config.Parse(name, data)
}

// RepoRoot finds the repository root: the nearest directory at or above the working
// directory whose go.mod declares Stepscaler's module. The CDK CLI runs the app from the
// root (where cdk.json is); tests run from their package directory.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if isModuleRoot(dir) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("repository root not found: run the CDK app from the Stepscaler repository (where cdk.json is)")
		}
		dir = parent
	}
}

func isModuleRoot(dir string) bool {
	data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil {
		return false
	}
	return modFileModule(data) == modulePath
}

// modFileModule returns the module path declared in a go.mod file's module line.
func modFileModule(data []byte) string {
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "module" {
			return strings.Trim(f[1], `"`)
		}
	}
	return ""
}
