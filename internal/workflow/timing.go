package workflow

import (
	"time"

	"github.com/stepscaler/stepscaler/internal/stability"
)

// Timing is how long an execution's scaling took, counted from the moment its deciding
// alarm went into ALARM: to the update of the desired count, and to the check that found
// the service stable. A zero time is unknown.
type Timing struct {
	// Transition is when the deciding alarm went into ALARM (see TransitionOf).
	Transition time.Time
	// Update is when UpdateService returned (stability.Watch.Since).
	Update time.Time
	// Stable is when the service was found stable. The record step runs right after the
	// stability check that found it, so the record's own clock stands for that check,
	// later by one invocation; the service became stable at most one poll interval
	// before that check.
	Stable time.Time
}

// TimingOf is the execution's timing. recordedAt is the record step's clock.
func TimingOf(st State, recordedAt time.Time) Timing {
	t := Timing{}
	t.Transition, _ = TransitionOf(st)
	if w := st.Watch; w != nil {
		t.Update = w.Since
		if st.Error == nil && w.Status == stability.Stable {
			t.Stable = recordedAt.UTC()
		}
	}
	return t
}

// ToUpdate is the time from the alarm's transition to the update; false when either is
// unknown or the alarm went into ALARM again after the update (the update then answered
// an earlier transition).
func (t Timing) ToUpdate() (time.Duration, bool) { return since(t.Transition, t.Update) }

// ToStable is the time from the alarm's transition to the service found stable; false
// as ToUpdate is, or when the service was not found stable.
func (t Timing) ToStable() (time.Duration, bool) {
	if _, ok := t.ToUpdate(); !ok {
		return 0, false
	}
	return since(t.Transition, t.Stable)
}

func since(from, to time.Time) (time.Duration, bool) {
	if from.IsZero() || to.IsZero() || to.Before(from) {
		return 0, false
	}
	return to.Sub(from), true
}

// TransitionOf is when the alarm that decided the execution (the plan's alarm) went into
// ALARM. What the execution read from CloudWatch comes first (Alarms.Transitioned); the
// notification that started the execution stands in when it is about that alarm, since
// its StateChangeTime is the same transition as CloudWatch sent it. False when no alarm
// decided or neither says when it changed state.
func TransitionOf(st State) (time.Time, bool) {
	if st.Plan == nil || st.Plan.AlarmName == "" {
		return time.Time{}, false
	}
	alarm := st.Plan.AlarmName
	if st.Alarms != nil {
		if at, ok := st.Alarms.Transitioned[alarm]; ok && !at.IsZero() {
			return at.UTC(), true
		}
	}
	tr := st.Trigger
	if tr.Source == SourceNotification && tr.Alarm == alarm && tr.StateChangeTime != nil {
		return tr.StateChangeTime.UTC(), true
	}
	return time.Time{}, false
}

// LastDesiredCount is the service's desired count as the execution last knew it: as the
// last stability check read it (another actor may have changed it since the update), as
// the update set it when no check followed, or as described before planning. False when
// the execution never read the service (its lease was held, or a step before failed).
func LastDesiredCount(st State) (int, bool) {
	switch w := st.Watch; {
	case w != nil && w.Checks > 0:
		return w.Last.Desired, true
	case w != nil:
		return w.DesiredCount, true
	case st.Before != nil:
		return st.Before.DesiredCount, true
	}
	return 0, false
}
