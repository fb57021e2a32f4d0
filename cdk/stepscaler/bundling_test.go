package stepscaler

import (
	"bytes"
	"crypto/sha256"
	"debug/elf"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
)

// The bundler tests build a one-file program from testdata/fakerepo, a module of its own,
// exactly as synth builds a function; they need the Go toolchain but no network.

func fakeRepo(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("testdata", "fakerepo"))
	if err != nil {
		t.Fatal(err)
	}
	return root
}

func TestGoBundlerBuildsArm64Bootstrap(t *testing.T) {
	if testing.Short() {
		t.Skip("cross-compiles a program")
	}
	t.Setenv("GOWORK", "off") // testdata/fakerepo is a module of its own
	root := fakeRepo(t)
	extra, err := os.ReadFile(filepath.Join(root, "extra.json"))
	if err != nil {
		t.Fatal(err)
	}
	b := &goBundler{root: root, pkg: "./functions/hello", files: map[string][]byte{"stepscaler.json": extra}}

	var sums []string
	for range 2 {
		out := t.TempDir()
		if ok := b.TryBundle(&out, nil); ok == nil || !*ok {
			t.Fatal("TryBundle returned false")
		}
		f, err := elf.Open(filepath.Join(out, "bootstrap"))
		if err != nil {
			t.Fatalf("bootstrap: %v", err)
		}
		if f.Machine != elf.EM_AARCH64 || f.Type != elf.ET_EXEC {
			t.Errorf("bootstrap is %v %v, want a statically linked arm64 executable", f.Machine, f.Type)
		}
		for _, p := range f.Progs {
			if p.Type == elf.PT_INTERP {
				t.Error("bootstrap is dynamically linked")
			}
		}
		f.Close()
		info, err := os.Stat(filepath.Join(out, "bootstrap"))
		if err != nil || info.Mode().Perm()&0o111 == 0 {
			t.Errorf("bootstrap is not executable: %v %v", info.Mode(), err)
		}
		got, err := os.ReadFile(filepath.Join(out, "stepscaler.json"))
		if err != nil || !bytes.Equal(got, extra) {
			t.Errorf("extra file not copied: %v", err)
		}
		bin, _ := os.ReadFile(filepath.Join(out, "bootstrap"))
		sums = append(sums, fmt.Sprintf("%x", sha256.Sum256(bin)))
	}
	// The asset hash is taken from the output: it must not change between identical builds.
	if sums[0] != sums[1] {
		t.Errorf("two builds differ (%s, %s): the output-hashed asset would redeploy on every synth", sums[0], sums[1])
	}
}

func TestGoBundlerFailureCarriesCompilerOutput(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the compiler")
	}
	t.Setenv("GOWORK", "off")
	b := &goBundler{root: fakeRepo(t), pkg: "./functions/broken"}
	defer func() {
		r := recover()
		if r == nil {
			t.Fatal("TryBundle did not fail")
		}
		msg := fmt.Sprint(r)
		if !strings.Contains(msg, "./functions/broken") || !strings.Contains(msg, "main.go") {
			t.Errorf("failure message lacks the package or the compiler's output:\n%s", msg)
		}
	}()
	out := t.TempDir()
	b.TryBundle(&out, nil)
}

// TestEveryFunctionAssetCarriesTheConfig synthesizes the app with bundling on, as `cdk
// synth` does, and opens every function's asset: an arm64 bootstrap and, beside it, the
// scaling configuration that was deployed, byte for byte, under the name the function's
// STEPSCALER_CONFIG gives (lambdaenv.ScalingConfig reads it relative to the code
// directory).
func TestEveryFunctionAssetCarriesTheConfig(t *testing.T) {
	if testing.Short() {
		t.Skip("builds every function")
	}
	synthesized(t) // shares the jsii runtime
	outdir := t.TempDir()
	app := awscdk.NewApp(&awscdk.AppProps{
		Outdir: jsii.String(outdir),
		Context: &map[string]any{
			ConfigContextKey: exampleConfig,
			// As the CDK CLI sets it: each resource names its asset's directory.
			"aws:cdk:enable-asset-metadata": true,
		},
	})
	st, err := fromApp(app)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := *assertions.Template_FromStack(st, nil).ToJSON()
	want, err := os.ReadFile(repoFile(t, exampleConfig))
	if err != nil {
		t.Fatal(err)
	}
	fns := resources(tmpl, "AWS::Lambda::Function")
	if len(fns) == 0 {
		t.Fatal("no functions")
	}
	assets := map[string]string{}
	for _, fn := range fns {
		md, _ := fn.raw["Metadata"].(map[string]any)
		path, _ := md["aws:asset:path"].(string)
		if path == "" || md["aws:asset:property"] != "Code" {
			t.Errorf("%s: no code asset in its metadata: %v", fn.id, md)
			continue
		}
		if other, ok := assets[path]; ok {
			t.Errorf("%s and %s share the asset %s", fn.id, other, path)
		}
		assets[path] = fn.id
		dir := filepath.Join(outdir, path)
		name := functionEnv(fn)["STEPSCALER_CONFIG"]
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Errorf("%s: the configuration STEPSCALER_CONFIG names is not in the asset: %v", fn.id, err)
		} else if !bytes.Equal(got, want) {
			t.Errorf("%s: %s in the asset differs from %s", fn.id, name, exampleConfig)
		}
		bin, err := elf.Open(filepath.Join(dir, "bootstrap"))
		if err != nil {
			t.Errorf("%s: bootstrap: %v", fn.id, err)
			continue
		}
		if bin.Machine != elf.EM_AARCH64 {
			t.Errorf("%s: bootstrap is built for %v, want arm64", fn.id, bin.Machine)
		}
		bin.Close()
	}
}
