package stepscaler

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3assets"
	"github.com/aws/jsii-runtime-go"
)

// goBuildEnv is the cross-compilation target of every function: Lambda's arm64
// (Graviton) architecture, statically linked so it runs on provided.al2023 as is.
var goBuildEnv = map[string]string{
	"GOOS":        "linux",
	"GOARCH":      "arm64",
	"CGO_ENABLED": "0",
}

// goBundler builds one function's main package into <outputDir>/bootstrap with the local
// Go toolchain, so synth needs neither Docker nor network access (the modules come from the
// module cache). The flags make the binary reproducible: the asset hash is taken from the
// output, so an unchanged function keeps its hash and is not redeployed.
//
// It implements awscdk.ILocalBundling and must be passed to jsii as a pointer.
type goBundler struct {
	root  string            // repository root; the build runs there
	pkg   string            // main package, relative to root, e.g. ./functions/starter
	files map[string][]byte // extra files: name in the asset → content
}

// TryBundle is called by the CDK before it would fall back to Docker. A failed build panics,
// which jsii turns into a synth error carrying the compiler's output; there is deliberately
// no Docker fallback.
func (b *goBundler) TryBundle(outputDir *string, _ *awscdk.BundlingOptions) *bool {
	if err := b.bundle(*outputDir); err != nil {
		panic(err)
	}
	return jsii.Bool(true)
}

// buildArgs is the go command line, minus the output path.
func (b *goBundler) buildArgs(output string) []string {
	return []string{"build", "-tags", "lambda.norpc", "-trimpath", "-buildvcs=false",
		"-ldflags", "-s -w", "-o", output, b.pkg}
}

func (b *goBundler) bundle(outputDir string) error {
	goBin, err := exec.LookPath("go")
	if err != nil {
		return fmt.Errorf("bundling %s: the Go toolchain is needed to build the functions: %w", b.pkg, err)
	}
	cmd := exec.Command(goBin, b.buildArgs(filepath.Join(outputDir, "bootstrap"))...)
	cmd.Dir = b.root
	cmd.Env = os.Environ()
	for k, v := range goBuildEnv {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("bundling %s: go build failed: %w\n%s", b.pkg, err, out.String())
	}
	for name, data := range b.files {
		if err := os.WriteFile(filepath.Join(outputDir, name), data, 0o644); err != nil {
			return fmt.Errorf("bundling %s: %w", b.pkg, err)
		}
	}
	return nil
}

// goFunctionCode is the asset of one function: built by goBundler, hashed from the output.
//
// The asset's source directory is the repository root, which always exists, so a synth
// that skips bundling (tests set the context aws:cdk:bundling-stacks to []) works before
// every function is written; the CDK then hashes the construct path instead of the output.
// The bundling environment names the function: the CDK caches assets by source path and
// bundling options, and without a distinguishing option every function would share the
// first one's asset.
func goFunctionCode(root, name string, files map[string][]byte) awslambda.Code {
	env := map[string]*string{"STEPSCALER_FUNCTION": jsii.String(name)}
	for k, v := range goBuildEnv {
		env[k] = jsii.String(v)
	}
	return awslambda.Code_FromAsset(jsii.String(root), &awss3assets.AssetOptions{
		AssetHashType: awscdk.AssetHashType_OUTPUT,
		Bundling: &awscdk.BundlingOptions{
			// Required by the CDK, never used: local bundling always succeeds or fails synth.
			Image:       awscdk.DockerImage_FromRegistry(jsii.String("public.ecr.aws/docker/library/golang:1.26")),
			Environment: &env,
			Local:       &goBundler{root: root, pkg: "./functions/" + name, files: files},
		},
	})
}
