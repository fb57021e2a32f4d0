package scaling

import (
	"testing"
	"time"

	"github.com/stepscaler/stepscaler/internal/service"
)

func TestPlan(t *testing.T) {
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	ago := func(d time.Duration) *time.Time { t := now.Add(-d); return &t }
	out := Policy{AlarmName: "high", MinCapacity: 1, MaxCapacity: 5, Direction: Out, Adjustment: 2, CooldownSeconds: 300}
	in := out
	in.AlarmName, in.Direction, in.Adjustment = "low", In, 1
	active := func(desired int) service.Snapshot {
		return service.Snapshot{Status: service.StatusActive, DesiredCount: desired, RunningCount: desired}
	}

	tests := []struct {
		name    string
		policy  Policy
		svc     service.Snapshot
		history History
		scale   bool
		to      int
		reason  string
	}{
		{"scale out by the step", out, active(1), History{}, true, 3, ""},
		{"scale out clamped to max", out, active(4), History{}, true, 5, ""},
		{"already at max", out, active(5), History{}, false, 5, AlreadyAtMaxCapacity},
		{"above max never scales out", out, active(7), History{}, false, 7, AlreadyAtMaxCapacity},
		{"below min scales out at least to min", Policy{MinCapacity: 4, MaxCapacity: 9, Direction: Out, Adjustment: 1}, active(0), History{}, true, 4, ""},
		{"scale in by the step", in, active(3), History{}, true, 2, ""},
		{"scale in down to min", Policy{MinCapacity: 2, MaxCapacity: 9, Direction: In, Adjustment: 5}, active(4), History{}, true, 2, ""},
		{"already at min", in, active(1), History{}, false, 1, AlreadyAtMinCapacity},
		{"below min never scales in", in, active(0), History{}, false, 0, AlreadyAtMinCapacity},
		{"above max scales in to max", Policy{MinCapacity: 1, MaxCapacity: 5, Direction: In, Adjustment: 1}, active(9), History{}, true, 5, ""},
		{"scale-out cooldown blocks scale-out", out, active(2), History{LastScaleOutAt: ago(time.Minute)}, false, 2, CooldownActive},
		{"scale-out cooldown over", out, active(2), History{LastScaleOutAt: ago(5 * time.Minute)}, true, 4, ""},
		{"scale-in cooldown does not block scale-out", out, active(2), History{LastScaleInAt: ago(time.Second)}, true, 4, ""},
		{"scale-in cooldown blocks scale-in", in, active(3), History{LastScaleInAt: ago(time.Minute)}, false, 3, CooldownActive},
		{"a later scale-out ends the scale-in cooldown", in, active(3), History{LastScaleInAt: ago(2 * time.Minute), LastScaleOutAt: ago(time.Minute)}, true, 2, ""},
		{"zero cooldown never blocks", Policy{MinCapacity: 1, MaxCapacity: 5, Direction: Out, Adjustment: 1}, active(2), History{LastScaleOutAt: ago(0)}, true, 3, ""},
		{"capacity reason wins over cooldown", out, active(5), History{LastScaleOutAt: ago(time.Second)}, false, 5, AlreadyAtMaxCapacity},
		{"draining service is not scaled", out, service.Snapshot{Status: service.StatusDraining, DesiredCount: 1}, History{}, false, 1, ServiceNotActive},
		{"unknown status is not scaled", out, service.Snapshot{DesiredCount: 1}, History{}, false, 1, ServiceNotActive},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := Plan(tt.policy, tt.svc, tt.history, now)
			if d.Scale != tt.scale || d.To != tt.to {
				t.Fatalf("Plan() = scale %v to %d, want scale %v to %d (%+v)", d.Scale, d.To, tt.scale, tt.to, d)
			}
			if d.From != tt.svc.DesiredCount {
				t.Errorf("From = %d, want %d", d.From, tt.svc.DesiredCount)
			}
			if tt.reason == "" {
				if len(d.NotScaledReasons) != 0 {
					t.Errorf("unexpected not-scaled reasons %+v", d.NotScaledReasons)
				}
				return
			}
			if len(d.NotScaledReasons) != 1 || d.NotScaledReasons[0].Code != tt.reason {
				t.Fatalf("NotScaledReasons = %+v, want one %s", d.NotScaledReasons, tt.reason)
			}
			if d.NotScaledReasons[0].Message == "" || d.Description == "" {
				t.Errorf("reason without message or description: %+v", d)
			}
		})
	}
}

// TestPlanInvariants checks the safety invariants over a grid of policies and counts:
// a scaling decision lands in [min, max], moves in the alarm's direction, and a
// non-scaling decision says why.
func TestPlanInvariants(t *testing.T) {
	now := time.Now()
	for minC := 0; minC <= 4; minC++ {
		for maxC := max(minC, 1); maxC <= 6; maxC++ {
			for adj := 1; adj <= 7; adj++ {
				for desired := 0; desired <= 9; desired++ {
					for _, dir := range []Direction{Out, In} {
						p := Policy{MinCapacity: minC, MaxCapacity: maxC, Direction: dir, Adjustment: adj}
						d := Plan(p, service.Snapshot{Status: service.StatusActive, DesiredCount: desired}, History{}, now)
						if d.Scale {
							if d.To < minC || d.To > maxC {
								t.Fatalf("%+v desired %d: To %d outside [%d, %d]", p, desired, d.To, minC, maxC)
							}
							if (dir == Out && d.To <= desired) || (dir == In && d.To >= desired) {
								t.Fatalf("%+v desired %d: To %d against the direction", p, desired, d.To)
							}
						} else if len(d.NotScaledReasons) == 0 || d.To != desired {
							t.Fatalf("%+v desired %d: not scaled without reason or with To changed: %+v", p, desired, d)
						}
					}
				}
			}
		}
	}
}

func BenchmarkPlan(b *testing.B) {
	p := Policy{MinCapacity: 1, MaxCapacity: 50, Direction: Out, Adjustment: 2, CooldownSeconds: 60}
	s := service.Snapshot{Status: service.StatusActive, DesiredCount: 10}
	last := time.Now().Add(-time.Hour)
	h := History{LastScaleOutAt: &last}
	now := time.Now()
	for b.Loop() {
		Plan(p, s, h, now)
	}
}
