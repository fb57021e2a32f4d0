package chart

import (
	"bytes"
	"errors"
	"image/color"
	"math"
	"strings"
	"testing"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/recorder"
)

// panelsOf builds k panels over n minutes: a need of 10 tasks, and a capacity 3 tasks
// short of it for the first half and 4 tasks above it for the second.
func panelsOf(k, n int) []Panel {
	var ps []Panel
	for p := range k {
		need, capacity := Series{Name: "needed"}, Series{Name: "serving"}
		for i := range n {
			at := start.Add(time.Duration(i) * time.Minute)
			c := 7.0
			if i >= n/2 {
				c = 14
			}
			need.Times, need.Values = append(need.Times, at), append(need.Values, 10)
			capacity.Times, capacity.Values = append(capacity.Times, at), append(capacity.Values, c)
		}
		ps = append(ps, Panel{Title: "scaler " + string(rune('A'+p)), Need: need, Capacity: capacity})
	}
	return ps
}

func TestPanelsPNG(t *testing.T) {
	var buf bytes.Buffer
	if err := Panels(&buf, "png", PanelOptions{Title: "Around the peak", YLabel: "tasks", Width: 900}, panelsOf(3, 120)); err != nil {
		t.Fatal(err)
	}
	img := decodePNG(t, buf.Bytes())
	// The height is the title's 36, the legend's 40, three panels and the time labels' 40.
	if b := img.Bounds(); b.Dx() != 900 || b.Dy() != 36+40+3*DefaultPanelHeight+40 {
		t.Errorf("PNG is %dx%d", b.Dx(), b.Dy())
	}
	// Both gaps are shaded, and the capacity line drawn, in every panel: each colour
	// covers a good share of the image.
	for _, c := range []struct {
		name  string
		color color.Color
		least int
	}{{"short", underColor, 3 * 2000}, {"idle", overColor, 3 * 2000}, {"capacity", palette[0], 3 * 300}} {
		if n := countColor(img, c.color, 6); n < c.least {
			t.Errorf("%s: %d pixels of its colour, want at least %d", c.name, n, c.least)
		}
	}
}

func TestPanelsSVG(t *testing.T) {
	var buf bytes.Buffer
	ps := panelsOf(2, 60)
	ps[1].Title = "a <b> & c"
	if err := Panels(&buf, "svg", PanelOptions{Title: "Peak", YLabel: "tasks", UnderName: "short"}, ps); err != nil {
		t.Fatal(err)
	}
	doc := parseSVG(t, buf.Bytes())
	for _, want := range []string{"Peak", "scaler A", "a <b> & c", "tasks", "needed", "serving", "short", "idle", "Time (UTC)"} {
		if !doc.hasText(want) {
			t.Errorf("SVG has no text %q; texts: %q", want, doc.Texts)
		}
	}
}

func TestPanelsErrors(t *testing.T) {
	mismatched := panelsOf(1, 10)
	mismatched[0].Capacity.Times = mismatched[0].Capacity.Times[:9]
	mismatched[0].Capacity.Values = mismatched[0].Capacity.Values[:9]
	shifted := panelsOf(1, 10)
	shifted[0].Capacity.Times[3] = shifted[0].Capacity.Times[3].Add(time.Second)
	allNaN := panelsOf(1, 5)
	for i := range allNaN[0].Need.Values {
		allNaN[0].Need.Values[i], allNaN[0].Capacity.Values[i] = math.NaN(), math.NaN()
	}
	for _, tc := range []struct {
		name   string
		format string
		panels []Panel
		noData bool
		want   string
	}{
		{name: "none", format: "png", noData: true},
		{name: "all NaN", format: "svg", panels: allNaN, noData: true},
		{name: "lengths", format: "png", panels: mismatched, want: "need and capacity have 10 and 9 times"},
		{name: "times", format: "png", panels: shifted, want: "differ in time at index 3"},
		{name: "format", format: "gif", panels: panelsOf(1, 5), want: "unknown format"},
	} {
		var buf bytes.Buffer
		err := Panels(&buf, tc.format, PanelOptions{}, tc.panels)
		if err == nil || errors.Is(err, ErrNoData) != tc.noData || (tc.want != "" && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%s: error %v", tc.name, err)
		}
		if buf.Len() != 0 {
			t.Errorf("%s: %d bytes written despite the error", tc.name, buf.Len())
		}
	}
}

// TestBandPlotter draws a band on a recording canvas: steps 0 and 1 (from 1 to 3) make
// one polygon spanning x from 0 to 2; step 2 is a gap (a NaN), step 3 has hi below lo,
// and the last value has no step after it.
func TestBandPlotter(t *testing.T) {
	fill := color.RGBA{R: 1, G: 2, B: 3, A: 255}
	b := &bandPlotter{xs: []float64{0, 1, 2, 3, 4}, lo: []float64{1, 1, math.NaN(), 2, 0}, hi: []float64{3, 3, 5, 1, 6}, fill: fill}
	p := plot.New()
	p.BackgroundColor = nil
	p.HideAxes()
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 0, 4, 0, 6
	p.Add(b)
	var rec recorder.Canvas
	dc := draw.NewCanvas(&rec, 400, 300)
	p.Draw(dc)
	var polys []vg.Path
	filling := false
	for _, a := range rec.Actions {
		switch a := a.(type) {
		case *recorder.SetColor:
			filling = a.Color == color.Color(fill)
		case *recorder.Fill:
			if filling {
				polys = append(polys, a.Path)
			}
		}
	}
	if len(polys) != 1 {
		t.Fatalf("%d polygons filled, want 1", len(polys))
	}
	xmin, xmax, ymin, ymax := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	for _, c := range polys[0] {
		if c.Type == vg.MoveComp || c.Type == vg.LineComp {
			xmin, xmax = min(xmin, float64(c.Pos.X)), max(xmax, float64(c.Pos.X))
			ymin, ymax = min(ymin, float64(c.Pos.Y)), max(ymax, float64(c.Pos.Y))
		}
	}
	data := p.DataCanvas(dc)
	w, h := float64(data.Max.X-data.Min.X), float64(data.Max.Y-data.Min.Y)
	// x from 0 to 2 of 0..4, y from 1 to 3 of 0..6, in canvas units.
	if math.Abs((xmax-xmin)-w/2) > 1e-6 || math.Abs((ymax-ymin)-h/3) > 1e-6 {
		t.Errorf("polygon spans %v × %v, want %v × %v", xmax-xmin, ymax-ymin, w/2, h/3)
	}
}

func TestLogScale(t *testing.T) {
	// log10(1 + 9) / log10(1 + 99) = 1 / 2.
	if got := (logScale{}).Normalize(0, 99, 9); math.Abs(got-0.5) > 1e-12 {
		t.Errorf("Normalize(0, 99, 9) = %v, want 0.5", got)
	}
	var labels []string
	for _, tk := range (logTicks{}).Ticks(0, 1000) {
		if tk.Label != "" {
			labels = append(labels, tk.Label)
		}
	}
	if got := strings.Join(labels, " "); got != "0 1 2 5 10 20 50 100 200 500 1000" {
		t.Errorf("labels %q", got)
	}
	for _, tt := range []struct{ min, max, wantMin, wantMax float64 }{
		{0, 100761, 0, 200000},
		{243, 100761, 200, 200000},
		{1500, 4000, 1000, 5000},
		{50, 0.5, 0, 1},
	} {
		var a plot.Axis
		setLogAxis(&a, tt.min, tt.max)
		if a.Min != tt.wantMin || a.Max != tt.wantMax {
			t.Errorf("setLogAxis(%v, %v): [%v, %v], want [%v, %v]", tt.min, tt.max, a.Min, a.Max, tt.wantMin, tt.wantMax)
		}
	}
}

func TestTradeoffLogAndMarks(t *testing.T) {
	curves := []Curve{
		{Name: "ours", Points: []Point{{X: 0, Y: 500}, {X: 2000, Y: 50, Plain: true}, {X: 9000, Y: 2, Label: "70%", Marked: true}}},
		{Name: "theirs", Points: []Point{{X: 3000, Y: 200}, {X: 20000, Y: 3}}},
	}
	var buf bytes.Buffer
	if err := TradeoffCurves(&buf, "svg", ScatterOptions{Title: "Frontier", XLabel: "over", YLabel: "under", Log: true}, curves); err != nil {
		t.Fatal(err)
	}
	doc := parseSVG(t, buf.Bytes())
	for _, want := range []string{"ours", "theirs", "70%", "0", "1000", "20,000"} {
		if !doc.hasText(want) {
			t.Errorf("SVG has no text %q; texts: %q", want, doc.Texts)
		}
	}
	buf.Reset()
	if err := TradeoffCurves(&buf, "png", ScatterOptions{Log: true}, curves); err != nil {
		t.Fatal(err)
	}
	// The marked point's outline is the text colour; nothing else on the plot is.
	if n := countColor(decodePNG(t, buf.Bytes()), textColor, 4); n < 40 {
		t.Errorf("%d pixels of the outline's colour", n)
	}
	bad := []Curve{{Name: "negative", Points: []Point{{X: -1, Y: 2}}}}
	if err := TradeoffCurves(&buf, "png", ScatterOptions{Log: true}, bad); err == nil || !strings.Contains(err.Error(), "negative point") {
		t.Errorf("negative on a log axis: %v", err)
	}
}
