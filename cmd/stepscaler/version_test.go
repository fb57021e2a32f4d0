package main

import (
	"context"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
)

func TestVersionLine(t *testing.T) {
	platform := runtime.GOOS + "/" + runtime.GOARCH
	vcs := func(rev, modified, at string) []debug.BuildSetting {
		return []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: rev},
			{Key: "vcs.time", Value: at}, {Key: "vcs.modified", Value: modified}}
	}
	for _, c := range []struct {
		name string
		bi   *debug.BuildInfo
		ok   bool
		want string
	}{
		{"go install ...@v1.2.3", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "github.com/stepscaler/stepscaler", Version: "v1.2.3"}},
			true, "stepscaler v1.2.3 go1.26.8 " + platform},
		{"a checkout, -buildvcs on", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"},
			Settings: vcs("57b7f55a1b2c3d4e5f60718293a4b5c6d7e8f901", "true", "2026-11-27T10:00:00Z")},
			true, "stepscaler (devel) (commit 57b7f55a1b2c, modified, 2026-11-27T10:00:00Z) go1.26.8 " + platform},
		{"a clean checkout, pseudo-version", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v0.0.0-20261127100000-57b7f55a1b2c"},
			Settings: vcs("57b7f55a1b2c3d4e5f60718293a4b5c6d7e8f901", "false", "2026-11-27T10:00:00Z")},
			true, "stepscaler v0.0.0-20261127100000-57b7f55a1b2c (commit 57b7f55a1b2c, 2026-11-27T10:00:00Z) go1.26.8 " + platform},
		{"no module information", nil, false, "stepscaler (unknown version: built without module information) " + platform},
	} {
		if got := versionLine(c.bi, c.ok); got != c.want {
			t.Errorf("%s:\n got %q\nwant %q", c.name, got, c.want)
		}
	}
}

// Built from this checkout, the binary names the commit it was built from, with
// --version and with the version command alike.
func TestVersionOfABuiltBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the command")
	}
	head, err := exec.Command("git", "rev-parse", "HEAD").Output()
	if err != nil {
		t.Skipf("not a git checkout: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "stepscaler")
	// -buildvcs=true, as go build's default, over a GOFLAGS that may turn stamping off.
	if out, err := exec.Command("go", "build", "-buildvcs=true", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	want := "(commit " + strings.TrimSpace(string(head))[:12]
	for _, arg := range []string{"--version", "version"} {
		out, err := exec.Command(bin, arg).Output()
		if err != nil {
			t.Fatalf("stepscaler %s: %v", arg, err)
		}
		if line := string(out); !strings.HasPrefix(line, "stepscaler ") || !strings.Contains(line, want) || !strings.Contains(line, runtime.Version()) {
			t.Errorf("stepscaler %s printed %q, want the commit %s and %s", arg, line, want, runtime.Version())
		}
	}
}

func TestVersionCommand(t *testing.T) {
	for _, args := range [][]string{{"--version"}, {"version"}} {
		out := captureStdout(t, func() error { return run(context.Background(), args) })
		if !strings.HasPrefix(out, "stepscaler ") || !strings.HasSuffix(out, runtime.GOOS+"/"+runtime.GOARCH+"\n") {
			t.Errorf("%v printed %q", args, out)
		}
	}
}
