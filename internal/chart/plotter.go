package chart

import (
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// linePlotter draws a line, a filled area, or both, through points whose y
// may be NaN (or infinite): such a point is a gap that no line crosses.
//
// Unlike plotter.Line it accepts gaps, and it thins long series to at most
// four points per column of the canvas (the first, lowest, highest and last
// in the column), which draws the same picture from far fewer points.
type linePlotter struct {
	xs, ys []float64
	n      int // finite points

	// step draws each value as holding until the next point's x.
	step bool
	// sorted is set when xs never decrease, which thinning needs.
	sorted bool

	line draw.LineStyle // Width 0: no line
	fill color.Color    // nil: no area
}

// newTimePlotter checks s and returns a plotter for it, with no style.
func newTimePlotter(s Series, step bool) (*linePlotter, error) {
	if len(s.Times) != len(s.Values) {
		return nil, fmt.Errorf("chart: series %q has %d times but %d values", s.Name, len(s.Times), len(s.Values))
	}
	l := &linePlotter{
		xs:     make([]float64, len(s.Times)),
		ys:     s.Values,
		step:   step,
		sorted: true,
	}
	for i, t := range s.Times {
		l.xs[i] = timeToUnix(t)
		if i > 0 && t.Before(s.Times[i-1]) {
			return nil, fmt.Errorf("chart: series %q: times go backwards at index %d (%s before %s)",
				s.Name, i, t.UTC().Format("2006-01-02T15:04:05Z"), s.Times[i-1].UTC().Format("2006-01-02T15:04:05Z"))
		}
	}
	l.count()
	return l, nil
}

// newXYPlotter returns a plotter for points joined in the order given.
func newXYPlotter(pts []Point) *linePlotter {
	l := &linePlotter{
		xs: make([]float64, len(pts)),
		ys: make([]float64, len(pts)),
	}
	for i, p := range pts {
		l.xs[i] = p.X
		l.ys[i] = p.Y
		if !finite(p.X) {
			l.ys[i] = math.NaN() // a gap, as for a missing y
		}
	}
	l.count()
	return l
}

func (l *linePlotter) count() {
	l.n = 0
	for _, y := range l.ys {
		if finite(y) {
			l.n++
		}
	}
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// DataRange implements plot.DataRanger, over the finite points.
func (l *linePlotter) DataRange() (xmin, xmax, ymin, ymax float64) {
	xmin, ymin = math.Inf(1), math.Inf(1)
	xmax, ymax = math.Inf(-1), math.Inf(-1)
	for i, y := range l.ys {
		if !finite(y) {
			continue
		}
		x := l.xs[i]
		xmin, xmax = min(xmin, x), max(xmax, x)
		ymin, ymax = min(ymin, y), max(ymax, y)
	}
	return xmin, xmax, ymin, ymax
}

// runs calls f with each maximal run [i, j) of finite points, and the index
// at which the gap after the run starts (len if none).
func (l *linePlotter) runs(f func(i, j int)) {
	for i := 0; i < len(l.ys); {
		if !finite(l.ys[i]) {
			i++
			continue
		}
		j := i + 1
		for j < len(l.ys) && finite(l.ys[j]) {
			j++
		}
		f(i, j)
		i = j
	}
}

// Plot implements plot.Plotter.
func (l *linePlotter) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	base := trY(max(p.Y.Min, min(0, p.Y.Max)))
	col := px(0.5) // thinning resolution: half a pixel
	var pts []vg.Point
	l.runs(func(i, j int) {
		pts = pts[:0]
		for k := i; k < j; k++ {
			pt := vg.Point{X: trX(l.xs[k]), Y: trY(l.ys[k])}
			if l.step && k > i {
				pts = append(pts, vg.Point{X: pt.X, Y: pts[len(pts)-1].Y})
			}
			pts = append(pts, pt)
		}
		if l.step && j < len(l.xs) && finite(l.xs[j]) {
			// The last value holds until the time of the gap.
			pts = append(pts, vg.Point{X: trX(l.xs[j]), Y: pts[len(pts)-1].Y})
		}
		if l.sorted {
			pts = thin(pts, col)
		}
		if l.fill != nil && len(pts) > 1 {
			poly := make([]vg.Point, 0, len(pts)+2)
			poly = append(poly, vg.Point{X: pts[0].X, Y: base})
			poly = append(poly, pts...)
			poly = append(poly, vg.Point{X: pts[len(pts)-1].X, Y: base})
			if poly = c.ClipPolygonXY(poly); len(poly) > 2 {
				c.FillPolygon(l.fill, poly)
			}
		}
		if l.line.Width > 0 {
			if len(pts) == 1 {
				// A lone point between gaps: a dot, so it is not lost.
				if c.Contains(pts[0]) {
					c.DrawGlyph(draw.GlyphStyle{Color: l.line.Color, Radius: l.line.Width * 1.5, Shape: draw.CircleGlyph{}}, pts[0])
				}
				return
			}
			for _, seg := range c.ClipLinesXY(pts) {
				if len(seg) > 1 {
					c.StrokeLines(l.line, seg)
				}
			}
		}
	})
}

// thin keeps, of each run of points whose x falls in the same column of
// width col, only the first, lowest, highest and last, in their order.
// Drawn as a line of at least a column's width, the result covers the same
// pixels as the whole. pts must be sorted by x; it is thinned in place.
func thin(pts []vg.Point, col vg.Length) []vg.Point {
	if len(pts) < 8 || col <= 0 {
		return pts
	}
	out := pts[:0]
	for i := 0; i < len(pts); {
		bucket := math.Floor(float64(pts[i].X / col))
		j, lo, hi := i+1, i, i
		for j < len(pts) && math.Floor(float64(pts[j].X/col)) == bucket {
			if pts[j].Y < pts[lo].Y {
				lo = j
			}
			if pts[j].Y > pts[hi].Y {
				hi = j
			}
			j++
		}
		last := j - 1
		keep := [4]int{i, lo, hi, last}
		if lo > hi {
			keep[1], keep[2] = hi, lo
		}
		// The indices are in order, so duplicates are adjacent; read them
		// all before writing, as out may overwrite this bucket.
		var kept [4]vg.Point
		nk := 0
		for n, k := range keep {
			if n == 0 || k != keep[n-1] {
				kept[nk] = pts[k]
				nk++
			}
		}
		out = append(out, kept[:nk]...)
		i = j
	}
	return out
}

// Thumbnail implements plot.Thumbnailer: a filled box for an area, a
// line sample for a line.
func (l *linePlotter) Thumbnail(c *draw.Canvas) {
	if l.fill != nil {
		h := c.Max.Y - c.Min.Y
		r := vg.Rectangle{
			Min: vg.Point{X: c.Min.X, Y: c.Min.Y + h*0.1},
			Max: vg.Point{X: c.Max.X, Y: c.Max.Y - h*0.1},
		}
		c.FillPolygon(l.fill, []vg.Point{r.Min, {X: r.Max.X, Y: r.Min.Y}, r.Max, {X: r.Min.X, Y: r.Max.Y}})
	}
	if l.line.Width > 0 {
		sty := l.line
		sty.Width = max(sty.Width, px(2)) // a little bolder, to show colour and dashes
		y := c.Center().Y
		c.StrokeLine2(sty, c.Min.X, y, c.Max.X, y)
	}
}
