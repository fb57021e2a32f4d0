package cwemu

import "github.com/stepscaler/stepscaler/internal/alarmeval"

// transition moves a into next, which differs from its state: it records the reason and
// the time, queues the notifications its actions owe, and re-derives the composite
// alarms that watch it.
//
// Both timestamps move together: StateUpdatedTimestamp is "the time stamp of the last
// update to the value of either the StateValue or EvaluationState parameters" and
// StateTransitionedTimestamp "the date and time that the alarm's StateValue most
// recently changed" (API Reference, MetricAlarm), and the emulator has no
// EvaluationState. Actions run only here, on a change: "the actions happen only on state
// transitions, and are not performed again if the condition persists" (Amazon
// CloudWatch User Guide, Alarm actions).
func (e *Emulator) transition(c *call, a *alarm, next alarmeval.State, reason, data string, path map[string]bool) {
	old := a.state
	a.state, a.reason, a.reasonData = next, reason, data
	a.stateUpdated, a.stateTransitioned = c.now, c.now
	e.log.Info("cwemu: alarm state change", "alarm", a.name, "from", string(old), "to", string(next), "reason", reason)
	if a.actionsEnabled {
		c.deliveries = append(c.deliveries, e.notifications(a, old)...)
	}
	e.propagate(c, a, path)
}
