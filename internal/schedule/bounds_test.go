package schedule

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestTutorialExample replays "Tutorial: Getting started with scheduled scaling using the
// AWS CLI" (AAS User Guide): a target registered with "a minimum desired capacity of 5 ...
// and a maximum desired capacity of 10", my-first-scheduled-action at
// at(2019-05-20T17:05:00) with MinCapacity=15,MaxCapacity=20 ("Assuming the table
// currently has 5 write capacity units, Application Auto Scaling scales out to MinCapacity
// to put the table within the new desired range of 15-20"), and
// my-second-scheduled-action at at(2019-05-20T17:10:00) with MinCapacity=5,MaxCapacity=10
// ("scales in to MaxCapacity to return the table to the original desired range of 5-10";
// "the write capacity units should have been scaled from 15 to 10").
func TestTutorialExample(t *testing.T) {
	s := Schedule{
		{Name: "my-first-scheduled-action", Schedule: mustParse(t, "at(2019-05-20T17:05:00)"), MinCapacity: ptr(15), MaxCapacity: ptr(20)},
		{Name: "my-second-scheduled-action", Schedule: mustParse(t, "at(2019-05-20T17:10:00)"), MinCapacity: ptr(5), MaxCapacity: ptr(10)},
	}
	base := Bounds{Min: 5, Max: 10}
	steps := []struct {
		at       time.Time
		bounds   Bounds
		from, to int
		due      []string
	}{
		{utc(2019, 5, 20, 17, 4), Bounds{5, 10}, 5, 5, nil},
		{utc(2019, 5, 20, 17, 5), Bounds{15, 20}, 5, 15, []string{"my-first-scheduled-action"}},
		{utc(2019, 5, 20, 17, 9), Bounds{15, 20}, 15, 15, nil},
		{utc(2019, 5, 20, 17, 10), Bounds{5, 10}, 15, 10, []string{"my-second-scheduled-action"}},
		{utc(2019, 6, 1, 0, 0), Bounds{5, 10}, 10, 10, nil},
	}
	for _, st := range steps {
		e := s.Effective(base, st.at)
		if e.Bounds != st.bounds || len(e.Refused) != 0 {
			t.Errorf("%v: Effective = %+v, want %v", st.at, e, st.bounds)
		}
		if got := e.Bounds.Clamp(st.from); got != st.to {
			t.Errorf("%v: Clamp(%d) = %d, want %d", st.at, st.from, got, st.to)
		}
		var due []string
		for _, f := range s.Due(st.at) {
			due = append(due, f.Action)
		}
		if !reflect.DeepEqual(due, st.due) {
			t.Errorf("%v: Due = %v, want %v", st.at, due, st.due)
		}
	}
}

// TestEffectiveIsPersistent: a bound an action sets stays until another action sets it;
// the bounds at an instant come from the latest firing of each action, in the order they
// fired, whatever order the schedule lists them in.
func TestEffectiveIsPersistent(t *testing.T) {
	day := Action{Name: "weekday-morning", Schedule: mustParse(t, "cron(0 8 ? * MON-FRI *)"), MinCapacity: ptr(10), MaxCapacity: ptr(40)}
	night := Action{Name: "night", Schedule: mustParse(t, "cron(0 20 * * ? *)"), MinCapacity: ptr(2)}
	base := Bounds{Min: 4, Max: 20}
	tests := []struct {
		name    string
		at      time.Time
		want    Bounds
		applied []string
	}{
		// Friday 2026-11-27 at noon: last night (20:00 Thursday) set the minimum to 2, this
		// morning's action then set [10, 40].
		{"weekday noon", utc(2026, 11, 27, 12, 0), Bounds{10, 40}, []string{"night", "weekday-morning"}},
		// Friday 21:00: the night action lowered the minimum; the maximum stays 40.
		{"weekday night", utc(2026, 11, 27, 21, 0), Bounds{2, 40}, []string{"weekday-morning", "night"}},
		// Saturday noon: no morning action at the weekend, Friday night's minimum holds.
		{"saturday noon", utc(2026, 11, 28, 12, 0), Bounds{2, 40}, []string{"weekday-morning", "night"}},
	}
	for _, order := range []Schedule{{day, night}, {night, day}} {
		for _, tt := range tests {
			e := order.Effective(base, tt.at)
			var applied []string
			for _, f := range e.Applied {
				applied = append(applied, f.Action)
			}
			if e.Bounds != tt.want || !reflect.DeepEqual(applied, tt.applied) {
				t.Errorf("%s: Effective = %v applied %v, want %v applied %v", tt.name, e.Bounds, applied, tt.want, tt.applied)
			}
		}
	}
	// Before any firing, the registered bounds.
	first := Schedule{{Name: "later", Schedule: mustParse(t, "at(2030-01-01T00:00:00)"), MinCapacity: ptr(9)}}
	if e := first.Effective(base, utc(2026, 1, 1, 0, 0)); e.Bounds != base || len(e.Applied) != 0 {
		t.Errorf("nothing fired yet: %+v, want %v", e, base)
	}
}

// TestSameMinuteInListOrder: "Because scheduled actions are run in the order that they are
// specified", two actions firing in one minute apply in the schedule's order.
func TestSameMinuteInListOrder(t *testing.T) {
	a := Action{Name: "a", Schedule: mustParse(t, "cron(0 9 * * ? *)"), MinCapacity: ptr(3)}
	b := Action{Name: "b", Schedule: mustParse(t, "at(2026-06-03T09:00:40)"), MinCapacity: ptr(6)}
	at := utc(2026, 6, 3, 9, 0)
	if got := (Schedule{a, b}).Effective(Bounds{1, 10}, at).Bounds.Min; got != 6 {
		t.Errorf("a then b: min %d, want 6", got)
	}
	if got := (Schedule{b, a}).Effective(Bounds{1, 10}, at).Bounds.Min; got != 3 {
		t.Errorf("b then a: min %d, want 3", got)
	}
	due := (Schedule{b, a}).Due(at.Add(30 * time.Second))
	if len(due) != 2 || due[0].Action != "b" || due[1].Action != "a" || !due[0].At.Equal(at) {
		t.Errorf("Due = %+v, want b then a at %v", due, at)
	}
}

// TestRefusedFiring: an action that would put the minimum above the maximum is not
// applied, and says so; the bounds stay as they were.
func TestRefusedFiring(t *testing.T) {
	s := Schedule{
		{Name: "narrow", Schedule: mustParse(t, "at(2026-06-01T00:00:00)"), MaxCapacity: ptr(8)},
		{Name: "peak", Schedule: mustParse(t, "at(2026-06-02T00:00:00)"), MinCapacity: ptr(12)},
	}
	e := s.Effective(Bounds{2, 20}, utc(2026, 6, 3, 0, 0))
	if e.Bounds != (Bounds{2, 8}) || len(e.Applied) != 1 || len(e.Refused) != 1 || e.Refused[0].Action != "peak" ||
		!strings.Contains(e.Refused[0].Reason, "[12, 8]") {
		t.Errorf("Effective = %+v, want [2, 8] with peak refused", e)
	}
}

func TestClamp(t *testing.T) {
	b := Bounds{Min: 3, Max: 7}
	for n, want := range map[int]int{0: 3, 3: 3, 5: 5, 7: 7, 9: 7} {
		if got := b.Clamp(n); got != want {
			t.Errorf("Clamp(%d) = %d, want %d", n, got, want)
		}
	}
	zero := Bounds{}
	if got := zero.Clamp(4); got != 0 {
		t.Errorf("[0, 0] Clamp(4) = %d, want 0 (AAS's MinCapacity=0,MaxCapacity=0 example scales to zero)", got)
	}
}

func TestCloneSharesNothing(t *testing.T) {
	s := Schedule{{Name: "a", Schedule: mustParse(t, "rate(1 hour)"), Start: ptr(utc(2026, 1, 1, 0, 0)), MinCapacity: ptr(3)}}
	c := s.Clone()
	*c[0].MinCapacity, *c[0].Start = 9, utc(2027, 1, 1, 0, 0)
	if *s[0].MinCapacity != 3 || !s[0].Start.Equal(utc(2026, 1, 1, 0, 0)) {
		t.Errorf("changing the clone changed the original: %+v", s[0])
	}
}
