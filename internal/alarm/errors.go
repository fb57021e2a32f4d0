package alarm

import (
	"fmt"
	"unicode/utf8"
)

// FieldError reports why a notification was rejected. Field and Problem are
// kept apart so that a caller can log them as separate structured fields
// instead of parsing them back out of the message text.
type FieldError struct {
	// Field is the JSON path of the offending value, such as
	// "Trigger.Metrics[1].Id" or "Records[0].Sns.Message". It is empty when
	// the problem concerns the input as a whole (size, malformed JSON).
	Field string
	// Problem says what is wrong, in words, e.g. `not a timestamp ("yesterday")`.
	Problem string
	// Err is the underlying error, if there is one (a *json.SyntaxError for
	// malformed JSON), so that errors.As can reach it.
	Err error
}

func (e *FieldError) Error() string {
	if e.Field == "" {
		return "alarm notification: " + e.Problem
	}
	return "alarm notification: " + e.Field + ": " + e.Problem
}

func (e *FieldError) Unwrap() error { return e.Err }

// maxQuoted bounds how much of a rejected value is echoed in a Problem. The
// input comes from the network, so a hostile sender could otherwise make every
// log line 256 KiB long.
const maxQuoted = 64

// quote renders s for an error message: Go-quoted, so control characters and
// invalid UTF-8 are visible, and cut to maxQuoted runes.
func quote(s string) string {
	if utf8.RuneCountInString(s) <= maxQuoted {
		return fmt.Sprintf("%q", s)
	}
	n := 0
	for i := range s {
		if n == maxQuoted {
			return fmt.Sprintf("%q…", s[:i])
		}
		n++
	}
	return fmt.Sprintf("%q", s)
}
