package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/stepscaler/stepscaler/internal/chart"
	"github.com/stepscaler/stepscaler/internal/config"
	"github.com/stepscaler/stepscaler/internal/simulate"
)

// simulateCmd replays a metric history through a service's policy and the other
// autoscalers, and reports how each kept capacity with demand.
func simulateCmd(args []string) error {
	fs := newFlags("simulate")
	cfgPath := fs.String("config", "config/stepscaler.json", "scaling config")
	svcName := fs.String("service", "", "the service to replay, cluster/service or service (default: the config's first)")
	tracePath := fs.String("trace", "", "request history: CSV of timestamp,requests, or the JSON of aws cloudwatch get-metric-data (FILE#id picks a result)")
	capacity := fs.Float64("task-capacity", 0, "requests per second one task serves (required)")
	startup := fs.Duration("startup-delay", time.Minute, "time from desiredCount raised to a new task serving")
	target := fs.Float64("target-value", 0, "target for target tracking and the HPA, in requests per second per task (default 70% of --task-capacity)")
	scale := fs.Float64("demand-scale", 1, "multiply the history's demand by this (replay a small service's shape at another size)")
	missing := fs.String("treat-missing-data", "missing", "how the alarms treat gaps in the history: missing, notBreaching, breaching or ignore")
	sweep := fs.String("sweep", "", "sweep one Stepscaler parameter, e.g. cooldownSeconds=60,120,300 (one of "+strings.Join(simulate.SweepParams, ", ")+")")
	out := fs.String("out", "", "directory to write results.json, table.txt and the charts (PNG and SVG) into")
	output := fs.String("output", "text", "what to print: text or json")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *tracePath == "" || *capacity <= 0 {
		fs.Usage()
		return fmt.Errorf("--trace and a positive --task-capacity are required")
	}
	cfg, err := config.Load(*cfgPath)
	if err != nil {
		return err
	}
	name := *svcName
	if name == "" {
		name = cfg.Services[0].Cluster + "/" + cfg.Services[0].Service
	}
	st, err := simulate.StepscalerFromConfig(cfg, name, nil)
	if err != nil {
		return err
	}
	tr, err := simulate.LoadTrace(*tracePath)
	if err != nil {
		return err
	}
	if *scale <= 0 {
		return fmt.Errorf("--demand-scale must be positive, got %g", *scale)
	}
	for i := range tr.Points {
		tr.Points[i].Value *= *scale
	}
	lo, hi := st.Bounds()
	setup := simulate.Setup{TaskCapacity: *capacity, StartupDelay: *startup, InitialTasks: lo, Min: lo, Max: hi, TreatMissingData: *missing}
	if *target == 0 {
		*target = 0.7 * *capacity
	}
	p := newProgress()
	if *sweep != "" {
		return runSweep(p, tr, setup, st, *sweep, *out, *output)
	}
	p.step("replaying %s (%d points, %s buckets) through %s and 5 other autoscalers", tr.Name, len(tr.Points), tr.Step, name)
	results, err := simulate.Compare(tr, setup, simulate.All(st, *target))
	if err != nil {
		return err
	}
	if *out != "" {
		if err := writeBacktest(*out, tr, setup, name, results); err != nil {
			return err
		}
		p.step("wrote %s", *out)
	}
	if *output == "json" {
		return writeJSON(os.Stdout, results)
	}
	fmt.Printf("%s, %s, task capacity %g req/s, start-up %s, %d–%d tasks\n\n", tr.Name, name, *capacity, *startup, lo, hi)
	return simulate.FormatTable(os.Stdout, results)
}

// writeBacktest writes the table, the results and the capacity charts: the whole history
// and the day around its peak.
func writeBacktest(dir string, tr simulate.Trace, setup simulate.Setup, name string, results []simulate.Result) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var table strings.Builder
	fmt.Fprintf(&table, "%s, %s, task capacity %g req/s, start-up %s, %d–%d tasks\n\n", tr.Name, name, setup.TaskCapacity, setup.StartupDelay, setup.Min, setup.Max)
	if err := simulate.FormatTable(&table, results); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "table.txt"), []byte(table.String()), 0o644); err != nil {
		return err
	}
	if err := writeFile(filepath.Join(dir, "results.json"), func(w io.Writer) error { return writeJSON(w, measuresOnly(results)) }); err != nil {
		return err
	}
	peak := peakTime(results[0])
	for _, view := range []struct {
		file     string
		from, to time.Time
		title    string
	}{
		{"capacity", time.Time{}, time.Time{}, fmt.Sprintf("%s: tasks serving, by autoscaler", tr.Name)},
		{"capacity-peak", peak.Add(-12 * time.Hour), peak.Add(12 * time.Hour), fmt.Sprintf("%s: the day around the peak", tr.Name)},
	} {
		area, lines := series(results, view.from, view.to)
		for _, format := range []string{"png", "svg"} {
			path := filepath.Join(dir, view.file+"."+format)
			err := writeFile(path, func(w io.Writer) error {
				return chart.Lines(w, format, chart.Options{Title: view.title, YLabel: "tasks", Area: &area, Step: true}, lines)
			})
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// series turns results into chart lines (tasks serving) over the tasks needed, within
// [from, to) when given.
func series(results []simulate.Result, from, to time.Time) (chart.Series, []chart.Series) {
	in := func(t time.Time) bool { return (from.IsZero() || !t.Before(from)) && (to.IsZero() || t.Before(to)) }
	area := chart.Series{Name: "tasks needed"}
	for _, s := range results[0].Samples {
		if in(s.At) {
			v := float64(s.Needed)
			if s.Missing {
				v = math.NaN()
			}
			area.Times, area.Values = append(area.Times, s.At), append(area.Values, v)
		}
	}
	var lines []chart.Series
	for _, r := range results {
		l := chart.Series{Name: r.Autoscaler}
		for _, s := range r.Samples {
			if in(s.At) {
				l.Times, l.Values = append(l.Times, s.At), append(l.Values, float64(s.Running))
			}
		}
		lines = append(lines, l)
	}
	return area, lines
}

func peakTime(r simulate.Result) time.Time {
	var at time.Time
	best := -1
	for _, s := range r.Samples {
		if s.Needed > best {
			best, at = s.Needed, s.At
		}
	}
	return at
}

// measuresOnly drops the samples from the JSON: the charts show them.
func measuresOnly(results []simulate.Result) []map[string]any {
	var out []map[string]any
	for _, r := range results {
		out = append(out, map[string]any{"autoscaler": r.Autoscaler, "measures": r.Measures, "notes": r.Notes})
	}
	return out
}

func runSweep(p *progress, tr simulate.Trace, setup simulate.Setup, st *simulate.Stepscaler, spec, dir, output string) error {
	param, list, ok := strings.Cut(spec, "=")
	if !ok {
		return fmt.Errorf("--sweep wants PARAM=V1,V2,..., got %q", spec)
	}
	var values []float64
	for _, s := range strings.Split(list, ",") {
		v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil {
			return fmt.Errorf("--sweep value %q: %w", s, err)
		}
		values = append(values, v)
	}
	p.step("sweeping %s over %v on %s", param, values, tr.Name)
	points, err := simulate.Sweep(tr, setup, st, param, values)
	if err != nil {
		return err
	}
	if dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		var curve []chart.Point
		for _, pt := range points {
			curve = append(curve, chart.Point{X: pt.Measures.OverTaskMinutes, Y: pt.Measures.UnderTaskMinutes, Label: strconv.FormatFloat(pt.Value, 'g', -1, 64)})
		}
		for _, format := range []string{"png", "svg"} {
			err := writeFile(filepath.Join(dir, "sweep-"+param+"."+format), func(w io.Writer) error {
				return chart.Tradeoff(w, format, chart.ScatterOptions{
					Title:  fmt.Sprintf("%s: under- vs over-provisioning as %s varies", tr.Name, param),
					XLabel: "over-provisioned task-minutes", YLabel: "under-provisioned task-minutes",
				}, map[string][]chart.Point{"stepscaler, " + param: curve})
			})
			if err != nil {
				return err
			}
		}
		if err := writeFile(filepath.Join(dir, "sweep-"+param+".json"), func(w io.Writer) error { return writeJSON(w, points) }); err != nil {
			return err
		}
	}
	if output == "json" {
		return writeJSON(os.Stdout, points)
	}
	fmt.Printf("%-14s %14s %14s %14s %8s\n", param, "under task-min", "over task-min", "violation min", "actions")
	sort.SliceStable(points, func(i, j int) bool { return points[i].Value < points[j].Value })
	for _, pt := range points {
		m := pt.Measures
		fmt.Printf("%-14g %14.1f %14.1f %14.1f %8d\n", pt.Value, m.UnderTaskMinutes, m.OverTaskMinutes, m.ViolationMinutes, m.ScalingActions)
	}
	return nil
}

func writeFile(path string, write func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Close()
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
