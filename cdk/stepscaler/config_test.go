package stepscaler

import (
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/stepscaler/stepscaler/internal/config"
)

// jsonShape is a struct type's JSON fields, recursively: name → the field's shape, which
// says whether it may be left out (omitempty), whether it is a pointer, its kind, and the
// shape of what it holds.
func jsonShape(t reflect.Type) map[string]string {
	out := map[string]string{}
	var walk func(prefix string, t reflect.Type)
	walk = func(prefix string, t reflect.Type) {
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			tag := f.Tag.Get("json")
			name, opts, _ := strings.Cut(tag, ",")
			if name == "-" || name == "" {
				continue
			}
			ft := f.Type
			shape := ""
			if opts == "omitempty" {
				shape += "omitempty "
			}
			for ft.Kind() == reflect.Pointer || ft.Kind() == reflect.Slice || ft.Kind() == reflect.Map {
				shape += ft.Kind().String() + " of "
				ft = ft.Elem()
			}
			shape += ft.Kind().String()
			out[prefix+name] = shape
			if ft.Kind() == reflect.Struct && ft.PkgPath() != "time" {
				walk(prefix+name+".", ft)
			}
		}
	}
	walk("", t)
	return out
}

// TestConfigMirrorsTheFileFormat: the public Config has every field of internal/config's
// Config, under the same JSON name, with the same optionality and shape, and no other:
// a field the mirror lacked could not be given as Go values, and one it had in excess
// would be refused by the parser.
func TestConfigMirrorsTheFileFormat(t *testing.T) {
	internal := jsonShape(reflect.TypeFor[config.Config]())
	public := jsonShape(reflect.TypeFor[Config]())
	if len(internal) < 40 {
		t.Fatalf("internal/config's Config has %d JSON fields; the walk found too few to mean anything", len(internal))
	}
	for name, shape := range internal {
		if got, ok := public[name]; !ok {
			t.Errorf("Config lacks %s (%s)", name, shape)
		} else if got != shape {
			t.Errorf("%s is %s in Config, %s in the file format", name, got, shape)
		}
	}
	for name := range public {
		if _, ok := internal[name]; !ok {
			t.Errorf("Config has %s, which the file format does not", name)
		}
	}
}

// TestConfigValuesMeanWhatTheFileMeans: the example file read into Config and given as
// props parses to the configuration the file itself gives.
func TestConfigValuesMeanWhatTheFileMeans(t *testing.T) {
	data, err := os.ReadFile(repoFile(t, exampleConfig))
	if err != nil {
		t.Fatal(err)
	}
	var values Config
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&values); err != nil {
		t.Fatalf("the example does not fit Config: %v", err)
	}
	fromValues, deployed, err := scalingConfig(&Props{Config: &values})
	if err != nil {
		t.Fatalf("scalingConfig(Config): %v", err)
	}
	fromFile, err := config.Parse(exampleConfig, data)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(fromValues, fromFile) {
		t.Errorf("the values parse to\n%+v\nthe file to\n%+v", fromValues, fromFile)
	}
	// What the functions get is the configuration too.
	if again, err := config.Parse("deployed", deployed); err != nil || !reflect.DeepEqual(again, fromFile) {
		t.Errorf("the JSON deployed with the functions parses to %+v, %v", again, err)
	}
	// A file is deployed as it is, byte for byte.
	_, asFile, err := scalingConfig(&Props{ConfigFile: repoFile(t, exampleConfig)})
	if err != nil || string(asFile) != string(data) {
		t.Errorf("ConfigFile: deployed %d bytes (%v), want the file's %d", len(asFile), err, len(data))
	}
}

// TestConfigValuesAreValidatedAsAFile: invalid values get the parser's own message, each
// field named by its path as in a file.
func TestConfigValuesAreValidatedAsAFile(t *testing.T) {
	two := 2
	values := &Config{Services: []Service{{Cluster: "prod", Service: "web", MinCapacity: 5, MaxCapacity: 2,
		Alarms: []Alarm{{AlarmName: "web-high", Direction: "sideways", Adjustment: &two}}}}}
	_, _, err := scalingConfig(&Props{Config: values})
	var cfgErr *config.Error
	if !errors.As(err, &cfgErr) || cfgErr.File != "Props.Config" {
		t.Fatalf("err = %v (%T), want a *config.Error about Props.Config", err, err)
	}
	for _, field := range []string{"services[0].maxCapacity", "services[0].alarms[0].direction"} {
		if !strings.Contains(err.Error(), field) {
			t.Errorf("the message does not name %s:\n%v", field, err)
		}
	}
	for _, p := range []*Props{{}, {Config: values, ConfigFile: "x.json"}} {
		if _, _, err := scalingConfig(p); err == nil {
			t.Errorf("scalingConfig(%+v) accepted it", p)
		}
	}
}
