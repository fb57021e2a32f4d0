package chart

import (
	"fmt"
	"image/color"
	"io"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Panel is one small multiple: a capacity series against the need it follows, both
// drawn as steps (each value holds until the next time). Where the capacity falls short
// of the need the gap is shaded as under-provisioning, where it exceeds the need as
// over-provisioning, so a reader sees at a glance what each costs.
type Panel struct {
	// Title names the panel, e.g. the autoscaler and its totals.
	Title string
	// Need and Capacity share their times, which must not decrease. A NaN need is a
	// gap in the data: nothing is drawn or shaded there.
	Need, Capacity Series
}

// PanelOptions configure a chart drawn by Panels.
type PanelOptions struct {
	// Title is drawn at the top; YLabel names every panel's y axis.
	Title, YLabel string
	// Width is the chart's width in pixels, PanelHeight each panel's height; zero means
	// DefaultWidth and DefaultPanelHeight.
	Width, PanelHeight int
	// NeedName, CapacityName, UnderName and OverName label the legend; empty ones get
	// "needed", "serving", "short" and "idle".
	NeedName, CapacityName, UnderName, OverName string
}

// DefaultPanelHeight is the height of one panel, in pixels.
const DefaultPanelHeight = 170

// Colours of the shaded gaps: light tints of the palette's vermillion and blue, so the
// capacity line drawn over them stays legible.
var (
	underColor    = color.RGBA{R: 0xF4, G: 0xA5, B: 0x82, A: 0xFF}
	overColor     = color.RGBA{R: 0xA6, G: 0xCE, B: 0xE8, A: 0xFF}
	needLineColor = color.Gray{Y: 0x70}
)

// Panels draws one panel per entry, stacked, sharing the time axis and the y scale so
// they compare, with one legend at the top, and writes the chart to w as format.
func Panels(w io.Writer, format string, o PanelOptions, panels []Panel) error {
	if err := checkFormat(format); err != nil {
		return err
	}
	if len(panels) == 0 {
		return fmt.Errorf("%w: no panels given", ErrNoData)
	}
	width, _, err := size(o.Width, DefaultHeight, DefaultWidth, DefaultHeight)
	if err != nil {
		return err
	}
	ph := o.PanelHeight
	if ph == 0 {
		ph = DefaultPanelHeight
	}
	legendH := 40
	title := newPlot(o.Title)
	titleH := 0
	if o.Title != "" {
		titleH = 36
	}
	height := titleH + legendH + ph*len(panels) + 40 // the time labels under the last panel
	if _, _, err := size(width, height, DefaultWidth, DefaultHeight); err != nil {
		return err
	}

	plots := make([][]*plot.Plot, len(panels))
	var ranges dataRange
	var built []panelPlotters
	for i, pn := range panels {
		pp, err := newPanelPlotters(pn)
		if err != nil {
			return err
		}
		ranges.add(pp.need)
		ranges.add(pp.capacity)
		built = append(built, pp)
		// The panel's title is drawn apart, left-aligned over its tile (see below).
		p := newPlot("")
		p.Y.Label.Text = o.YLabel
		p.Add(newGrid(), pp.need, pp.under, pp.over, pp.needLine, pp.capacity)
		plots[i] = []*plot.Plot{p}
	}
	if ranges.n == 0 {
		return fmt.Errorf("%w: every panel is empty or all NaN", ErrNoData)
	}
	for i, row := range plots {
		p := row[0]
		p.X.Min, p.X.Max = ranges.xmin, ranges.xmax
		if p.X.Min == p.X.Max {
			p.X.Min, p.X.Max = p.X.Min-60, p.X.Max+60
		}
		setZeroBasedAxis(&p.Y, 0, ranges.ymax)
		p.Y.Tick.Marker = linearTicks{target: 3}
		if i == len(plots)-1 {
			p.X.Label.Text = "Time (UTC)"
			p.X.Tick.Marker = timeTicks{target: majorTickTarget(width)}
		} else {
			// The labels stay, so the grid keeps its lines at them, but are drawn
			// invisible and tiny: one time axis, at the bottom, labels them all.
			p.X.Tick.Marker = timeTicks{target: majorTickTarget(width)}
			p.X.Tick.Label.Color = color.Transparent
			p.X.Tick.Label.Font.Size = 1
		}
	}

	c, dc, err := newCanvas(format, width, height)
	if err != nil {
		return err
	}
	dc = drawTitle(dc, title)
	legC := dc
	legC.Min.Y = dc.Max.Y - px(float64(legendH))
	drawPanelLegend(legC, o, built[0])
	dc.Max.Y = legC.Min.Y
	tiles := draw.Tiles{Rows: len(panels), Cols: 1, PadY: px(6)}
	canvases := plot.Align(plots, tiles, dc)
	titleStyle := textStyle(14, textColor)
	titleStyle.XAlign, titleStyle.YAlign = draw.XLeft, draw.YTop
	for i, row := range plots {
		tile := canvases[i][0]
		tile.FillText(titleStyle, vg.Point{X: tile.Min.X, Y: tile.Max.Y}, legendName(panels[i].Title, ""))
		tile.Max.Y -= titleStyle.Rectangle("Mg").Size().Y + px(4)
		row[0].Draw(tile)
	}
	return finish(w, format, c)
}

// panelPlotters are what one panel draws: the need as a grey area and a thin line, the
// capacity as a line, and the gaps between them.
type panelPlotters struct {
	need, needLine, capacity *linePlotter
	under, over              *bandPlotter
}

func newPanelPlotters(pn Panel) (panelPlotters, error) {
	if len(pn.Need.Times) != len(pn.Capacity.Times) {
		return panelPlotters{}, fmt.Errorf("chart: panel %q: need and capacity have %d and %d times", pn.Title, len(pn.Need.Times), len(pn.Capacity.Times))
	}
	for i := range pn.Need.Times {
		if !pn.Need.Times[i].Equal(pn.Capacity.Times[i]) {
			return panelPlotters{}, fmt.Errorf("chart: panel %q: need and capacity differ in time at index %d", pn.Title, i)
		}
	}
	need, err := newTimePlotter(pn.Need, true)
	if err != nil {
		return panelPlotters{}, err
	}
	needLine, _ := newTimePlotter(pn.Need, true)
	capacity, err := newTimePlotter(pn.Capacity, true)
	if err != nil {
		return panelPlotters{}, err
	}
	need.fill = areaColor
	needLine.line = draw.LineStyle{Color: needLineColor, Width: px(1)}
	capacity.line = draw.LineStyle{Color: palette[0], Width: px(1.8)}
	under := &bandPlotter{xs: need.xs, fill: underColor}
	over := &bandPlotter{xs: need.xs, fill: overColor}
	for i := range need.xs {
		n, c := pn.Need.Values[i], pn.Capacity.Values[i]
		lo, hi := math.NaN(), math.NaN()
		if finite(n) && finite(c) {
			lo, hi = c, n
		}
		under.lo, under.hi = append(under.lo, lo), append(under.hi, hi)
		over.lo, over.hi = append(over.lo, hi), append(over.hi, lo)
	}
	return panelPlotters{need: need, needLine: needLine, capacity: capacity, under: under, over: over}, nil
}

// bandPlotter shades, as steps, the interval from lo to hi wherever hi > lo; each value
// holds until the next x.
type bandPlotter struct {
	xs, lo, hi []float64
	fill       color.Color
}

// Plot implements plot.Plotter, merging consecutive steps of the same band into one
// polygon so a long run costs one path.
func (b *bandPlotter) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	shaded := func(i int) bool { return finite(b.lo[i]) && finite(b.hi[i]) && b.hi[i] > b.lo[i] }
	for i := 0; i+1 < len(b.xs); {
		if !shaded(i) {
			i++
			continue
		}
		// The run [i, j) of shaded steps: its top edge forward, its bottom edge back.
		j := i
		for j+1 < len(b.xs) && shaded(j) {
			j++
		}
		var poly []vg.Point
		for k := i; k < j; k++ {
			poly = append(poly, vg.Point{X: trX(b.xs[k]), Y: trY(b.hi[k])}, vg.Point{X: trX(b.xs[k+1]), Y: trY(b.hi[k])})
		}
		for k := j - 1; k >= i; k-- {
			poly = append(poly, vg.Point{X: trX(b.xs[k+1]), Y: trY(b.lo[k])}, vg.Point{X: trX(b.xs[k]), Y: trY(b.lo[k])})
		}
		if poly = c.ClipPolygonXY(poly); len(poly) > 2 {
			c.FillPolygon(b.fill, poly)
		}
		i = j
	}
}

// Thumbnail implements plot.Thumbnailer: a filled box.
func (b *bandPlotter) Thumbnail(c *draw.Canvas) {
	h := c.Max.Y - c.Min.Y
	r := vg.Rectangle{Min: vg.Point{X: c.Min.X, Y: c.Min.Y + h*0.1}, Max: vg.Point{X: c.Max.X, Y: c.Max.Y - h*0.1}}
	c.FillPolygon(b.fill, []vg.Point{r.Min, {X: r.Max.X, Y: r.Min.Y}, r.Max, {X: r.Min.X, Y: r.Max.Y}})
}

// drawPanelLegend draws the four entries in one row.
func drawPanelLegend(c draw.Canvas, o PanelOptions, pp panelPlotters) {
	leg := newLegend()
	leg.Top, leg.Left = true, true
	entries := []struct {
		name string
		th   plot.Thumbnailer
	}{
		{legendName(o.NeedName, "needed"), pp.need},
		{legendName(o.CapacityName, "serving"), pp.capacity},
		{legendName(o.UnderName, "short"), pp.under},
		{legendName(o.OverName, "idle"), pp.over},
	}
	x := c.Min.X
	for _, e := range entries {
		l := leg
		l.Add(e.name, e.th)
		w := l.Rectangle(c).Size().X
		cell := c
		cell.Min.X, cell.Max.X = x, x+w
		l.Draw(cell)
		x += w + px(24)
	}
}
