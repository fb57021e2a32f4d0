package workflow

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"

	"github.com/stepscaler/stepscaler/internal/scaling"
)

// Execution names are at most 80 characters. Step Functions allows more characters than
// these, but CloudWatch logging of executions wants only letters, digits, '-' and '_'.
const (
	maxNameLen = 80
	hashLen    = 10
	minuteForm = "20060102T1504Z"
)

// ExecutionName names the execution that scales svc for the evaluation minute holding at:
// the same service and minute always give the same name. Both triggers derive names this
// way, so whichever fires first, Step Functions starts at most one execution per service
// per minute (StartExecution refuses a second execution of a name), and a duplicate
// delivery starts nothing. The readable prefix helps an operator find the execution in
// the console; the hash keeps names apart when long service names are cut.
func ExecutionName(svc scaling.ServiceRef, at time.Time) string {
	minute := at.UTC().Truncate(time.Minute)
	sum := sha256.Sum256([]byte(svc.Cluster + "/" + svc.Service + "|" + minute.Format(time.RFC3339)))
	return NamePrefix(svc) + "-" + minute.Format(minuteForm) + "-" + hex.EncodeToString(sum[:])[:hashLen]
}

// suffixLen is the length of an execution name's "-<minute>-<hash>" suffix.
const suffixLen = 1 + len(minuteForm) + 1 + hashLen

// NamePrefix is the readable part of svc's execution names: cluster and service, cut to
// leave room for the suffix. Services whose names differ only past the cut share it.
func NamePrefix(svc scaling.ServiceRef) string {
	prefix := sanitize(svc.Cluster + "-" + svc.Service)
	if room := maxNameLen - suffixLen; len(prefix) > room {
		prefix = prefix[:room]
	}
	return prefix
}

// sanitize keeps letters, digits, '-' and '_' and turns every other run into one '-'.
func sanitize(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range s {
		ok := r < 128 && (r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z')
		switch {
		case ok:
			b.WriteRune(r)
			dash = false
		case !dash:
			b.WriteByte('-')
			dash = true
		}
	}
	out := strings.Trim(b.String(), "-")
	if out == "" {
		return "service"
	}
	return out
}

// PrefixOf is the readable part of an execution name (NamePrefix of its service); "" for a
// name too short to have one.
func PrefixOf(name string) string {
	if len(name) <= suffixLen {
		return ""
	}
	return name[:len(name)-suffixLen]
}

// OfService reports whether name is the name of one of svc's executions, and for which
// minute: the name ExecutionName gives svc for the minute the name carries.
func OfService(name string, svc scaling.ServiceRef) (time.Time, bool) {
	if PrefixOf(name) != NamePrefix(svc) {
		return time.Time{}, false
	}
	start := len(name) - suffixLen + 1
	minute, err := time.Parse(minuteForm, name[start:start+len(minuteForm)])
	if err != nil || ExecutionName(svc, minute) != name {
		return time.Time{}, false
	}
	return minute, true
}
