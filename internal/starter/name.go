package starter

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/stepscaler/stepscaler/internal/alarm"
)

// Execution names are at most 80 characters. Step Functions allows more characters than
// these, but CloudWatch logging of executions wants only letters, digits, '-' and '_'.
const (
	maxNameLen = 80
	hashLen    = 10
)

// ExecutionName derives the execution's name from the alarm and the time of its
// transition, so a duplicate delivery of one notification maps to the same name and
// Step Functions starts nothing new. The readable prefix helps an operator find the
// execution in the console; the hash keeps names distinct when long alarm names are cut.
func ExecutionName(alarmKey string, changed time.Time) string {
	changed = changed.UTC()
	sum := sha256.Sum256([]byte(alarmKey + "|" + changed.Format(time.RFC3339Nano)))
	stamp := changed.Format("20060102T150405") + fmt.Sprintf("%03dZ", changed.Nanosecond()/1e6)
	suffix := "-" + stamp + "-" + hex.EncodeToString(sum[:])[:hashLen]
	prefix := sanitize(alarmKey)
	if room := maxNameLen - len(suffix); len(prefix) > room {
		prefix = prefix[:room]
	}
	return prefix + suffix
}

// ExecutionNameFor is the execution name of one notification: keyed by the alarm's ARN
// (unique across accounts and regions), or its name in messages too old to carry one.
func ExecutionNameFor(n alarm.Notification) string {
	key := n.AlarmARN
	if key == "" {
		key = n.AlarmName
	}
	return ExecutionName(key, n.StateChangeTime)
}

// sanitize keeps letters, digits, '-' and '_' and turns every other run into one '-'.
func sanitize(s string) string {
	// An ARN's last part is the alarm name: keep the name readable, the hash covers the rest.
	if i := strings.LastIndex(s, ":alarm:"); i >= 0 {
		s = s[i+len(":alarm:"):]
	}
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
		return "alarm"
	}
	return out
}
