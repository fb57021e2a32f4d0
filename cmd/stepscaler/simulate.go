package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/stepscaler/stepscaler/internal/config"
	"github.com/stepscaler/stepscaler/internal/presets"
	"github.com/stepscaler/stepscaler/internal/simulate"
	backtest "github.com/stepscaler/stepscaler/internal/simulate/report"
)

// simulateCmd replays a metric history through a service's policy, the presets and the
// other autoscalers, and reports how each kept capacity with demand.
func simulateCmd(args []string) error {
	fs := newFlags("simulate")
	o := simulateFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *o.summary != "" {
		return backtest.Summarize(*o.summary)
	}
	opts, err := o.options(fs)
	if err != nil {
		return err
	}
	p := newProgress()
	opts.Progress = func(s string) { p.step("%s", s) }
	if note := scheduleNote(opts); note != "" {
		p.step("%s", note)
	}
	if *o.output == "json" {
		return printJSON(opts)
	}
	if opts.Dir == "" {
		opts.Text = os.Stdout
	}
	p.step("replaying %s (%d points, %s buckets) at demand ×%s", *o.trace, len(opts.Trace.Points), opts.Trace.Step, joinFloats(opts.Scales))
	if err := backtest.Write(opts); err != nil {
		return err
	}
	if opts.Dir != "" {
		p.step("wrote %s", opts.Dir)
	}
	return nil
}

// simulateOptions are the simulate command's flags.
type simulateOptions struct {
	cfg, service, trace, name, summary, output, out *string
	capacity, target, scale                         *float64
	startup, peak                                   *time.Duration
	scales, missing, presetNames                    *string
	sweep, sweepTargets, presetTargets              *string
	sensitivity                                     *bool
	workers                                         *int
	knobs                                           map[string]*string
}

func simulateFlags(fs *flag.FlagSet) simulateOptions {
	o := simulateOptions{
		cfg:           fs.String("config", "config/stepscaler.json", "scaling config"),
		service:       fs.String("service", "", "the service to replay, cluster/service or service (default: the config's first)"),
		trace:         fs.String("trace", "", "request history: CSV of timestamp,requests, or the JSON of aws cloudwatch get-metric-data (FILE#id picks a result)"),
		name:          fs.String("name", "", "what the history is, for titles (default: its file name)"),
		capacity:      fs.Float64("task-capacity", 0, "requests per second one task serves (required)"),
		startup:       fs.Duration("startup-delay", time.Minute, "time from desiredCount raised to a new task serving"),
		target:        fs.Float64("target-value", 0, "target tracking's and the HPA's target, in requests per second per task (default 70% of --task-capacity)"),
		scale:         fs.Float64("demand-scale", 1, "multiply the history's demand by this (replay a small service's shape at another size)"),
		scales:        fs.String("demand-scales", "1", "the demand scales to report, relative to --demand-scale, e.g. 0.5,1,2 (within and beyond the bounds)"),
		missing:       fs.String("treat-missing-data", "missing", "how the alarms treat gaps in the history: missing, notBreaching, breaching or ignore"),
		presetNames:   fs.String("presets", strings.Join(presets.Names(), ","), "the policy presets to compare, comma-separated, or none"),
		sweep:         fs.String("sweep", "", "draw every autoscaler's trade-off curve at each scale: the configured policy's PARAM=V1,V2,... (one of "+strings.Join(simulate.SweepParams, ", ")+"; threshold also sweeps AAS step scaling and the seed), the presets' and anchors' targets; flags Stepscaler's dominated points and checks the goal"),
		sweepTargets:  fs.String("sweep-targets", "40:90:5", "target tracking's and the HPA's targets for --sweep, in % of --task-capacity: a list or lo:hi:step"),
		presetTargets: fs.String("preset-targets", "40:95:1", "the presets' targets for --sweep, in % of --task-capacity: a list or lo:hi:step"),
		sensitivity:   fs.Bool("sensitivity", false, "show how the results and rankings move with each modelling choice"),
		peak:          fs.Duration("peak-window", 6*time.Hour, "the span the capacity chart shows around the peak of the need"),
		workers:       fs.Int("workers", 0, "runs in parallel (default one per CPU)"),
		out:           fs.String("out", "", "directory to write the tables, JSON and charts (PNG and SVG) into"),
		output:        fs.String("output", "text", "what to print: text, or json (the line-up's measures)"),
		summary:       fs.String("summary", "", "write DIR/summary.md from the backtests under DIR (each written with --sweep --out DIR/<trace>) and exit"),
		knobs:         map[string]*string{},
	}
	for _, k := range simulate.Knobs() {
		o.knobs[k.Name] = fs.String(k.Name, k.Default, fmt.Sprintf("modelling choice: %s (one of %s)", k.Source, strings.Join(k.Values, ", ")))
	}
	return o
}

// options checks the flags and turns them into the backtest's options.
func (o simulateOptions) options(fs *flag.FlagSet) (backtest.Options, error) {
	if *o.trace == "" || !(*o.capacity > 0) {
		fs.Usage()
		return backtest.Options{}, fmt.Errorf("--trace and a positive --task-capacity are required")
	}
	if !(*o.scale > 0) {
		return backtest.Options{}, fmt.Errorf("--demand-scale must be positive, got %g", *o.scale)
	}
	cfg, err := config.Load(*o.cfg)
	if err != nil {
		return backtest.Options{}, err
	}
	name := *o.service
	if name == "" {
		name = cfg.Services[0].Cluster + "/" + cfg.Services[0].Service
	}
	st, err := simulate.StepscalerFromConfig(cfg, name, nil)
	if err != nil {
		return backtest.Options{}, err
	}
	tr, err := simulate.LoadTrace(*o.trace)
	if err != nil {
		return backtest.Options{}, err
	}
	for i := range tr.Points {
		tr.Points[i].Value *= *o.scale
	}
	ps, err := presetList(*o.presetNames)
	if err != nil {
		return backtest.Options{}, err
	}
	scales, err := parseFloats("--demand-scales", *o.scales)
	if err != nil {
		return backtest.Options{}, err
	}
	lo, hi := st.Bounds()
	setup := simulate.Setup{TaskCapacity: *o.capacity, StartupDelay: *o.startup, InitialTasks: lo, Min: lo, Max: hi, TreatMissingData: *o.missing}
	models := simulate.DefaultModels()
	var knobs []simulate.Knob
	for _, k := range simulate.Knobs() {
		if err := k.Apply(&setup, &models, *o.knobs[k.Name]); err != nil {
			return backtest.Options{}, fmt.Errorf("--%w", err)
		}
		// The sensitivity varies each knob around the values the run was given.
		k.Default = *o.knobs[k.Name]
		knobs = append(knobs, k)
	}
	anchor := 0.7
	if *o.target != 0 {
		anchor = *o.target / *o.capacity
	}
	grid, sweeping, err := o.grid()
	if err != nil {
		return backtest.Options{}, err
	}
	title := *o.name
	if title == "" {
		title = strings.TrimSuffix(filepath.Base(*o.trace), filepath.Ext(*o.trace))
		if *o.scale != 1 {
			title += fmt.Sprintf(" (demand ×%g)", *o.scale)
		}
	}
	return backtest.Options{
		Trace: tr, Name: title, Stepscaler: st, Presets: ps, Setup: setup, Models: models,
		AnchorTarget: anchor, Scales: scales, Frontier: sweeping, Grid: grid,
		Sensitivity: *o.sensitivity, Knobs: knobs, PeakWindow: *o.peak, Dir: *o.out, Workers: *o.workers,
	}, nil
}

// scheduleNote says, when the service has scheduled actions, that only its Stepscaler
// applies them; "" without.
func scheduleNote(o backtest.Options) string {
	sched := o.Stepscaler.Schedule
	if len(sched) == 0 {
		return ""
	}
	names := make([]string, len(sched))
	for i, a := range sched {
		names[i] = a.Name
	}
	return fmt.Sprintf("%s applies the service's %d scheduled actions (%s) over the bounds [%d, %d], as deployed; the presets and the other autoscalers keep [%d, %d]",
		o.Stepscaler.Name(), len(sched), strings.Join(names, ", "), o.Setup.Min, o.Setup.Max, o.Setup.Min, o.Setup.Max)
}

// grid reads --sweep, --sweep-targets and --preset-targets.
func (o simulateOptions) grid() (simulate.Grid, bool, error) {
	g := simulate.DefaultGrid()
	if *o.sweep == "" {
		return g, false, nil
	}
	param, list, ok := strings.Cut(*o.sweep, "=")
	if !ok {
		return g, false, fmt.Errorf("--sweep wants PARAM=V1,V2,..., got %q", *o.sweep)
	}
	values, err := parseRange("--sweep", list, 1)
	if err != nil {
		return g, false, err
	}
	g.ConfigParam, g.ConfigValues = param, values
	if param == "threshold" {
		g.Thresholds = values
	}
	if g.AnchorTargets, err = parseRange("--sweep-targets", *o.sweepTargets, 100); err != nil {
		return g, false, err
	}
	if g.PresetTargets, err = parseRange("--preset-targets", *o.presetTargets, 100); err != nil {
		return g, false, err
	}
	return g, true, nil
}

func presetList(names string) ([]presets.Preset, error) {
	if names == "none" || names == "" {
		return nil, nil
	}
	var ps []presets.Preset
	for _, n := range strings.Split(names, ",") {
		p, ok := presets.Lookup(strings.TrimSpace(n))
		if !ok {
			return nil, fmt.Errorf("--presets: no preset %q (have %s)", n, strings.Join(presets.Names(), ", "))
		}
		ps = append(ps, p)
	}
	return ps, nil
}

// parseRange reads "a,b,c" or "lo:hi:step" and divides every value by unit (100 turns
// percentages into fractions).
func parseRange(flagName, s string, unit float64) ([]float64, error) {
	if lo, rest, ok := strings.Cut(s, ":"); ok {
		hi, step, ok := strings.Cut(rest, ":")
		if !ok {
			return nil, fmt.Errorf("%s: want lo:hi:step, got %q", flagName, s)
		}
		var v [3]float64
		for i, part := range []string{lo, hi, step} {
			f, err := strconv.ParseFloat(strings.TrimSpace(part), 64)
			if err != nil {
				return nil, fmt.Errorf("%s: %q: %w", flagName, part, err)
			}
			v[i] = f
		}
		if !(v[2] > 0) || v[1] < v[0] || (v[1]-v[0])/v[2] > 10000 {
			return nil, fmt.Errorf("%s: %q is not a range of at most 10,000 steps", flagName, s)
		}
		var out []float64
		for i := 0; ; i++ {
			x := v[0] + float64(i)*v[2]
			if x > v[1]+v[2]*1e-9 {
				break
			}
			// Rounded, so 40:95:1 gives 0.57 and not 0.5700000000000001.
			out = append(out, roundDecimal(x/unit))
		}
		return out, nil
	}
	values, err := parseFloats(flagName, s)
	for i := range values {
		values[i] = roundDecimal(values[i] / unit)
	}
	return values, err
}

// roundDecimal is v rounded to 9 decimals, as the nearest float to that decimal: 0.57,
// not 0.5700000000000001.
func roundDecimal(v float64) float64 {
	r, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'f', 9, 64), 64)
	return r
}

func parseFloats(flagName, s string) ([]float64, error) {
	var values []float64
	for _, part := range strings.Split(s, ",") {
		v, err := strconv.ParseFloat(strings.TrimSpace(part), 64)
		if err != nil {
			return nil, fmt.Errorf("%s value %q: %w", flagName, part, err)
		}
		values = append(values, v)
	}
	return values, nil
}

func joinFloats(vs []float64) string {
	parts := make([]string, len(vs))
	for i, v := range vs {
		parts[i] = strconv.FormatFloat(v, 'g', -1, 64)
	}
	return strings.Join(parts, ", ")
}

// printJSON prints the line-up's measures at each scale, without samples.
func printJSON(o backtest.Options) error {
	type scaled struct {
		Scale   float64           `json:"scale"`
		Results []simulate.Result `json:"results"`
	}
	var out []scaled
	for _, s := range o.Scales {
		line, err := simulate.Lineup(o.Stepscaler, o.Presets, o.Setup, o.Models, o.AnchorTarget)
		if err != nil {
			return err
		}
		tr := o.Trace
		tr.Points = append([]simulate.Point(nil), o.Trace.Points...)
		for i := range tr.Points {
			tr.Points[i].Value *= s
		}
		rs, err := simulate.Compare(tr, o.Setup, line)
		if err != nil {
			return err
		}
		for i := range rs {
			rs[i].Samples = nil
		}
		out = append(out, scaled{s, rs})
	}
	return writeJSON(os.Stdout, out)
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
