package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"strings"
)

// printVersion prints the version the binary was built as.
func printVersion(w io.Writer) error {
	bi, ok := debug.ReadBuildInfo()
	_, err := fmt.Fprintln(w, versionLine(bi, ok))
	return err
}

// versionLine says what was built: the module version the go command stamped (a release
// tag with `go install ...@v1.2.3` or @latest; a pseudo-version or "(devel)" when built
// from a checkout), the commit and whether the tree had uncommitted changes, when
// the build recorded them, and the Go toolchain and platform.
func versionLine(bi *debug.BuildInfo, ok bool) string {
	platform := runtime.GOOS + "/" + runtime.GOARCH
	if !ok || bi == nil {
		return "stepscaler (unknown version: built without module information) " + platform
	}
	version := bi.Main.Version
	if version == "" {
		version = "(devel)"
	}
	settings := map[string]string{}
	for _, s := range bi.Settings {
		settings[s.Key] = s.Value
	}
	var vcs []string
	if rev := settings["vcs.revision"]; rev != "" {
		vcs = append(vcs, "commit "+rev[:min(12, len(rev))])
		if settings["vcs.modified"] == "true" {
			vcs = append(vcs, "modified")
		}
		if t := settings["vcs.time"]; t != "" {
			vcs = append(vcs, t)
		}
	}
	line := "stepscaler " + version
	if len(vcs) > 0 {
		line += " (" + strings.Join(vcs, ", ") + ")"
	}
	return line + " " + bi.GoVersion + " " + platform
}
