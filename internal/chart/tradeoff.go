package chart

import (
	"fmt"
	"io"
	"slices"

	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Point is one point of a trade-off curve. Label, if not empty, is written
// beside it: typically the value of the swept parameter that gave it.
// A point with a NaN or infinite coordinate is a gap in its curve.
type Point struct {
	X, Y  float64
	Label string
}

// ScatterOptions configure a trade-off chart drawn by Tradeoff.
type ScatterOptions struct {
	Title, XLabel, YLabel string

	// Width and Height are the size of a PNG in pixels; an SVG has the same
	// size in CSS pixels. Zero means DefaultTradeoffWidth by
	// DefaultTradeoffHeight.
	Width, Height int
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

	names := make([]string, 0, len(curves))
	for name := range curves {
		names = append(names, name)
	}
	slices.Sort(names)

	var ranges dataRange
	for i, name := range names {
		pts := curves[name]
		l := newXYPlotter(pts)
		l.line = lineStyle(i)
		ranges.add(l)

		var xys plotter.XYs
		var labels []string
		for _, pt := range pts {
			if finite(pt.X) && finite(pt.Y) {
				xys = append(xys, plotter.XY{X: pt.X, Y: pt.Y})
				labels = append(labels, legendName(pt.Label, ""))
			}
		}
		if len(xys) == 0 {
			p.Add(l)
			leg.Add(legendName(name, fmt.Sprintf("curve %d", i+1)), l)
			continue
		}
		marks, err := plotter.NewScatter(xys)
		if err != nil {
			return fmt.Errorf("chart: curve %q: %w", name, err)
		}
		marks.GlyphStyle = draw.GlyphStyle{
			Color:  l.line.Color,
			Radius: px(4),
			Shape:  glyphs[i%len(glyphs)],
		}
		texts, err := plotter.NewLabels(plotter.XYLabels{XYs: xys, Labels: labels})
		if err != nil {
			return fmt.Errorf("chart: curve %q: %w", name, err)
		}
		for j := range texts.TextStyle {
			texts.TextStyle[j] = textStyle(12, labelColor)
			texts.TextStyle[j].YAlign = draw.YCenter
		}
		texts.Offset = vg.Point{X: px(7), Y: px(7)}
		p.Add(l, marks, texts)
		leg.Add(legendName(name, fmt.Sprintf("curve %d", i+1)), l, marks)
	}
	if ranges.n == 0 {
		return fmt.Errorf("%w: every curve is empty or has no finite point", ErrNoData)
	}

	setZeroBasedAxis(&p.X, ranges.xmin, ranges.xmax)
	setZeroBasedAxis(&p.Y, ranges.ymin, ranges.ymax)
	return render(w, format, width, height, p, leg)
}
