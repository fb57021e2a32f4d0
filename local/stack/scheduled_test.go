package stack_test

import (
	"strings"
	"testing"

	"github.com/stepscaler/stepscaler/internal/activity"
	"github.com/stepscaler/stepscaler/local/ecsemu"
)

// A scheduled action raises the service's minimum (here every minute, to 3): the
// per-minute evaluation starts the service's execution although it has no alarm, and
// the execution moves the desired count up to the new minimum, recorded as an activity
// that names the action. Once within the bounds, the next minutes change nothing.
func TestScheduledActionRaisesTheMinimum(t *testing.T) {
	skipShort(t)
	t.Parallel()
	const svc = "scheduled"
	createService(t, svc, ecsemu.ServiceSpec{DesiredCount: 1})
	started := evaluate(t, svc)
	if len(started) != 1 {
		t.Fatalf("evaluation started %v, want one execution", started)
	}
	a := recorded(t, svc, started[0])
	wantActivity(t, a, activity.StatusSuccessful, 1, 3, "")
	if !strings.Contains(a.Cause, "scheduled action every-minute set the minimum to 3") {
		t.Errorf("cause %q does not name the scheduled action", a.Cause)
	}
	if d := desired(t, svc); d != 3 {
		t.Fatalf("desired %d, want 3", d)
	}
	t.Logf("%s: %s → %d: %s", a.ActivityID, a.Description, a.ToCount, a.Cause)

	again := evaluate(t, svc)
	if len(again) != 1 {
		t.Fatalf("the next evaluation started %v, want one execution", again)
	}
	if d := desired(t, svc); d != 3 {
		t.Errorf("desired %d after the next minute, want 3: within the bounds nothing changes", d)
	}
}
