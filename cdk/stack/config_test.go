package stack

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/stepscaler/stepscaler/internal/config"
)

// TestBrokenConfigFailsSynth builds the app from an invalid configuration: it must stop
// before creating a stack, with the configuration's own validation message, which the
// app's main prints.
func TestBrokenConfigFailsSynth(t *testing.T) {
	synthesized(t) // shares the jsii runtime
	const broken = "cdk/stack/testdata/broken.json"
	app := newTestApp(t.TempDir(), broken)
	st, err := FromApp(app)
	if err == nil {
		t.Fatalf("FromApp succeeded with %s", broken)
	}
	if st != nil {
		t.Error("FromApp returned a stack with an error")
	}
	var cfgErr *config.Error
	if !errors.As(err, &cfgErr) {
		t.Fatalf("err = %v (%T), want the *config.Error", err, err)
	}
	data, rerr := os.ReadFile(repoFile(t, broken))
	if rerr != nil {
		t.Fatal(rerr)
	}
	_, want := config.Parse(broken, data)
	if want == nil || err.Error() != want.Error() {
		t.Errorf("message:\n%v\nwant the validation message:\n%v", err, want)
	}
	for _, field := range []string{"services[0].maxCapacity", "services[0].alarms[0].direction",
		"services[0].alarms[0].metric.statistic", "services[0].alarms[0].metric.periodSeconds"} {
		if !strings.Contains(err.Error(), field) {
			t.Errorf("message does not name %s:\n%v", field, err)
		}
	}
	if n := len(*app.Node().Children()); n != 0 {
		t.Errorf("app has %d children after a failed build, want none", n)
	}
}

func TestMissingConfigFailsSynth(t *testing.T) {
	synthesized(t)
	_, err := FromApp(newTestApp(t.TempDir(), "cdk/stack/testdata/no-such-file.json"))
	if err == nil || !strings.Contains(err.Error(), "cdk/stack/testdata/no-such-file.json") {
		t.Fatalf("err = %v, want one naming the missing file", err)
	}
}
