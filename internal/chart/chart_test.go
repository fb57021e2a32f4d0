package chart

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

var start = time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)

// demand is a synthetic request rate: a daily cycle, noise and a few
// bursts, sampled every step.
func demand(n int, step time.Duration, seed uint64) ([]time.Time, []float64) {
	r := rand.New(rand.NewPCG(seed, 1))
	times := make([]time.Time, n)
	vals := make([]float64, n)
	for i := range n {
		t := start.Add(time.Duration(i) * step)
		h := float64(t.Hour()) + float64(t.Minute())/60
		v := 400 + 300*math.Sin((h-9)/24*2*math.Pi) + 25*r.NormFloat64()
		if i%(n/5+1) < n/60 {
			v += 350 // a burst
		}
		times[i], vals[i] = t, max(v, 0)
	}
	return times, vals
}

// scalers returns the tasks needed for demand and k capacity series that
// follow it as autoscalers would: each with its own lag, headroom and
// cooldowns, scaling out at once and in one task at a time.
func scalers(k, n int, step time.Duration) (Series, []Series) {
	times, d := demand(n, step, 7)
	needed := make([]float64, n)
	for i := range d {
		// The mean of the last five samples, so needed tasks do not flap.
		sum, cnt := 0.0, 0
		for j := max(i-4, 0); j <= i; j++ {
			sum += d[j]
			cnt++
		}
		needed[i] = math.Ceil(sum / float64(cnt) / 100)
	}
	names := []string{"target tracking", "step scaling", "stepscaler", "predictive", "fixed peak", "scheduled", "stepscaler (no cooldown)", "extra 8", "extra 9"}
	out := make([]Series, k)
	for s := range k {
		lag := 2 + 3*s
		head := 1 + 0.1*float64(s)
		coolOut, coolIn := 3+s, 15+5*s
		vals := make([]float64, n)
		c, last := math.Ceil(needed[0]*head), 0
		for i := range n {
			want := math.Ceil(needed[max(i-lag, 0)] * head)
			switch {
			case want > c && i-last >= coolOut:
				c, last = want, i
			case want < c && i-last >= coolIn:
				c, last = c-1, i
			}
			vals[i] = c
		}
		out[s] = Series{Name: names[s%len(names)], Times: times, Values: vals}
	}
	return Series{Name: "tasks needed", Times: times, Values: needed}, out
}

func decodePNG(t *testing.T, b []byte) image.Image {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("PNG does not decode: %v", err)
	}
	return img
}

// inked counts the pixels that are not (nearly) white.
func inked(img image.Image) int {
	n := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bb, _ := img.At(x, y).RGBA()
			if r < 0xF000 || g < 0xF000 || bb < 0xF000 {
				n++
			}
		}
	}
	return n
}

// near reports whether two colours are within tol per 8-bit channel.
func near(a, b color.Color, tol int) bool {
	ar, ag, ab, _ := a.RGBA()
	br, bg, bb, _ := b.RGBA()
	d := func(x, y uint32) bool { return abs(int(x>>8)-int(y>>8)) <= tol }
	return d(ar, br) && d(ag, bg) && d(ab, bb)
}

func abs(x int) int { return max(x, -x) }

// svgDoc is what the tests read of an SVG: its size and its text.
type svgDoc struct {
	Width, Height string
	Texts         []string
	Paths         int
}

// parseSVG parses b as XML from start to end, failing the test if it is
// not well formed.
func parseSVG(t *testing.T, b []byte) svgDoc {
	t.Helper()
	var doc svgDoc
	dec := xml.NewDecoder(bytes.NewReader(b))
	inText := false
	depth := 0
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("SVG is not valid XML: %v", err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			depth++
			switch tok.Name.Local {
			case "svg":
				for _, a := range tok.Attr {
					switch a.Name.Local {
					case "width":
						doc.Width = a.Value
					case "height":
						doc.Height = a.Value
					}
				}
			case "text":
				inText = true
				doc.Texts = append(doc.Texts, "")
			case "path":
				doc.Paths++
			}
		case xml.EndElement:
			depth--
			if tok.Name.Local == "text" {
				inText = false
			}
		case xml.CharData:
			if inText {
				doc.Texts[len(doc.Texts)-1] += string(tok)
			}
		}
	}
	if depth != 0 {
		t.Fatalf("SVG elements not closed: depth %d at end", depth)
	}
	return doc
}

func (d svgDoc) hasText(s string) bool {
	for _, t := range d.Texts {
		if t == s {
			return true
		}
	}
	return false
}

// pt parses an SVG length in points.
func pt(t *testing.T, s string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(strings.TrimSuffix(s, "pt"), 64)
	if err != nil || !strings.HasSuffix(s, "pt") {
		t.Fatalf("SVG length %q: want a number of points", s)
	}
	return v
}

func TestLinesPNG(t *testing.T) {
	area, lines := scalers(7, 2000, time.Minute)
	for _, size := range [][2]int{{0, 0}, {800, 500}} {
		var buf bytes.Buffer
		o := Options{Title: "Capacity", YLabel: "tasks", Width: size[0], Height: size[1], Area: &area, Step: true}
		if err := Lines(&buf, "png", o, lines); err != nil {
			t.Fatal(err)
		}
		img := decodePNG(t, buf.Bytes())
		wantW, wantH := size[0], size[1]
		if wantW == 0 {
			wantW, wantH = DefaultWidth, DefaultHeight
		}
		if b := img.Bounds(); b.Dx() != wantW || b.Dy() != wantH {
			t.Errorf("PNG is %dx%d, want %dx%d", b.Dx(), b.Dy(), wantW, wantH)
		}
		if n, total := inked(img), wantW*wantH; n < total/50 || n > total*3/4 {
			t.Errorf("%d of %d pixels drawn: want a chart, not a blank or filled image", n, total)
		}
		// Every line's colour and the area's grey show.
		for i := range lines {
			c := lineStyle(i).Color
			if n := countColor(img, c, 40); n < 50 {
				t.Errorf("line %d (%v): %d pixels of its colour", i, c, n)
			}
		}
		if n := countColor(img, areaColor, 3); n < wantW*wantH/50 {
			t.Errorf("area: %d grey pixels", n)
		}
	}
}

func countColor(img image.Image, c color.Color, tol int) int {
	n := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if near(img.At(x, y), c, tol) {
				n++
			}
		}
	}
	return n
}

func TestLinesSVG(t *testing.T) {
	area, lines := scalers(7, 2000, time.Minute)
	lines[2].Name = "a <b> & \"c\""
	var buf bytes.Buffer
	o := Options{Title: "Capacity & demand", YLabel: "tasks", Area: &area, Step: true}
	if err := Lines(&buf, "svg", o, lines); err != nil {
		t.Fatal(err)
	}
	doc := parseSVG(t, buf.Bytes())
	w, h := pt(t, doc.Width), pt(t, doc.Height)
	if math.Abs(w/h-float64(DefaultWidth)/DefaultHeight) > 1e-6 {
		t.Errorf("SVG is %gx%g, want the aspect of %dx%d", w, h, DefaultWidth, DefaultHeight)
	}
	if math.Abs(w-float64(DefaultWidth)*0.75) > 1e-6 {
		t.Errorf("SVG width %gpt, want %d CSS pixels", w, DefaultWidth)
	}
	for _, want := range append([]string{"Capacity & demand", "tasks", "Time (UTC)", area.Name}, names(lines)...) {
		if !doc.hasText(want) {
			t.Errorf("SVG has no text %q; texts: %q", want, doc.Texts)
		}
	}
	if doc.Paths < len(lines)+1 {
		t.Errorf("SVG has %d paths, want at least one per series", doc.Paths)
	}
}

func names(ss []Series) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = s.Name
	}
	return out
}

// TestLinesNaNGap draws a flat line with a gap of NaNs: the line must show
// on both sides of the gap, not in it, and never leave its level (no spike
// to zero or to the edge).
func TestLinesNaNGap(t *testing.T) {
	const n = 600
	times := make([]time.Time, n)
	vals := make([]float64, n)
	for i := range n {
		times[i] = start.Add(time.Duration(i) * time.Minute)
		vals[i] = 5
		if i >= 250 && i < 350 {
			vals[i] = math.NaN()
		}
	}
	vals[450] = math.Inf(1)
	lines := []Series{{Name: "with gaps", Times: times, Values: vals}}
	for _, step := range []bool{false, true} {
		var buf bytes.Buffer
		if err := Lines(&buf, "png", Options{Title: "gaps", Step: step}, lines); err != nil {
			t.Fatal(err)
		}
		img := decodePNG(t, buf.Bytes())
		c := lineStyle(0).Color
		rows := map[int]bool{}
		cols := map[int]bool{}
		b := img.Bounds()
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				if near(img.At(x, y), c, 60) {
					rows[y] = true
					cols[x] = true
				}
			}
		}
		// The line itself and the legend's sample: a few rows each.
		if len(rows) > 12 {
			t.Errorf("step=%v: line colour on %d rows: the line leaves its level", step, len(rows))
		}
		// Runs of columns: before the gap, after it, the legend sample.
		runs := 0
		for x := b.Min.X; x < b.Max.X; x++ {
			if cols[x] && !cols[x-1] {
				runs++
			}
		}
		if runs < 3 {
			t.Errorf("step=%v: line colour in %d runs of columns, want the gap to split the line", step, runs)
		}

		buf.Reset()
		if err := Lines(&buf, "svg", Options{Step: step}, lines); err != nil {
			t.Fatal(err)
		}
		if s := buf.String(); strings.Contains(s, "NaN") || strings.Contains(s, "Inf") {
			t.Errorf("step=%v: SVG has NaN or Inf coordinates", step)
		}
		parseSVG(t, buf.Bytes())
	}
}

func TestLinesErrors(t *testing.T) {
	times, vals := demand(10, time.Minute, 1)
	good := []Series{{Name: "a", Times: times, Values: vals}}
	nan := []float64{math.NaN(), math.NaN()}
	for _, tc := range []struct {
		name   string
		format string
		o      Options
		lines  []Series
		noData bool
	}{
		{name: "no series", format: "png", noData: true},
		{name: "empty series", format: "svg", lines: []Series{{Name: "a"}}, noData: true},
		{name: "all NaN", format: "png", lines: []Series{{Name: "a", Times: times[:2], Values: nan}}, noData: true},
		{name: "unknown format", format: "jpeg", lines: good},
		{name: "upper-case format", format: "PNG", lines: good},
		{name: "length mismatch", format: "png", lines: []Series{{Name: "a", Times: times, Values: vals[:5]}}},
		{name: "times backwards", format: "png", lines: []Series{{Name: "a", Times: []time.Time{times[1], times[0]}, Values: vals[:2]}}},
		{name: "tiny", format: "png", o: Options{Width: 10, Height: 10}, lines: good},
		{name: "negative", format: "png", o: Options{Width: -1}, lines: good},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			err := Lines(&buf, tc.format, tc.o, tc.lines)
			if err == nil {
				t.Fatal("no error")
			}
			if got := errors.Is(err, ErrNoData); got != tc.noData {
				t.Errorf("errors.Is(%v, ErrNoData) = %v, want %v", err, got, tc.noData)
			}
			if buf.Len() != 0 {
				t.Errorf("%d bytes written despite the error", buf.Len())
			}
		})
	}
}

// TestLinesEdgeCases are inputs that must draw something, not fail.
func TestLinesEdgeCases(t *testing.T) {
	t0 := []time.Time{start}
	for _, tc := range []struct {
		name  string
		o     Options
		lines []Series
	}{
		{name: "one point", lines: []Series{{Name: "a", Times: t0, Values: []float64{3}}}},
		{name: "all zero", lines: []Series{{Name: "a", Times: []time.Time{start, start.Add(time.Hour)}, Values: []float64{0, 0}}}},
		{name: "negative", lines: []Series{{Name: "a", Times: []time.Time{start, start.Add(time.Hour)}, Values: []float64{-3, 2}}}},
		{name: "area only", o: Options{Area: &Series{Name: "need", Times: []time.Time{start, start.Add(time.Hour)}, Values: []float64{1, 2}}}},
		{name: "no names", lines: []Series{{Times: t0, Values: []float64{1}}, {Times: t0, Values: []float64{2}}}},
		{name: "one empty", lines: []Series{{Name: "a"}, {Name: "b", Times: t0, Values: []float64{1}}}},
		{name: "two years", lines: []Series{{Name: "a", Times: []time.Time{start, start.AddDate(2, 0, 0)}, Values: []float64{1, 2}}}},
		{name: "ten seconds", lines: []Series{{Name: "a", Times: []time.Time{start, start.Add(10 * time.Second)}, Values: []float64{1, 2}}}},
		{name: "width only", o: Options{Width: 700}, lines: []Series{{Name: "a", Times: t0, Values: []float64{1}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, format := range []string{"png", "svg"} {
				var buf bytes.Buffer
				if err := Lines(&buf, format, tc.o, tc.lines); err != nil {
					t.Fatalf("%s: %v", format, err)
				}
				if format == "png" {
					decodePNG(t, buf.Bytes())
				} else {
					parseSVG(t, buf.Bytes())
				}
			}
		})
	}
}

func sweep() map[string][]Point {
	curves := map[string][]Point{}
	for i, name := range []string{"stepscaler", "target tracking", "step scaling"} {
		var pts []Point
		for j, th := range []float64{50, 60, 70, 80, 90} {
			over := (100 - th) * (1 + 0.3*float64(i)) * 12
			under := math.Pow(th/100, 4) * 40 * (1 + 0.5*float64(i))
			pts = append(pts, Point{X: over, Y: under, Label: fmt.Sprintf("%g%%", th)})
			_ = j
		}
		curves[name] = pts
	}
	return curves
}

func TestTradeoffPNG(t *testing.T) {
	var buf bytes.Buffer
	o := ScatterOptions{Title: "Trade-off", XLabel: "over-provisioned task-hours", YLabel: "under-provisioned task-hours"}
	if err := Tradeoff(&buf, "png", o, sweep()); err != nil {
		t.Fatal(err)
	}
	img := decodePNG(t, buf.Bytes())
	if b := img.Bounds(); b.Dx() != DefaultTradeoffWidth || b.Dy() != DefaultTradeoffHeight {
		t.Errorf("PNG is %dx%d, want %dx%d", b.Dx(), b.Dy(), DefaultTradeoffWidth, DefaultTradeoffHeight)
	}
	if n, total := inked(img), DefaultTradeoffWidth*DefaultTradeoffHeight; n < total/100 || n > total/2 {
		t.Errorf("%d of %d pixels drawn", n, total)
	}
	for i := range 3 {
		if n := countColor(img, lineStyle(i).Color, 40); n < 50 {
			t.Errorf("curve %d: %d pixels of its colour", i, n)
		}
	}
}

func TestTradeoffSVG(t *testing.T) {
	var buf bytes.Buffer
	curves := sweep()
	curves["gappy"] = []Point{{X: 1, Y: 1, Label: "a"}, {X: math.NaN(), Y: 2}, {X: 3, Y: math.Inf(1)}, {X: 4, Y: 2, Label: "d"}}
	o := ScatterOptions{Title: "Trade-off", XLabel: "over", YLabel: "under", Width: 600, Height: 600}
	if err := Tradeoff(&buf, "svg", o, curves); err != nil {
		t.Fatal(err)
	}
	doc := parseSVG(t, buf.Bytes())
	if w, h := pt(t, doc.Width), pt(t, doc.Height); w != h {
		t.Errorf("SVG is %gx%g, want square", w, h)
	}
	for _, want := range []string{"Trade-off", "over", "under", "stepscaler", "target tracking", "step scaling", "gappy", "50%", "90%", "a", "d"} {
		if !doc.hasText(want) {
			t.Errorf("SVG has no text %q; texts: %q", want, doc.Texts)
		}
	}
	if strings.Contains(buf.String(), "NaN") {
		t.Error("SVG has NaN coordinates")
	}
}

func TestTradeoffErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		format string
		curves map[string][]Point
		noData bool
	}{
		{name: "nil", format: "png", noData: true},
		{name: "empty curves", format: "svg", curves: map[string][]Point{"a": nil, "b": {}}, noData: true},
		{name: "all NaN", format: "png", curves: map[string][]Point{"a": {{X: math.NaN(), Y: 1}}}, noData: true},
		{name: "unknown format", format: "pdf", curves: sweep()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			err := Tradeoff(&buf, tc.format, ScatterOptions{}, tc.curves)
			if err == nil {
				t.Fatal("no error")
			}
			if got := errors.Is(err, ErrNoData); got != tc.noData {
				t.Errorf("errors.Is(%v, ErrNoData) = %v, want %v", err, got, tc.noData)
			}
			if buf.Len() != 0 {
				t.Errorf("%d bytes written despite the error", buf.Len())
			}
		})
	}
}

// TestLinesLarge renders seven 10,000-point series; see BenchmarkLinesPNG
// for the time it takes.
func TestLinesLarge(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	area, lines := scalers(7, 10000, time.Minute)
	for _, format := range []string{"png", "svg"} {
		var buf bytes.Buffer
		t0 := time.Now()
		if err := Lines(&buf, format, Options{Title: "large", Area: &area, Step: true}, lines); err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %v, %d bytes", format, time.Since(t0), buf.Len())
	}
}

func BenchmarkLinesPNG(b *testing.B) {
	area, lines := scalers(7, 10000, time.Minute)
	for _, step := range []bool{false, true} {
		b.Run(fmt.Sprintf("step=%v", step), func(b *testing.B) {
			o := Options{Title: "bench", YLabel: "tasks", Area: &area, Step: step}
			for b.Loop() {
				if err := Lines(io.Discard, "png", o, lines); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkLinesSVG(b *testing.B) {
	area, lines := scalers(7, 10000, time.Minute)
	o := Options{Title: "bench", YLabel: "tasks", Area: &area, Step: true}
	for b.Loop() {
		if err := Lines(io.Discard, "svg", o, lines); err != nil {
			b.Fatal(err)
		}
	}
}

// TestWriteSamples writes sample charts to the directory named by
// CHART_SAMPLE_DIR, for a person to look at; it is skipped without it.
func TestWriteSamples(t *testing.T) {
	dir := os.Getenv("CHART_SAMPLE_DIR")
	if dir == "" {
		t.Skip("CHART_SAMPLE_DIR not set")
	}
	write := func(name string, f func(io.Writer) error) {
		var buf bytes.Buffer
		if err := f(&buf); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	area, lines := scalers(7, 10000, time.Minute)
	o := Options{Title: "Running tasks by autoscaler, 7-day replay", YLabel: "tasks", Area: &area, Step: true}
	for _, f := range []string{"png", "svg"} {
		write("week."+f, func(w io.Writer) error { return Lines(w, f, o, lines) })
	}
	day := make([]Series, len(lines))
	for i, s := range lines {
		day[i] = Series{Name: s.Name, Times: s.Times[:1440], Values: s.Values[:1440]}
	}
	dayArea := Series{Name: area.Name, Times: area.Times[:1440], Values: area.Values[:1440]}
	od := Options{Title: "Running tasks by autoscaler, one day", YLabel: "tasks", Area: &dayArea, Step: true}
	write("day.png", func(w io.Writer) error { return Lines(w, "png", od, day) })
	times, rate := demand(3*1440, time.Minute, 3)
	for i := range rate {
		rate[i] *= 30
		if i >= 1500 && i < 1700 {
			rate[i] = math.NaN() // a hole in the history
		}
	}
	rates := []Series{{Name: "requests/s", Times: times, Values: rate}}
	orate := Options{Title: "Request rate, 3 days, with a gap", YLabel: "requests per second"}
	write("rate.png", func(w io.Writer) error { return Lines(w, "png", orate, rates) })
	six := []Series{{Name: "requests/s", Times: times[600:960], Values: rate[600:960]}}
	write("six-hours.png", func(w io.Writer) error { return Lines(w, "png", orate, six) })
	month, mrate := demand(30*24, time.Hour, 5)
	write("month.png", func(w io.Writer) error {
		return Lines(w, "png", Options{Title: "30 days, hourly", Width: 900, Height: 400}, []Series{{Name: "hourly", Times: month, Values: mrate}})
	})
	so := ScatterOptions{Title: "Over- vs under-provisioning, target utilisation swept", XLabel: "over-provisioned task-hours", YLabel: "under-provisioned task-hours"}
	write("tradeoff.png", func(w io.Writer) error { return Tradeoff(w, "png", so, sweep()) })
}

// TestConcurrent renders charts from several goroutines at once, as a
// backtest that charts its results in parallel would.
func TestConcurrent(t *testing.T) {
	area, lines := scalers(3, 500, time.Minute)
	errs := make(chan error, 8)
	for i := range 8 {
		go func() {
			format := []string{"png", "svg"}[i%2]
			if i%3 == 0 {
				errs <- Tradeoff(io.Discard, format, ScatterOptions{Title: "t"}, sweep())
				return
			}
			errs <- Lines(io.Discard, format, Options{Title: "c", Area: &area}, lines)
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}
