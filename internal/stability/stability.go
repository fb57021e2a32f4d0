package stability

// Status is the verdict on one observation.
type Status string

const (
	InProgress Status = "InProgress" // keep polling
	Stable     Status = "Stable"     // the scaling took effect
	Failed     Status = "Failed"     // it cannot take effect: stop now
	TimedOut   Status = "TimedOut"   // not stable before the deadline
	Overridden Status = "Overridden" // someone else set another desiredCount meanwhile
)

// Verdict is the judgement: a status the state machine branches on, a sentence an
// operator reads (quoting what ECS said), and a cause code to group outcomes by.
type Verdict struct {
	Status Status `json:"status"`
	Reason string `json:"reason"`
	Cause  Cause  `json:"cause"`
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}
