package stack

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// RIEModule is the Lambda Runtime Interface Emulator, pinned.
const RIEModule = "github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@v0.0.0-20261030222936-bef5c4ba774d"

// ensureRIE finds the emulator, installing it into <root>/bin when it is missing, so a
// fresh clone needs nothing but Go and Node.
func ensureRIE(ctx context.Context, root string, progress func(string, ...any)) (string, error) {
	if p := os.Getenv("STEPSCALER_RIE"); p != "" {
		return p, nil
	}
	local := filepath.Join(root, "bin", "aws-lambda-rie")
	if _, err := os.Stat(local); err == nil {
		return local, nil
	}
	if p, err := exec.LookPath("aws-lambda-rie"); err == nil {
		return p, nil
	}
	progress("installing the Lambda Runtime Interface Emulator (go install, once)")
	cmd := exec.CommandContext(ctx, "go", "install", RIEModule)
	cmd.Env = append(os.Environ(), "GOBIN="+filepath.Join(root, "bin"))
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("install aws-lambda-rie: %w\n%s", err, out)
	}
	return local, nil
}

// ensureNodeModules installs the npm packages (the Step Functions engine) if missing.
func ensureNodeModules(ctx context.Context, root string, progress func(string, ...any)) error {
	if _, err := os.Stat(filepath.Join(root, "node_modules", "aws-local-stepfunctions")); err == nil {
		return nil
	}
	progress("installing npm packages (npm ci, once)")
	cmd := exec.CommandContext(ctx, "npm", "ci", "--no-audit", "--no-fund")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("npm ci: %w\n%s", err, out)
	}
	return nil
}

// BuildFunctions builds every function under functions/ as a bootstrap binary for this
// machine, with the flags the deployed ones use, into dir/<name>/bootstrap.
func BuildFunctions(ctx context.Context, root, dir string) ([]string, error) {
	names, err := FunctionNames(root)
	if err != nil {
		return nil, err
	}
	bin := filepath.Join(dir, ".bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		return nil, err
	}
	// One go build for all of them shares the compilation of common packages.
	cmd := exec.CommandContext(ctx, "go", "build", "-tags", "lambda.norpc", "-trimpath", "-buildvcs=false",
		"-ldflags", "-s -w", "-o", bin+string(filepath.Separator), "./functions/...")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("build functions: %w\n%s", err, out)
	}
	for _, n := range names {
		if err := os.MkdirAll(filepath.Join(dir, n), 0o755); err != nil {
			return nil, err
		}
		if err := os.Rename(filepath.Join(bin, n), filepath.Join(dir, n, "bootstrap")); err != nil {
			return nil, fmt.Errorf("place bootstrap of %s: %w", n, err)
		}
	}
	return names, nil
}

// FunctionNames lists the function folders under functions/.
func FunctionNames(root string) ([]string, error) {
	entries, err := os.ReadDir(filepath.Join(root, "functions"))
	if err != nil {
		return nil, fmt.Errorf("list functions: %w", err)
	}
	var names []string
	for _, e := range entries {
		if e.IsDir() {
			names = append(names, e.Name())
		}
	}
	return names, nil
}

// Placeholder is the ASL placeholder naming a function's ARN: acquire-lease →
// AcquireLeaseFunctionArn.
func Placeholder(function string) string {
	var b strings.Builder
	for _, part := range strings.Split(function, "-") {
		if part != "" {
			b.WriteString(strings.ToUpper(part[:1]) + part[1:])
		}
	}
	return b.String() + "FunctionArn"
}

// FindRoot walks up from the working directory to the folder holding go.mod.
func FindRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "statemachine", "scale.asl.json")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("not inside the stepscaler repository (no statemachine/scale.asl.json above the working directory)")
		}
		dir = parent
	}
}
