// Package report writes the backtest of one trace: the line-up's tables at several
// demand scales, every autoscaler's trade-off curve with Stepscaler's dominated points
// flagged and the goal checked, the sensitivity of the rankings to the modelling
// choices, what the Stepscaler policies cost to run, and the charts (PNG and SVG). The
// numbers come from package simulate; this package only arranges and draws them.
package report

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/stepscaler/stepscaler/internal/presets"
	"github.com/stepscaler/stepscaler/internal/simulate"
)

// Options say what to backtest and where to write it.
type Options struct {
	// Trace is the history, with its demand already at the base scale; Name says what it
	// is in titles ("World Cup 98, 10–16 June 1998").
	Trace simulate.Trace
	Name  string
	// Stepscaler is the configured service's policy, Presets the presets to compare.
	Stepscaler *simulate.Stepscaler
	Presets    []presets.Preset
	Setup      simulate.Setup
	Models     simulate.Models
	// AnchorTarget is target tracking's and the HPA's default target, a fraction of
	// Setup.TaskCapacity.
	AnchorTarget float64
	// Scales are the demand scales, relative to the trace, to report; the first scale of
	// 1 (or else the first) is the one the charts and the detailed table show.
	Scales []float64
	// Frontier sweeps every autoscaler's main knob over Grid at every scale.
	Frontier bool
	Grid     simulate.Grid
	// Sensitivity varies each of Knobs at the main scale.
	Sensitivity bool
	Knobs       []simulate.Knob
	// PeakWindow is the span the capacity chart shows around the peak of the need.
	PeakWindow time.Duration
	// Dir is the directory the files go to. Without one, the text files go to Text, one
	// after the other, and the charts and JSON are not drawn.
	Dir  string
	Text io.Writer
	// Workers bounds the runs in parallel (0: one per CPU).
	Workers int
	// Progress, when set, is told what is being done.
	Progress func(string)
}

// Write runs the backtest and writes its files into o.Dir:
//   - table.txt and results.json: the line-up at the main scale, every measure;
//   - scales.txt: the line-up's controllable under- and over-provisioning at each scale;
//   - capacity-peak.png/.svg: the line-up around the peak of the need, one panel each;
//   - cost.txt: what each Stepscaler policy costs to run, at the main scale;
//   - with Frontier, frontier.txt, frontier.json, goal.json and frontier-x<scale>.png/.svg;
//   - with Sensitivity, sensitivity.txt.
func Write(o Options) error {
	if err := o.check(); err != nil {
		return err
	}
	if o.Dir != "" {
		if err := os.MkdirAll(o.Dir, 0o755); err != nil {
			return fmt.Errorf("report: %w", err)
		}
	}
	main := o.mainScale()
	var goals []Goal
	var lineups []scaleResults
	for _, scale := range o.Scales {
		tr := scaled(o.Trace, scale)
		o.say("the line-up at demand ×%g", scale)
		line, err := simulate.Lineup(o.Stepscaler, o.Presets, o.Setup, o.Models, o.AnchorTarget)
		if err != nil {
			return err
		}
		rs, err := simulate.Compare(tr, o.Setup, line)
		if err != nil {
			return err
		}
		lineups = append(lineups, scaleResults{scale: scale, results: rs})
		if scale == main {
			if err := o.writeMain(tr, rs); err != nil {
				return err
			}
		}
		if o.Frontier {
			o.say("every autoscaler's curve at demand ×%g", scale)
			g, err := o.frontier(tr, scale)
			if err != nil {
				return err
			}
			goals = append(goals, g)
		}
	}
	if err := o.writeText("scales.txt", func(w io.Writer) error { return formatScales(w, o, lineups) }); err != nil {
		return err
	}
	if o.Frontier {
		if err := o.writeFrontier(goals); err != nil {
			return err
		}
	}
	if o.Sensitivity {
		o.say("the sensitivity to the modelling choices")
		rows, err := simulate.Sensitivity(scaled(o.Trace, main), o.Setup, o.Models, o.Stepscaler, o.Presets, o.AnchorTarget, o.Knobs)
		if err != nil {
			return err
		}
		if err := o.writeText("sensitivity.txt", func(w io.Writer) error { return formatSensitivity(w, o, rows) }); err != nil {
			return err
		}
	}
	return nil
}

type scaleResults struct {
	scale   float64
	results []simulate.Result
}

func (o Options) check() error {
	var problems []error
	if o.Stepscaler == nil {
		problems = append(problems, errors.New("no Stepscaler policy"))
	}
	if len(o.Scales) == 0 {
		problems = append(problems, errors.New("no demand scale"))
	}
	for _, s := range o.Scales {
		if !(s > 0) {
			problems = append(problems, fmt.Errorf("demand scale %v is not positive", s))
		}
	}
	if o.Dir == "" && o.Text == nil {
		problems = append(problems, errors.New("no output directory nor writer"))
	}
	if !(o.AnchorTarget > 0 && o.AnchorTarget <= 1) {
		problems = append(problems, fmt.Errorf("anchor target %v is not a fraction in (0, 1]", o.AnchorTarget))
	}
	if err := errors.Join(problems...); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	return nil
}

// mainScale is 1 when it is one of the scales, else the first.
func (o Options) mainScale() float64 {
	for _, s := range o.Scales {
		if s == 1 {
			return 1
		}
	}
	return o.Scales[0]
}

func (o Options) say(format string, args ...any) {
	if o.Progress != nil {
		o.Progress(fmt.Sprintf(format, args...))
	}
}

// writeMain writes the detailed table, the results, the peak chart and the costs.
func (o Options) writeMain(tr simulate.Trace, rs []simulate.Result) error {
	if err := o.writeText("table.txt", func(w io.Writer) error {
		fmt.Fprintf(w, "%s\n\n", o.heading(1))
		return simulate.FormatTable(w, rs)
	}); err != nil {
		return err
	}
	if err := o.writeText("results.json", func(w io.Writer) error { return writeJSON(w, measuresOnly(rs)) }); err != nil {
		return err
	}
	if err := o.writeText("cost.txt", func(w io.Writer) error { return formatCost(w, o, tr, rs) }); err != nil {
		return err
	}
	return o.writeCharts("capacity-peak", func(w io.Writer, format string) error { return peakChart(w, format, o, rs) })
}

// heading says what was replayed, how.
func (o Options) heading(scale float64) string {
	s := o.Setup
	delay := "one evaluation interval"
	if s.MetricDelay != simulate.MetricDelayOneEvaluation {
		delay = s.MetricDelay.String()
	}
	return fmt.Sprintf("%s, demand ×%g: %s; task capacity %g req/s, start-up %s, %d–%d tasks, CloudWatch metric delay %s",
		o.Name, scale, o.Stepscaler.Name(), s.TaskCapacity, s.StartupDelay, s.Min, s.Max, delay)
}

// scaled is tr with every bucket's requests multiplied by scale.
func scaled(tr simulate.Trace, scale float64) simulate.Trace {
	c := tr
	c.Points = append([]simulate.Point(nil), tr.Points...)
	for i := range c.Points {
		c.Points[i].Value *= scale
	}
	return c
}

// scaleName is how a scale appears in file names: x0.5, x1, x2.
func scaleName(scale float64) string {
	return "x" + strconv.FormatFloat(scale, 'f', -1, 64)
}

// writeText writes a text file, or, without a directory, the text to o.Text, except
// JSON, which is for files only.
func (o Options) writeText(name string, write func(io.Writer) error) error {
	if o.Dir != "" {
		return writeFile(filepath.Join(o.Dir, name), write)
	}
	if strings.HasSuffix(name, ".json") {
		return nil
	}
	if _, err := fmt.Fprintf(o.Text, "\n### %s\n\n", name); err != nil {
		return err
	}
	return write(o.Text)
}

// writeCharts writes base.png and base.svg, when there is a directory.
func (o Options) writeCharts(base string, draw func(io.Writer, string) error) error {
	if o.Dir == "" {
		return nil
	}
	for _, format := range []string{"png", "svg"} {
		if err := writeFile(filepath.Join(o.Dir, base+"."+format), func(w io.Writer) error { return draw(w, format) }); err != nil {
			return err
		}
	}
	return nil
}

func writeFile(path string, write func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	if err := write(f); err != nil {
		f.Close()
		return fmt.Errorf("report: write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	return nil
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// measuresOnly drops the samples from the JSON: the charts show them.
func measuresOnly(results []simulate.Result) []map[string]any {
	var out []map[string]any
	for _, r := range results {
		out = append(out, map[string]any{"autoscaler": r.Autoscaler, "measures": r.Measures, "notes": r.Notes})
	}
	return out
}

// shortName drops the "stepscaler " prefix from the presets' names in narrow columns.
func shortName(name string) string {
	return strings.TrimPrefix(name, "stepscaler ")
}
