package stepscaler

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// The tests synthesize the real app once (example configuration, real state machine
// definition, cdk-nag applied) with bundling skipped, and assert on the template in Go, so
// a failed check reports and the other tests still run.
//
// JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20 must be in the environment of `go test`
// to hide jsii's Node.js 20 notice: jsii starts Node.js while packages initialize, before
// any test code runs.

func TestMain(m *testing.M) {
	code := m.Run()
	jsii.Close()
	if fixtureDir != "" {
		os.RemoveAll(fixtureDir)
	}
	os.Exit(code)
}

var (
	fixtureOnce sync.Once
	fixtureDir  string
	fixture     struct {
		root     string
		stack    awscdk.Stack
		template map[string]any
		err      error
	}
)

// exampleConfig is the configuration the tests deploy: the repository's example.
const exampleConfig = "config/stepscaler.json"

// synthesized returns the stack and template of the app built from the example
// configuration.
func synthesized(t *testing.T) (awscdk.Stack, map[string]any) {
	t.Helper()
	fixtureOnce.Do(func() {
		root, err := LocateSource()
		if err != nil {
			fixture.err = err
			return
		}
		fixture.root = root
		fixtureDir, err = os.MkdirTemp("", "stepscaler-cdk-test-")
		if err != nil {
			fixture.err = err
			return
		}
		app := newTestApp(fixtureDir, exampleConfig)
		st, err := fromApp(app)
		if err != nil {
			fixture.err = err
			return
		}
		fixture.stack = st
		fixture.template = *assertions.Template_FromStack(st, nil).ToJSON()
	})
	if fixture.err != nil {
		t.Fatalf("synthesize: %v", fixture.err)
	}
	return fixture.stack, fixture.template
}

// fromApp builds the app as the standalone app's main does (cdk/main.go): the props from
// the context, the repository as the source, the stack, cdk-nag.
func fromApp(app awscdk.App) (awscdk.Stack, error) {
	root, err := LocateSource()
	if err != nil {
		return nil, err
	}
	props, err := PropsFromContext(app.Node(), root)
	if err != nil {
		return nil, err
	}
	props.SourceDir = root
	st, _, err := NewStack(app, StackName, props)
	if err != nil {
		return nil, err
	}
	awscdk.Aspects_Of(app).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
	return st, nil
}

// newTestApp is an app that reads configPath (relative to the repository root), skips
// bundling and writes its cloud assembly under outdir.
func newTestApp(outdir, configPath string) awscdk.App {
	return awscdk.NewApp(&awscdk.AppProps{
		Outdir: jsii.String(outdir),
		Context: &map[string]any{
			ConfigContextKey:          configPath,
			"aws:cdk:bundling-stacks": []any{},
		},
	})
}

// resource is one template resource with its logical id.
type resource struct {
	id    string
	props map[string]any
	raw   map[string]any
}

// resources lists the template's resources of a type, sorted by logical id.
func resources(tmpl map[string]any, typ string) []resource {
	var out []resource
	for id, r := range tmpl["Resources"].(map[string]any) {
		m := r.(map[string]any)
		if m["Type"] != typ {
			continue
		}
		props, _ := m["Properties"].(map[string]any)
		out = append(out, resource{id: id, props: props, raw: m})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].id < out[j].id })
	return out
}

// byConstructID finds the resource of a type whose logical id is the construct id plus the
// CDK's 8-character hash (the default resource of a top-level construct of the stack), or
// the construct id alone (a top-level L1 resource, whose path has one component).
func byConstructID(t *testing.T, tmpl map[string]any, typ, id string) resource {
	t.Helper()
	re := regexp.MustCompile("^" + regexp.QuoteMeta(id) + "([0-9A-F]{8})?$")
	for _, r := range resources(tmpl, typ) {
		if re.MatchString(r.id) {
			return r
		}
	}
	t.Fatalf("no %s resource for construct %s", typ, id)
	return resource{}
}

// render turns a CloudFormation value into a string, evaluating Fn::Join with fixed pseudo
// parameters, so tests compare ARNs as text.
func render(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case map[string]any:
		if j, ok := x["Fn::Join"]; ok {
			args := j.([]any)
			var parts []string
			for _, p := range args[1].([]any) {
				parts = append(parts, render(p))
			}
			return strings.Join(parts, args[0].(string))
		}
		if r, ok := x["Ref"]; ok {
			switch r {
			case "AWS::Partition":
				return "aws"
			case "AWS::Region":
				return "us-east-1"
			case "AWS::AccountId":
				return "123456789012"
			case "AWS::StackName":
				return "Stepscaler"
			}
			return fmt.Sprintf("{Ref:%v}", r)
		}
		if g, ok := x["Fn::GetAtt"]; ok {
			a := g.([]any)
			return fmt.Sprintf("{GetAtt:%v.%v}", a[0], a[1])
		}
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// renderAll renders a value that is one CloudFormation value or a list of them.
func renderAll(v any) []string {
	if l, ok := v.([]any); ok {
		out := make([]string, 0, len(l))
		for _, x := range l {
			out = append(out, render(x))
		}
		sort.Strings(out)
		return out
	}
	return []string{render(v)}
}

func strs(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		out := make([]string, 0, len(x))
		for _, s := range x {
			out = append(out, s.(string))
		}
		return out
	}
	return nil
}

func sortedCopy(s []string) []string {
	c := append([]string(nil), s...)
	sort.Strings(c)
	return c
}

func equalSets(a, b []string) bool {
	a, b = sortedCopy(a), sortedCopy(b)
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func repoFile(t *testing.T, rel string) string {
	t.Helper()
	root, err := LocateSource()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(root, rel)
}
