package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v5"

	"github.com/stepscaler/stepscaler/internal/schedule"
)

// The JSON Schema editors use and the Go validation the functions and the CDK app run
// must give one verdict. These tests hold them to it on every valid configuration in the
// repository and on testdata/invalid, a corpus of broken files with one mistake each.

// corpusExpectation is what testdata/invalid/expected.json says about one broken file.
type corpusExpectation struct {
	// Field and Problem are the one problem the Go validation must report: the field's
	// full path and a fragment of the message.
	Field   string `json:"field"`
	Problem string `json:"problem"`
	// SchemaCannot, when set, says why no JSON Schema can catch the mistake; the file is
	// then checked to be either not JSON at all or accepted by the schema, so the reason
	// stays true.
	SchemaCannot string `json:"schemaCannot"`
}

// minCorpus is the least number of broken files the corpus must keep.
const minCorpus = 45

func TestInvalidCorpus(t *testing.T) {
	schema := compileSchema(t)
	dir := filepath.Join("testdata", "invalid")
	var table map[string]corpusExpectation
	readStrict(t, filepath.Join(dir, "expected.json"), &table)

	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	covered := map[string]bool{}
	for _, path := range files {
		name := filepath.Base(path)
		if name == "expected.json" {
			continue
		}
		covered[name] = true
		t.Run(strings.TrimSuffix(name, ".json"), func(t *testing.T) {
			want, ok := table[name]
			if !ok {
				t.Fatalf("expected.json has no entry for %s", name)
			}
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			checkOneProblem(t, name, data, want)

			parsed, schemaErr := validateSchema(schema, data)
			switch {
			case want.SchemaCannot == "" && !parsed:
				t.Errorf("not JSON, so the schema cannot judge it (%v): say so in schemaCannot", schemaErr)
			case want.SchemaCannot == "" && schemaErr == nil:
				t.Errorf("the schema accepts it; the Go validation reports %s: %s", want.Field, want.Problem)
			case want.SchemaCannot != "" && parsed && schemaErr != nil:
				t.Errorf("expected.json says a schema cannot catch this (%s), but the schema rejects it: %v", want.SchemaCannot, schemaErr)
			}
		})
	}
	for name := range table {
		if !covered[name] {
			t.Errorf("expected.json names %s, which testdata/invalid lacks", name)
		}
	}
	if len(covered) < minCorpus {
		t.Errorf("the corpus holds %d broken files, want at least %d", len(covered), minCorpus)
	}
}

// checkOneProblem parses a file with one mistake: the validation must report exactly
// that problem, in an error that names the file.
func checkOneProblem(t *testing.T, name string, data []byte, want corpusExpectation) {
	t.Helper()
	_, err := Parse(name, data)
	var ce *Error
	if !errors.As(err, &ce) {
		t.Fatalf("Parse() = %v, want a *config.Error reporting %s: %s", err, want.Field, want.Problem)
	}
	if ce.File != name || !strings.Contains(err.Error(), name) {
		t.Errorf("the error does not name the file %s: %v", name, err)
	}
	if len(ce.Problems) != 1 || ce.Problems[0].Field != want.Field || !strings.Contains(ce.Problems[0].Message, want.Problem) {
		t.Errorf("problems:\n%s\nwant exactly one:\n  %s: …%s…", formatProblems(ce.Problems), want.Field, want.Problem)
	}
}

func formatProblems(ps []Problem) string {
	var b strings.Builder
	for _, p := range ps {
		fmt.Fprintf(&b, "  %s: %s\n", p.Field, p.Message)
	}
	return b.String()
}

// TestValidConfigsPassBoth checks that every configuration the repository ships or
// documents passes the Go validation and the schema alike.
func TestValidConfigsPassBoth(t *testing.T) {
	schema := compileSchema(t)
	files := []string{
		filepath.Join("..", "..", "config", "stepscaler.json"),
		filepath.Join("..", "..", "config", "scheduled-scaling.json"),
		filepath.Join("..", "..", "config", "presets.json"),
		filepath.Join("..", "..", "local", "demo", "stepscaler.json"),
		filepath.Join("..", "..", "local", "stack", "testdata", "scenarios.json"),
		filepath.Join("..", "..", "cdk", "stepscaler", "testdata", "alarms.json"),
	}
	valid, err := filepath.Glob(filepath.Join("testdata", "valid", "*.json"))
	if err != nil || len(valid) == 0 {
		t.Fatalf("no files in testdata/valid: %v", err)
	}
	configs := map[string][]byte{"everyField": []byte(everyField)}
	for _, f := range append(files, valid...) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		configs[f] = data
	}
	for name, config := range documentedExamples(t) {
		configs[name] = []byte(config)
	}
	for name, data := range configs {
		if _, err := Parse(name, data); err != nil {
			t.Errorf("Go validation: %v", err)
		}
		if parsed, err := validateSchema(schema, data); !parsed || err != nil {
			t.Errorf("schema rejects %s: %v", name, err)
		}
	}
}

// documentedExamples returns every JSON example of the configuration reference as a
// whole configuration, so the documentation cannot drift from what the validation
// accepts. Whole files are taken as they are; alarm entries, "alarms" and
// "scheduledActions" fragments are placed in a service first.
func documentedExamples(t *testing.T) map[string]string {
	t.Helper()
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "configuration.md"))
	if err != nil {
		t.Fatal(err)
	}
	blocks := strings.Split(string(doc), "```json\n")[1:]
	if len(blocks) < 5 {
		t.Fatalf("found %d JSON examples in docs/configuration.md, want at least 5", len(blocks))
	}
	examples := map[string]string{}
	for i, b := range blocks {
		example := strings.TrimSpace(b[:strings.Index(b, "```")])
		config := example
		switch {
		case strings.HasPrefix(example, `"alarms"`):
			config = `{"services": [{"cluster": "a", "service": "web", "minCapacity": 0, "maxCapacity": 100, ` + example + `}]}`
		case strings.HasPrefix(example, `{ "alarmName"`):
			config = `{"services": [{"cluster": "a", "service": "web", "minCapacity": 0, "maxCapacity": 100, "alarms": [` + example + `]}]}`
		case strings.HasPrefix(example, `{ "cluster"`):
			config = `{"services": [` + example + `]}`
		case strings.HasPrefix(example, `"scheduledActions"`):
			config = `{"services": [{"cluster": "a", "service": "web", "minCapacity": 2, "maxCapacity": 20, "alarms": [], ` + example + `}]}`
		}
		examples[fmt.Sprintf("docs/configuration.md example %d", i+1)] = config
	}
	return examples
}

// TestSchemaPatternsAreGos: the schema's patterns for schedule expressions, time zones and
// date-times are the ones the Go validation is held to (schedule.ExpressionPattern is
// tested against schedule.Parse), copied, not rewritten.
func TestSchemaPatternsAreGos(t *testing.T) {
	var doc struct {
		Defs struct {
			ScheduledAction struct {
				Properties map[string]struct {
					Pattern string `json:"pattern"`
				} `json:"properties"`
			} `json:"scheduledAction"`
		} `json:"$defs"`
	}
	data, err := os.ReadFile(filepath.Join("..", "..", "config", "stepscaler.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	props := doc.Defs.ScheduledAction.Properties
	for field, want := range map[string]string{
		"schedule":  schedule.ExpressionPattern,
		"timezone":  schedule.ZonePattern,
		"startTime": DateTimePattern,
		"endTime":   DateTimePattern,
	} {
		if got := props[field].Pattern; got != want {
			t.Errorf("the schema's pattern for %s is\n  %s\nthe Go validation's\n  %s", field, got, want)
		}
	}
}

// TestScheduledActionNamesAgree holds the schema's pattern for scheduledActionName to the
// Go validation's verdict, on names at the edges of ScheduledActionName's rules.
func TestScheduledActionNamesAgree(t *testing.T) {
	schema := compileSchema(t)
	for _, name := range []string{
		"weekday-morning", "Scale out at 08:00", "a", "a b", "é", strings.Repeat("x", 256), strings.Repeat("é", 256),
		"", " lead", "trail ", "scale/out", "a|b", "a:b", "tab\there", "nul\x00", "c1\u0085", "del\u007f", "\u00a0nbsp", strings.Repeat("x", 257),
	} {
		config := alarmsConfig(`{"alarmName": "x", "direction": "out"}`)
		config = strings.Replace(config, `"alarms"`, `"scheduledActions": [{"scheduledActionName": `+quote(name)+
			`, "schedule": "cron(0 8 * * ? *)", "scalableTargetAction": {"minCapacity": 1}}], "alarms"`, 1)
		_, goErr := Parse("name.json", []byte(config))
		parsed, schemaErr := validateSchema(schema, []byte(config))
		if !parsed {
			t.Fatalf("%q: not JSON: %v", name, schemaErr)
		}
		if (goErr == nil) != (schemaErr == nil) {
			t.Errorf("%q: Go says %v, the schema %v", name, goErr, schemaErr)
		}
	}
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	schema, err := jsonschema.NewCompiler().Compile(filepath.Join("..", "..", "config", "stepscaler.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	return schema
}

// validateSchema validates data against the schema. parsed is false when data is not one
// JSON value, which no schema can judge. Numbers are kept as written, so that 1e400 and
// 2.0 reach the schema as the file has them.
func validateSchema(s *jsonschema.Schema, data []byte) (parsed bool, err error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return false, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return false, fmt.Errorf("data after the top-level value")
	}
	return true, s.Validate(v)
}

// readStrict decodes a test table, refusing fields it does not know: a misspelt key in
// the table would otherwise drop an expectation silently.
func readStrict(t *testing.T, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}
