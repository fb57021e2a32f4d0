// Package chart renders the backtest's results as line charts and trade-off
// curves, in PNG or SVG.
//
// The package knows nothing about the simulator: it takes plain series of
// (time, value) pairs or (x, y) points. It is built for charts a person has
// to read at a glance: every line is named in a legend beside the plot, lines
// differ by colour (the colour-blind-safe Okabe–Ito palette) and by dash
// pattern, the y axis starts at zero, time ticks are in UTC and spaced in
// minutes, hours or days depending on the span shown.
package chart

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"io"
	"math"
	"strings"
	"time"
	"unicode"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Series is one named line of a time chart. Values[i] is the value at
// Times[i]; a NaN value is a gap, and no line is drawn through it.
// Times must not decrease.
type Series struct {
	Name   string
	Times  []time.Time
	Values []float64
}

// Options configure a time chart drawn by Lines.
type Options struct {
	// Title is drawn at the top of the chart; YLabel names the y axis.
	Title, YLabel string

	// Width and Height are the size of a PNG in pixels; an SVG has the same
	// size in CSS pixels. Zero means DefaultWidth by DefaultHeight.
	Width, Height int

	// Area, if not nil, is drawn as a light grey filled area behind the
	// lines; it is meant for the demand the lines try to follow, such as
	// the number of tasks needed.
	Area *Series

	// Step draws the lines, and the area, as steps: each value holds until
	// the next one, as capacity does.
	Step bool
}

// Default size of a time chart, in pixels.
const (
	DefaultWidth  = 1400
	DefaultHeight = 600
)

// Output formats accepted by Lines and Tradeoff.
const (
	FormatPNG = "png"
	FormatSVG = "svg"
)

// ErrNoData is returned, wrapped, when there is nothing to draw: no series,
// or no series with a single finite value.
var ErrNoData = errors.New("chart: no data to plot")

// Lines draws a time chart of lines, with an optional area behind them, and
// writes it to w as format, "png" or "svg".
func Lines(w io.Writer, format string, o Options, lines []Series) error {
	if err := checkFormat(format); err != nil {
		return err
	}
	width, height, err := size(o.Width, o.Height, DefaultWidth, DefaultHeight)
	if err != nil {
		return err
	}
	if len(lines) == 0 && o.Area == nil {
		return fmt.Errorf("%w: no series given", ErrNoData)
	}

	p := newPlot(o.Title)
	p.Add(newGrid()) // first, so that it is drawn behind the data
	p.X.Label.Text = "Time (UTC)"
	p.Y.Label.Text = o.YLabel
	leg := newLegend()

	var ranges dataRange
	if o.Area != nil {
		a, err := newTimePlotter(*o.Area, o.Step)
		if err != nil {
			return err
		}
		a.fill = areaColor
		ranges.add(a)
		p.Add(a)
		if a.n > 0 {
			leg.Add(legendName(o.Area.Name, "demand"), a)
		}
	}
	for i, s := range lines {
		l, err := newTimePlotter(s, o.Step)
		if err != nil {
			return err
		}
		l.line = lineStyle(i)
		ranges.add(l)
		p.Add(l)
		leg.Add(legendName(s.Name, fmt.Sprintf("series %d", i+1)), l)
	}
	if ranges.n == 0 {
		return fmt.Errorf("%w: every series is empty or all NaN", ErrNoData)
	}

	p.X.Min, p.X.Max = ranges.xmin, ranges.xmax
	if p.X.Min == p.X.Max {
		// A single instant: show a minute either side of it.
		p.X.Min -= 60
		p.X.Max += 60
	}
	p.X.Tick.Marker = timeTicks{target: majorTickTarget(width)}
	setZeroBasedAxis(&p.Y, ranges.ymin, ranges.ymax)

	return render(w, format, width, height, p, leg)
}

// checkFormat reports an error unless format is one that can be rendered.
func checkFormat(format string) error {
	switch format {
	case FormatPNG, FormatSVG:
		return nil
	}
	return fmt.Errorf("chart: unknown format %q (want %q or %q)", format, FormatPNG, FormatSVG)
}

// size applies the defaults to a requested size and checks it.
func size(w, h, defW, defH int) (int, int, error) {
	if w == 0 && h == 0 {
		return defW, defH, nil
	}
	if w == 0 {
		w = int(math.Round(float64(h) * float64(defW) / float64(defH)))
	}
	if h == 0 {
		h = int(math.Round(float64(w) * float64(defH) / float64(defW)))
	}
	const minSide, maxSide = 200, 20000
	if w < minSide || h < minSide || w > maxSide || h > maxSide {
		return 0, 0, fmt.Errorf("chart: size %dx%d out of range (each side %d to %d pixels)", w, h, minSide, maxSide)
	}
	return w, h, nil
}

// legendName makes name safe to draw, or returns def for an empty name.
func legendName(name, def string) string {
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(name, "\uFFFD"))
	name = strings.TrimSpace(name)
	if name == "" {
		return def
	}
	return name
}

// render lays out the title, the plot and the legend on a canvas of
// width×height pixels and writes it to w.
//
// The legend goes in a column right of the plot, so it never hides data.
func render(w io.Writer, format string, width, height int, p *plot.Plot, leg plot.Legend) error {
	c, dc, err := newCanvas(format, width, height)
	if err != nil {
		return err
	}

	// Title, centred over the whole chart.
	dc = drawTitle(dc, p)

	// The legend column is as wide as its widest entry, but never more
	// than a third of the chart.
	legW := leg.Rectangle(dc).Size().X
	legW = min(legW, dc.Size().X/3)
	plotC := draw.Crop(dc, 0, -(legW + legendGap), 0, 0)
	p.Draw(plotC)

	data := p.DataCanvas(plotC)
	legC := dc
	legC.Min.X = plotC.Max.X + legendGap
	legC.Max.Y = data.Max.Y
	leg.Draw(legC)
	return finish(w, format, c)
}

// newCanvas returns a canvas of width×height pixels in format, filled with the
// background, and the drawing area within its margin.
func newCanvas(format string, width, height int) (vg.CanvasWriterTo, draw.Canvas, error) {
	var c vg.CanvasWriterTo
	switch format {
	case FormatPNG:
		img := image.NewRGBA(image.Rect(0, 0, width, height))
		c = vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseImage(img), vgimg.UseDPI(dpi))}
	case FormatSVG:
		c = vgsvg.NewWith(vgsvg.UseWH(px(float64(width)), px(float64(height))))
	default:
		return nil, draw.Canvas{}, checkFormat(format)
	}
	dc := draw.New(c)
	dc.SetColor(backgroundColor)
	dc.Fill(dc.Rectangle.Path())
	return c, draw.Crop(dc, margin, -margin, margin, -margin), nil
}

// drawTitle draws p's title centred at the top of dc, and returns the canvas below it.
// The plot's own title is cleared, so that drawing p does not repeat it.
func drawTitle(dc draw.Canvas, p *plot.Plot) draw.Canvas {
	p.Title.Text = legendName(p.Title.Text, "")
	if p.Title.Text != "" {
		sty := p.Title.TextStyle
		dc.FillText(sty, vg.Point{X: dc.Center().X, Y: dc.Max.Y}, p.Title.Text)
		dc.Max.Y -= sty.Rectangle(p.Title.Text).Size().Y + p.Title.Padding
		p.Title.Text = ""
	}
	return dc
}

// finish writes the canvas to w as format.
func finish(w io.Writer, format string, c vg.CanvasWriterTo) error {
	if format == FormatSVG {
		// Name fallbacks for viewers without the Liberation fonts; Arial
		// has the same metrics, so the layout holds.
		var buf bytes.Buffer
		if _, err := c.WriteTo(&buf); err != nil {
			return fmt.Errorf("chart: rendering %s: %w", format, err)
		}
		out := bytes.ReplaceAll(buf.Bytes(), []byte("font-family:Liberation Sans;"), []byte(svgFontFamily))
		if _, err := w.Write(out); err != nil {
			return fmt.Errorf("chart: writing %s: %w", format, err)
		}
		return nil
	}
	if _, err := c.WriteTo(w); err != nil {
		return fmt.Errorf("chart: writing %s: %w", format, err)
	}
	return nil
}

// svgFontFamily is the font-family an SVG asks for.
const svgFontFamily = "font-family:'Liberation Sans',Arial,Helvetica,sans-serif;"

// dataRange accumulates the extent of the finite data of several plotters.
type dataRange struct {
	n                      int
	xmin, xmax, ymin, ymax float64
}

func (r *dataRange) add(l *linePlotter) {
	if l.n == 0 {
		return
	}
	xmin, xmax, ymin, ymax := l.DataRange()
	if r.n == 0 {
		r.xmin, r.xmax, r.ymin, r.ymax = xmin, xmax, ymin, ymax
	} else {
		r.xmin, r.xmax = min(r.xmin, xmin), max(r.xmax, xmax)
		r.ymin, r.ymax = min(r.ymin, ymin), max(r.ymax, ymax)
	}
	r.n += l.n
}
