package chart

import (
	"image/color"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// dpi maps the canvas's points to pixels: a chart Width pixels wide is
// Width*72/dpi points wide. 96 is also the CSS pixel, so an SVG shows at
// the same size as the PNG.
const dpi = 96

// px converts pixels to canvas lengths.
func px(n float64) vg.Length { return vg.Length(n * 72 / dpi) }

var (
	margin    = px(16) // around the whole chart
	legendGap = px(24) // between the plot and the legend column

	lineWidth = px(1.4) // thin, so that seven overlapping lines stay legible

	backgroundColor = color.White
	textColor       = color.Gray{Y: 0x20}
	axisColor       = color.Gray{Y: 0x50}
	gridColor       = color.Gray{Y: 0xE6}
	areaColor       = color.Gray{Y: 0xD9}
	labelColor      = color.Gray{Y: 0x40}

	sansFont = font.Font{Typeface: "Liberation", Variant: "Sans"}
)

// palette is the Okabe–Ito colour-blind-safe palette, reordered so that the
// colours that read best on white come first; its yellow, which is hard to
// see on white, is left out, and a grey added last.
var palette = []color.Color{
	color.RGBA{R: 0x00, G: 0x72, B: 0xB2, A: 0xFF}, // blue
	color.RGBA{R: 0xD5, G: 0x5E, B: 0x00, A: 0xFF}, // vermillion
	color.RGBA{R: 0x00, G: 0x9E, B: 0x73, A: 0xFF}, // bluish green
	color.RGBA{R: 0xCC, G: 0x79, B: 0xA7, A: 0xFF}, // reddish purple
	color.RGBA{R: 0xE6, G: 0x9F, B: 0x00, A: 0xFF}, // orange
	color.RGBA{R: 0x56, G: 0xB4, B: 0xE9, A: 0xFF}, // sky blue
	color.RGBA{R: 0x00, G: 0x00, B: 0x00, A: 0xFF}, // black
	color.RGBA{R: 0x99, G: 0x99, B: 0x99, A: 0xFF}, // grey, for an eighth line
}

// dashes are the dash patterns, in pixels, that tell lines apart even where
// colours do not: solid, long dash, dots, dash-dot, short dash,
// dash-dot-dot, long-short dash.
var dashes = [][]float64{
	nil,
	{10, 4},
	{2, 3},
	{10, 3, 2, 3},
	{5, 3},
	{10, 3, 2, 3, 2, 3},
	{16, 3, 5, 3},
}

// glyphs mark the points of trade-off curves, one shape per curve.
var glyphs = []draw.GlyphDrawer{
	draw.CircleGlyph{},
	draw.BoxGlyph{},
	draw.TriangleGlyph{},
	draw.PyramidGlyph{},
	draw.RingGlyph{},
	draw.CrossGlyph{},
	draw.PlusGlyph{},
}

// lineStyle is the style of the i'th line. With 8 colours and 7 dash
// patterns, the first 8 lines differ in colour and the first 7 in dash too;
// lines up to the 56th still differ in their combination.
func lineStyle(i int) draw.LineStyle {
	c := palette[i%len(palette)]
	d := dashes[(i+i/len(palette))%len(dashes)]
	sty := draw.LineStyle{Color: c, Width: lineWidth}
	for _, n := range d {
		sty.Dashes = append(sty.Dashes, px(n))
	}
	return sty
}

func textStyle(size float64, c color.Color) text.Style {
	return text.Style{
		Color:   c,
		Font:    font.From(sansFont, px(size)),
		Handler: plot.DefaultTextHandler,
	}
}

// newPlot returns a plot with the package's fonts, colours and axes.
func newPlot(title string) *plot.Plot {
	p := plot.New()
	p.BackgroundColor = nil // render fills the whole canvas
	p.Title.Text = title
	p.Title.TextStyle = textStyle(20, textColor)
	p.Title.TextStyle.XAlign = draw.XCenter
	p.Title.TextStyle.YAlign = draw.YTop
	p.Title.Padding = px(12)
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle = textStyle(15, textColor)
		a.Label.TextStyle.XAlign = draw.XCenter
		a.Label.TextStyle.YAlign = draw.YBottom
		a.Label.Padding = px(6)
		align := a.Tick.Label
		a.Tick.Label = textStyle(13, textColor)
		a.Tick.Label.XAlign, a.Tick.Label.YAlign = align.XAlign, align.YAlign
		a.LineStyle = draw.LineStyle{Color: axisColor, Width: px(1)}
		a.Tick.LineStyle = draw.LineStyle{Color: axisColor, Width: px(1)}
		a.Tick.Length = px(6)
		a.Padding = 0
	}
	return p
}

// newLegend returns an empty legend with the package's style, its
// thumbnails on the left, stacked from the top.
func newLegend() plot.Legend {
	l := plot.NewLegend()
	l.TextStyle = textStyle(14, textColor)
	l.Top, l.Left = true, true
	l.ThumbnailWidth = px(44)
	l.Padding = px(6)
	return l
}

// newGrid returns light horizontal and vertical grid lines at the major
// ticks.
func newGrid() *plotter.Grid {
	g := plotter.NewGrid()
	g.Horizontal = draw.LineStyle{Color: gridColor, Width: px(1)}
	g.Vertical = g.Horizontal
	return g
}

// majorTickTarget is about how many labelled ticks fit along an axis of n
// pixels without crowding.
func majorTickTarget(n int) int {
	return min(max(n/110, 4), 14)
}
