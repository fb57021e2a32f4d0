package simulate

import (
	"errors"

	"github.com/stepscaler/stepscaler/internal/scaling"
)

// Seed is the scaler a team writes first: an SNS-subscribed Lambda that adds one task per
// notification of a scale-out alarm and removes one per notification of a scale-in
// alarm, clamped to [Min, Max], with no stability wait and no cooldown. It reads only
// Policies' directions and alarms. "Alarms invoke actions only when the alarm changes
// state" (Amazon CloudWatch User Guide, "Alarm actions"), and an SNS action is no
// exception, so it takes one step per transition however long the alarm stays in ALARM.
type Seed struct {
	Label    string // the result's name; "seed" when empty
	Policies []PolicyAlarm
}

// Name labels the results.
func (sd *Seed) Name() string { return orLabel(sd.Label, "seed") }

// Target is the lowest scale-out threshold, for the measures.
func (sd *Seed) Target(Setup) float64 { return policiesTarget(sd.Policies) }

// Start adds the alarms.
func (sd *Seed) Start(s *Sim) (Controller, error) {
	if len(sd.Policies) == 0 {
		return nil, errors.New("no policies")
	}
	r := &seedRun{}
	for _, pa := range sd.Policies {
		a, err := s.AddAlarm(pa.Alarm)
		if err != nil {
			return nil, err
		}
		r.alarms = append(r.alarms, a)
		r.dirs = append(r.dirs, pa.Policy.Direction)
	}
	return r, nil
}

type seedRun struct {
	alarms []*Alarm
	dirs   []scaling.Direction
}

func (r *seedRun) Step(s *Sim) {
	setup := s.Setup()
	for i, a := range r.alarms {
		if !a.EnteredAlarm() {
			continue
		}
		delta := 1
		if r.dirs[i] == scaling.In {
			delta = -1
		}
		if n := min(max(s.Desired()+delta, setup.Min), setup.Max); n != s.Desired() {
			s.SetDesired(n)
		} else {
			s.Note("at a bound")
		}
	}
}
