package chart

import (
	"fmt"
	"io"
	"math"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Point is one point of a trade-off curve. Label, if not empty, is written
// beside it: typically the value of the swept parameter that gave it.
// Marked draws the point larger, outlined in black: a default setting, say.
// Plain leaves it on the curve without a glyph, for finely swept curves.
// A point with a NaN or infinite coordinate is a gap in its curve.
type Point struct {
	X, Y   float64
	Label  string
	Marked bool
	Plain  bool
}

// Curve is one named trade-off curve.
type Curve struct {
	Name   string
	Points []Point
}

// ScatterOptions configure a trade-off chart drawn by Tradeoff.
type ScatterOptions struct {
	Title, XLabel, YLabel string

	// Width and Height are the size of a PNG in pixels; an SVG has the same
	// size in CSS pixels. Zero means DefaultTradeoffWidth by
	// DefaultTradeoffHeight.
	Width, Height int

	// Log draws both axes on a logarithmic scale of 1 + value, so that
	// values from 0 to many thousands share one chart and equal ratios
	// look equal. Values must not be negative.
	Log bool
}

// Default size of a trade-off chart, in pixels.
const (
	DefaultTradeoffWidth  = 1000
	DefaultTradeoffHeight = 700
)

// Tradeoff draws one curve per name in curves, such as over-provisioning
// against under-provisioning as a parameter is swept: each curve's points
// are joined in the order given, marked, and labelled. Both axes start at
// 0. Curves are ordered by name in the legend. It writes the chart to w as
// format, "png" or "svg".
func Tradeoff(w io.Writer, format string, o ScatterOptions, curves map[string][]Point) error {
	names := make([]string, 0, len(curves))
	for name := range curves {
		names = append(names, name)
	}
	slices.Sort(names)
	ordered := make([]Curve, len(names))
	for i, name := range names {
		ordered[i] = Curve{Name: name, Points: curves[name]}
	}
	return TradeoffCurves(w, format, o, ordered)
}

// TradeoffCurves is Tradeoff with the curves in the order given, which is
// the legend's and the one the colours are assigned in.
func TradeoffCurves(w io.Writer, format string, o ScatterOptions, curves []Curve) error {
	if err := checkFormat(format); err != nil {
		return err
	}
	width, height, err := size(o.Width, o.Height, DefaultTradeoffWidth, DefaultTradeoffHeight)
	if err != nil {
		return err
	}
	if len(curves) == 0 {
		return fmt.Errorf("%w: no curves given", ErrNoData)
	}

	p := newPlot(o.Title)
	p.Add(newGrid())
	p.X.Label.Text = o.XLabel
	p.Y.Label.Text = o.YLabel
	leg := newLegend()

	var ranges dataRange
	for i, cv := range curves {
		name := legendName(cv.Name, fmt.Sprintf("curve %d", i+1))
		l := newXYPlotter(cv.Points)
		l.line = lineStyle(i)
		ranges.add(l)

		var xys, glyphed, marked plotter.XYs
		var labels []string
		for _, pt := range cv.Points {
			if !finite(pt.X) || !finite(pt.Y) {
				continue
			}
			if o.Log && (pt.X < 0 || pt.Y < 0) {
				return fmt.Errorf("chart: curve %q: a logarithmic axis cannot show the negative point (%g, %g)", name, pt.X, pt.Y)
			}
			xys = append(xys, plotter.XY{X: pt.X, Y: pt.Y})
			labels = append(labels, legendName(pt.Label, ""))
			if !pt.Plain {
				glyphed = append(glyphed, plotter.XY{X: pt.X, Y: pt.Y})
			}
			if pt.Marked {
				marked = append(marked, plotter.XY{X: pt.X, Y: pt.Y})
			}
		}
		if len(xys) == 0 {
			p.Add(l)
			leg.Add(name, l)
			continue
		}
		marks, err := plotter.NewScatter(glyphed)
		if err != nil {
			return fmt.Errorf("chart: curve %q: %w", name, err)
		}
		marks.GlyphStyle = draw.GlyphStyle{Color: l.line.Color, Radius: px(3.5), Shape: glyphs[i%len(glyphs)]}
		texts, err := plotter.NewLabels(plotter.XYLabels{XYs: xys, Labels: labels})
		if err != nil {
			return fmt.Errorf("chart: curve %q: %w", name, err)
		}
		for j := range texts.TextStyle {
			texts.TextStyle[j] = textStyle(12, labelColor)
			texts.TextStyle[j].YAlign = draw.YCenter
		}
		texts.Offset = vg.Point{X: px(8), Y: px(8)}
		p.Add(l, marks, texts)
		if len(marked) > 0 {
			// An outline in black under a larger glyph of the curve's colour.
			outline, err := plotter.NewScatter(marked)
			if err != nil {
				return fmt.Errorf("chart: curve %q: %w", name, err)
			}
			outline.GlyphStyle = draw.GlyphStyle{Color: textColor, Radius: px(8), Shape: glyphs[i%len(glyphs)]}
			fill, _ := plotter.NewScatter(marked)
			fill.GlyphStyle = draw.GlyphStyle{Color: l.line.Color, Radius: px(6), Shape: glyphs[i%len(glyphs)]}
			p.Add(outline, fill)
		}
		leg.Add(name, l, marks)
	}
	if ranges.n == 0 {
		return fmt.Errorf("%w: every curve is empty or has no finite point", ErrNoData)
	}

	if o.Log {
		setLogAxis(&p.X, ranges.xmin, ranges.xmax)
		setLogAxis(&p.Y, ranges.ymin, ranges.ymax)
		// gonum centres an axis label on the value halfway between the axis's ends,
		// which a logarithmic scale puts near its far end, and pads the plot to fit
		// it there: put the labels at the ends instead.
		p.X.Label.Position, p.Y.Label.Position = draw.PosRight, draw.PosTop
	} else {
		setZeroBasedAxis(&p.X, ranges.xmin, ranges.xmax)
		setZeroBasedAxis(&p.Y, ranges.ymin, ranges.ymax)
	}
	return render(w, format, width, height, p, leg)
}

// logScale places v at log10(1 + v): 0 stays at the origin, and from about
// 10 on the axis is logarithmic.
type logScale struct{}

// Normalize implements plot.Normalizer.
func (logScale) Normalize(lo, hi, v float64) float64 {
	f := func(x float64) float64 { return math.Log10(1 + max(x, 0)) }
	return (f(v) - f(lo)) / (f(hi) - f(lo))
}

// logTicks labels 0 and 1, 2 and 5 times each power of ten in range, with
// unlabelled minor ticks at the other multiples.
type logTicks struct{}

// Ticks implements plot.Ticker.
func (logTicks) Ticks(lo, hi float64) []plot.Tick {
	var ticks []plot.Tick
	if lo <= 0 {
		ticks = append(ticks, plot.Tick{Value: 0, Label: "0"})
	}
	for mag := 1.0; mag <= hi; mag *= 10 {
		for m := 1.0; m < 10; m++ {
			v := m * mag
			if v > hi {
				break
			}
			if v < lo {
				continue
			}
			t := plot.Tick{Value: v}
			if m == 1 || m == 2 || m == 5 {
				t.Label = formatNumber(v, 0)
			}
			ticks = append(ticks, t)
		}
	}
	return ticks
}

// setLogAxis makes a a logarithmic axis up to the first power of ten, or
// twice or five times one, at or above the data's maximum. It starts at 0,
// unless every value is above 100: then at such a round value at or below the
// data's minimum, so that a decade of empty axis is not drawn.
func setLogAxis(a *plot.Axis, dataMin, dataMax float64) {
	a.Min, a.Max = 0, 1
	for mag := 1.0; ; mag *= 10 {
		if v := nextRound(dataMax, mag); v > 0 {
			a.Max = v
			break
		}
	}
	if dataMin > 100 {
		for mag := math.Pow(10, math.Floor(math.Log10(dataMin))); ; {
			if v := prevRound(dataMin, mag); v > 0 {
				a.Min = v
				break
			}
			mag /= 10
		}
	}
	a.Scale = logScale{}
	a.Tick.Marker = logTicks{}
}

// prevRound is the last of 5, 2 and 1 times mag at or below v, or 0 when even
// mag is above it.
func prevRound(v, mag float64) float64 {
	for _, m := range []float64{5, 2, 1} {
		if m*mag <= v*(1+1e-12) {
			return m * mag
		}
	}
	return 0
}

// nextRound is the first of 1, 2, 5 and 10 times mag at or above v, or 0 when
// even 10 × mag is below it.
func nextRound(v, mag float64) float64 {
	for _, m := range []float64{1, 2, 5, 10} {
		if m*mag >= v*(1-1e-12) {
			return m * mag
		}
	}
	return 0
}
