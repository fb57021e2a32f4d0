package scaling

import (
	"fmt"
	"time"

	"github.com/stepscaler/stepscaler/internal/service"
)

// History is what the service's state item remembers of past scalings, for cooldowns.
type History struct {
	LastScaleOutAt *time.Time `json:"lastScaleOutAt,omitempty"`
	LastScaleInAt  *time.Time `json:"lastScaleInAt,omitempty"`
}

// Decision is the outcome of planning: either a new desiredCount, or the reasons why not.
type Decision struct {
	Scale     bool      `json:"scale"`
	Direction Direction `json:"direction"`
	From      int       `json:"from"`
	To        int       `json:"to"`
	// Description reads like Application Auto Scaling's: "Setting desired count to 3."
	Description      string            `json:"description"`
	NotScaledReasons []NotScaledReason `json:"notScaledReasons,omitempty"`
}

// Plan decides what one alarm's policy asks of the service right now. It is a pure
// function of its inputs. Its guarantees:
//   - a decision to scale always lands inside [MinCapacity, MaxCapacity];
//   - it never moves the service against the alarm's direction;
//   - a blocked decision carries at least one not-scaled reason.
func Plan(p Policy, svc service.Snapshot, h History, now time.Time) Decision {
	from := svc.DesiredCount
	d := Decision{Direction: p.Direction, From: from, To: from}

	if svc.Status != service.StatusActive {
		return d.notScaled(NotScaledReason{
			Code:    ServiceNotActive,
			Message: fmt.Sprintf("service status is %s, not ACTIVE", orUnknown(svc.Status)),
		})
	}
	to, bound := step(p, from)
	if bound != nil {
		return d.notScaled(*bound)
	}
	if until, ok := cooldownUntil(p, h, now); ok {
		return d.notScaled(NotScaledReason{
			Code: CooldownActive,
			Message: fmt.Sprintf("scale-%s cooldown of %ds is in effect until %s",
				p.Direction, p.CooldownSeconds, until.UTC().Format(time.RFC3339)),
		})
	}
	d.Scale, d.To = true, to
	d.Description = fmt.Sprintf("Setting desired count to %d.", to)
	return d
}

// step applies the adjustment and clamps it to [min, max]. It returns a not-scaled
// reason when the clamp leaves nothing to do in the alarm's direction.
func step(p Policy, from int) (int, *NotScaledReason) {
	capacity := func(code, msg string) *NotScaledReason {
		return &NotScaledReason{Code: code, Message: msg,
			CurrentCapacity: ptr(from), MinCapacity: ptr(p.MinCapacity), MaxCapacity: ptr(p.MaxCapacity)}
	}
	switch p.Direction {
	case Out:
		if from >= p.MaxCapacity {
			return from, capacity(AlreadyAtMaxCapacity, fmt.Sprintf("desired count %d is at or above the maximum %d", from, p.MaxCapacity))
		}
		// A service below its minimum goes at least to the minimum.
		return clamp(from+p.Adjustment, p.MinCapacity, p.MaxCapacity), nil
	case In:
		if from <= p.MinCapacity {
			return from, capacity(AlreadyAtMinCapacity, fmt.Sprintf("desired count %d is at or below the minimum %d", from, p.MinCapacity))
		}
		return clamp(from-p.Adjustment, p.MinCapacity, p.MaxCapacity), nil
	default:
		return from, &NotScaledReason{Code: AlreadyAtDesiredCapacity, Message: fmt.Sprintf("unknown direction %q", p.Direction)}
	}
}

// cooldownUntil applies Application Auto Scaling's cooldown rules: a scale-out waits for
// the scale-out cooldown; a scale-in waits for the scale-in cooldown, which a later
// scale-out ends (the service has grown since, so the earlier scale-in no longer argues
// against shrinking).
func cooldownUntil(p Policy, h History, now time.Time) (time.Time, bool) {
	cooldown := time.Duration(p.CooldownSeconds) * time.Second
	var last *time.Time
	switch p.Direction {
	case Out:
		last = h.LastScaleOutAt
	case In:
		last = h.LastScaleInAt
		if last != nil && h.LastScaleOutAt != nil && h.LastScaleOutAt.After(*last) {
			return time.Time{}, false
		}
	}
	if last == nil || cooldown == 0 {
		return time.Time{}, false
	}
	until := last.Add(cooldown)
	return until, now.Before(until)
}

func (d Decision) notScaled(r NotScaledReason) Decision {
	d.Scale, d.To = false, d.From
	d.NotScaledReasons = append(d.NotScaledReasons, r)
	d.Description = fmt.Sprintf("Not scaled: %s.", r.Message)
	return d
}

func clamp(v, lo, hi int) int { return max(lo, min(v, hi)) }

func ptr(v int) *int { return &v }

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}
