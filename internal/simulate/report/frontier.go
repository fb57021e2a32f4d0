package report

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/stepscaler/stepscaler/internal/chart"
	"github.com/stepscaler/stepscaler/internal/simulate"
)

// The anchors are the autoscalers the goal holds Stepscaler against: Application Auto
// Scaling's step scaling and target tracking, and the Kubernetes HPA. The seed, a
// Lambda adding one task per notification, is compared too, but as the baseline it is.
var anchors = []string{"aas-step", "aas-target-tracking", "hpa"}

// balancedPreset is the preset the goal holds against the anchors' defaults.
const balancedPreset = "stepscaler balanced"

// Pair is a point's controllable under- and over-provisioning, in task-minutes.
type Pair struct {
	Under float64 `json:"under"`
	Over  float64 `json:"over"`
}

func pairOf(m simulate.Measures) Pair {
	return Pair{m.ControllableUnderTaskMinutes, m.ControllableOverTaskMinutes}
}

// Goal is the backtest's goal checked at one demand scale.
type Goal struct {
	Trace string  `json:"trace"`
	Scale float64 `json:"scale"`
	// BoundMinutes is how long the need exceeds Max: 0 within the bounds.
	BoundUnder float64 `json:"boundUnderTaskMinutes"`
	// Defaults are every curve's default point.
	Defaults map[string]Pair `json:"defaults"`
	Order    []string        `json:"order"`
	// Covered says whether every anchor point is covered by a preset point; Uncovered
	// lists those that are not, each with the nearest preset point.
	Covered   bool                `json:"covered"`
	Anchors   int                 `json:"anchorPoints"`
	Uncovered []simulate.Coverage `json:"uncovered,omitempty"`
	// SeedUncovered are the seed's points no preset point covers.
	SeedUncovered []simulate.Coverage `json:"seedUncovered,omitempty"`
	// Balanced is the balanced preset's default against AAS step scaling's and target
	// tracking's.
	Balanced BalancedVerdict `json:"balanced"`
	// Dominated lists Stepscaler's default points that an anchor's point dominates.
	Dominated map[string]string `json:"dominated,omitempty"`

	curves []simulate.Curve
}

// BalancedVerdict is the balanced preset's default against the AAS defaults: no worse
// on both counts than each. When it is worse than one, Box is the region it would have
// to reach (no more under than the better of the two, no more over than the better) and
// Closest the point of each curve nearest to it, to show whether any autoscaler gets
// there.
type BalancedVerdict struct {
	Holds      bool            `json:"holds"`
	BeatsStep  bool            `json:"beatsStep"`
	BeatsTT    bool            `json:"beatsTargetTracking"`
	Box        *Pair           `json:"box,omitempty"`
	InBox      []string        `json:"inBox,omitempty"`
	Closest    map[string]Near `json:"closest,omitempty"`
	ClosestAny string          `json:"closestAny,omitempty"`
}

// Near is a curve's point nearest to the box: its label, measures, and by how large a
// fraction its worse measure exceeds the box's.
type Near struct {
	Point  string  `json:"point"`
	Pair   Pair    `json:"pair"`
	Excess float64 `json:"excess"`
}

// frontier runs every family at one scale and checks the goal there.
func (o Options) frontier(tr simulate.Trace, scale float64) (Goal, error) {
	fams, err := simulate.Families(o.Stepscaler, o.Presets, o.Setup, o.Models, o.Grid, o.AnchorTarget)
	if err != nil {
		return Goal{}, err
	}
	curves, err := simulate.Curves(tr, o.Setup, fams, o.Workers)
	if err != nil {
		return Goal{}, err
	}
	g := Goal{Trace: o.Name, Scale: scale, Defaults: map[string]Pair{}, Dominated: map[string]string{}, curves: curves}
	for _, c := range curves {
		d, ok := c.DefaultPoint()
		if !ok {
			continue
		}
		g.Order = append(g.Order, c.Family)
		g.Defaults[c.Family] = pairOf(d.Measures)
		g.BoundUnder = d.Measures.BoundUnderTaskMinutes
		if c.Ours && d.DominatedBy != "" {
			g.Dominated[c.Family] = d.DominatedBy
		}
	}
	g.Covered = true
	for _, cv := range simulate.Cover(curves) {
		switch {
		case slices.Contains(anchors, cv.Anchor):
			g.Anchors++
			if !cv.Covered {
				g.Covered = false
				g.Uncovered = append(g.Uncovered, cv)
			}
		case cv.Anchor == "seed" && !cv.Covered:
			g.SeedUncovered = append(g.SeedUncovered, cv)
		}
	}
	g.Balanced = balancedVerdict(curves, g.Defaults)
	return g, nil
}

func balancedVerdict(curves []simulate.Curve, defaults map[string]Pair) BalancedVerdict {
	b, okB := defaults[balancedPreset]
	step, okS := defaults["aas-step"]
	tt, okT := defaults["aas-target-tracking"]
	if !okB || !okS || !okT {
		return BalancedVerdict{}
	}
	v := BalancedVerdict{
		BeatsStep: b.Under <= step.Under && b.Over <= step.Over,
		BeatsTT:   b.Under <= tt.Under && b.Over <= tt.Over,
	}
	v.Holds = v.BeatsStep && v.BeatsTT
	if v.Holds {
		return v
	}
	box := Pair{min(step.Under, tt.Under), min(step.Over, tt.Over)}
	v.Box, v.Closest = &box, map[string]Near{}
	bestAny := -1.0
	for _, c := range curves {
		if c.Family == "oracle" {
			continue
		}
		var near Near
		for i, p := range c.Points {
			pr := pairOf(p.Measures)
			e := max((pr.Under-box.Under)/max(box.Under, 1), (pr.Over-box.Over)/max(box.Over, 1))
			if e <= 0 {
				v.InBox = append(v.InBox, c.Label(p))
			}
			if i == 0 || e < near.Excess {
				near = Near{Point: c.Label(p), Pair: pr, Excess: e}
			}
		}
		v.Closest[c.Family] = near
		if bestAny < 0 || near.Excess < bestAny {
			bestAny, v.ClosestAny = near.Excess, c.Family
		}
	}
	return v
}

// writeFrontier writes the curves' table and JSON, the goal's verdicts and the charts.
func (o Options) writeFrontier(goals []Goal) error {
	if err := o.writeText("frontier.txt", func(w io.Writer) error {
		for i, g := range goals {
			if i > 0 {
				fmt.Fprintln(w)
			}
			if err := formatFrontier(w, o, g); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		return err
	}
	type scaleCurves struct {
		Scale  float64          `json:"scale"`
		Curves []simulate.Curve `json:"curves"`
	}
	var all []scaleCurves
	for _, g := range goals {
		all = append(all, scaleCurves{g.Scale, g.curves})
	}
	// Compact: the curves are for programs, and a person reads frontier.txt.
	if err := o.writeText("frontier.json", func(w io.Writer) error { return json.NewEncoder(w).Encode(all) }); err != nil {
		return err
	}
	if err := o.writeText("goal.json", func(w io.Writer) error { return writeJSON(w, goals) }); err != nil {
		return err
	}
	for _, g := range goals {
		if err := o.writeCharts("frontier-"+scaleName(g.Scale), func(w io.Writer, format string) error {
			return frontierChart(w, format, o, g)
		}); err != nil {
			return err
		}
	}
	return nil
}

// formatFrontier writes one scale's curves, every point on a line, then the goal.
func formatFrontier(w io.Writer, o Options, g Goal) error {
	fmt.Fprintf(w, "== %s\n", o.heading(g.Scale))
	if g.BoundUnder > 0 {
		fmt.Fprintf(w, "The need exceeds the maximum: %.0f task-minutes no autoscaler can serve (left out below).\n", g.BoundUnder)
	} else {
		fmt.Fprintln(w, "The need stays within the bounds.")
	}
	fmt.Fprintln(w, "Controllable under- and over-provisioning in task-minutes; * marks each default; Stepscaler's points that another autoscaler's beats on both are flagged.")
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "autoscaler\tknob\tunder\tover\t\tdominated by\t\n")
	for _, c := range g.curves {
		for _, p := range c.Points {
			mark := ""
			if p.Default {
				mark = "*"
			}
			flag := ""
			if p.DominatedBy != "" {
				flag = "! " + p.DominatedBy
			}
			fmt.Fprintf(tw, "%s\t%s %s\t%.1f\t%.1f\t%s\t%s\t\n", c.Family, c.Knob, simulate.FormatKnob(p.Value, c.Unit),
				p.Measures.ControllableUnderTaskMinutes, p.Measures.ControllableOverTaskMinutes, mark, flag)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	formatGoal(w, g)
	return nil
}

// formatGoal writes the goal's two checks at one scale.
func formatGoal(w io.Writer, g Goal) {
	if g.Covered {
		fmt.Fprintf(w, "Goal: every one of the %d anchor points (AAS step scaling, target tracking, the HPA) has a preset point no worse on both: holds.\n", g.Anchors)
	} else {
		fmt.Fprintf(w, "Goal: every one of the %d anchor points has a preset point no worse on both: fails at %d:\n", g.Anchors, len(g.Uncovered))
		for _, cv := range g.Uncovered {
			fmt.Fprintf(w, "  %s (%.1f / %.1f): nearest %s (%.1f / %.1f)\n", cv.Point, cv.Under, cv.Over, cv.By, cv.ByUnder, cv.ByOver)
		}
	}
	if len(g.SeedUncovered) > 0 {
		fmt.Fprintf(w, "The seed's points no preset point covers (%d):\n", len(g.SeedUncovered))
		for _, cv := range g.SeedUncovered {
			fmt.Fprintf(w, "  %s (%.1f / %.1f): nearest %s (%.1f / %.1f)\n", cv.Point, cv.Under, cv.Over, cv.By, cv.ByUnder, cv.ByOver)
		}
	}
	b, step, tt := g.Defaults[balancedPreset], g.Defaults["aas-step"], g.Defaults["aas-target-tracking"]
	fmt.Fprintf(w, "Balanced at its default (%.1f / %.1f) against AAS step scaling's (%.1f / %.1f) and target tracking's (%.1f / %.1f): ",
		b.Under, b.Over, step.Under, step.Over, tt.Under, tt.Over)
	v := g.Balanced
	switch {
	case v.Holds:
		fmt.Fprintln(w, "no worse than either on both counts.")
	default:
		var worse []string
		if !v.BeatsStep {
			worse = append(worse, "step scaling")
		}
		if !v.BeatsTT {
			worse = append(worse, "target tracking")
		}
		fmt.Fprintf(w, "worse than %s on one count.\n", strings.Join(worse, " and "))
		if v.Box != nil {
			fmt.Fprintf(w, "  Beating both needs at most %.1f under and %.1f over. ", v.Box.Under, v.Box.Over)
			if len(v.InBox) > 0 {
				fmt.Fprintf(w, "Points that do: %s.\n", strings.Join(v.InBox, "; "))
			} else {
				fmt.Fprintln(w, "No point of any curve does; the nearest of each:")
				for _, name := range sortedKeys(v.Closest) {
					n := v.Closest[name]
					fmt.Fprintf(w, "    %-28s %s (%.1f / %.1f), %.0f%% beyond on its worse count\n", name, n.Point, n.Pair.Under, n.Pair.Over, 100*n.Excess)
				}
			}
		}
	}
	if len(g.Dominated) > 0 {
		fmt.Fprintln(w, "Stepscaler defaults another autoscaler's point beats on both:")
		for _, name := range sortedKeys(g.Dominated) {
			fmt.Fprintf(w, "  %s: %s\n", name, g.Dominated[name])
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// frontierChart draws every curve at one scale, controllable over against under, on
// logarithmic axes, each default marked and labelled.
func frontierChart(w io.Writer, format string, o Options, g Goal) error {
	// The oracle is left off the chart: its point (no idle capacity at all) would stretch
	// the axes over decades nobody else reaches; the title gives it.
	oracle := Pair{}
	var curves []chart.Curve
	var drawn []simulate.Curve
	for _, c := range chartOrder(g.curves) {
		if c.Family == "oracle" {
			if p, ok := c.DefaultPoint(); ok {
				oracle = pairOf(p.Measures)
			}
			continue
		}
		// A curve another one drew already, point for point, joins its legend entry
		// rather than hiding under it (AAS step scaling on the configured policy's
		// alarms does what Stepscaler does with it, minute for minute).
		if i := slices.IndexFunc(drawn, func(d simulate.Curve) bool { return sameMeasures(d, c) }); i >= 0 {
			curves[i].Name = strings.TrimSuffix(curves[i].Name, ")") + "; = " + c.Family + ")"
			continue
		}
		drawn = append(drawn, c)
		cv := chart.Curve{Name: c.Family + " (" + c.Knob + ")"}
		for _, p := range c.Points {
			pt := chart.Point{X: p.Measures.ControllableOverTaskMinutes, Y: p.Measures.ControllableUnderTaskMinutes, Marked: p.Default,
				Plain: c.Preset && !p.Default && !onGrid(p.Value, 0.05)}
			if p.Default {
				pt.Label = simulate.FormatKnob(p.Value, c.Unit)
			}
			cv.Points = append(cv.Points, pt)
		}
		curves = append(curves, cv)
	}
	within := "need within the bounds"
	if g.BoundUnder > 0 {
		within = "need above the maximum"
	}
	return chart.TradeoffCurves(w, format, chart.ScatterOptions{
		Title: fmt.Sprintf("%s ×%g (%s): trade-offs, defaults marked; the oracle: %.0f / %.0f",
			o.Name, g.Scale, within, oracle.Under, oracle.Over),
		XLabel: "controllable over-provisioning, task-minutes (log scale)",
		YLabel: "controllable under-provisioning, task-minutes (log scale)",
		Width:  1300, Height: 850, Log: true,
	}, curves)
}

// onGrid reports whether v is a multiple of step, up to rounding.
func onGrid(v, step float64) bool {
	k := v / step
	return math.Abs(k-math.Round(k)) < 1e-6
}

// chartOrder puts the presets first, then the anchors, then the rest, so that the
// curves a reader compares get the palette's distinct colours.
func chartOrder(curves []simulate.Curve) []simulate.Curve {
	rank := func(c simulate.Curve) int {
		switch {
		case c.Preset:
			return 0
		case slices.Contains(anchors, c.Family):
			return 1
		case c.Ours:
			return 2
		}
		return 3
	}
	out := slices.Clone(curves)
	slices.SortStableFunc(out, func(a, b simulate.Curve) int { return rank(a) - rank(b) })
	return out
}

// sameMeasures reports whether two curves have the same points, measure for measure.
func sameMeasures(a, b simulate.Curve) bool {
	if len(a.Points) != len(b.Points) || a.Knob != b.Knob {
		return false
	}
	for i := range a.Points {
		if a.Points[i].Value != b.Points[i].Value || pairOf(a.Points[i].Measures) != pairOf(b.Points[i].Measures) {
			return false
		}
	}
	return true
}
