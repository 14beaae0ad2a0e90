package plots

import (
	"image/color"
	"math"
	"sort"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Ball is one labelled marker: data coordinates, a radius in points, a
// colour, the label drawn beside it and the tooltip of the SVG output.
type Ball struct {
	X, Y   float64
	R      vg.Length
	Label  string
	Tip    string
	Color  color.Color
	Filled bool
}

// Balls is a plotter of labelled circles whose labels are placed by
// PlaceLabels, so that no label overlaps another label or any circle.
type Balls struct {
	pts   []Ball
	style text.Style
	// Avoid is a polyline, in data coordinates, that labels keep clear of
	// (Figure 3's accuracy upper bound).
	Avoid plotter.XYs
}

// NewBalls returns a plotter of pts with labels of fontSize points.
func NewBalls(pts []Ball, fontSize vg.Length) *Balls {
	return &Balls{pts: pts, style: text.Style{
		Color:   color.Black,
		Font:    font.From(sansFont, fontSize),
		Handler: plot.DefaultTextHandler,
	}}
}

// DataRange returns the extent of the balls' centres.
func (b *Balls) DataRange() (xmin, xmax, ymin, ymax float64) {
	xmin, ymin = math.Inf(1), math.Inf(1)
	xmax, ymax = math.Inf(-1), math.Inf(-1)
	for _, p := range b.pts {
		xmin, xmax = math.Min(xmin, p.X), math.Max(xmax, p.X)
		ymin, ymax = math.Min(ymin, p.Y), math.Max(ymax, p.Y)
	}
	return
}

// GlyphBoxes makes the axes leave room for every ball and for a label beside it.
func (b *Balls) GlyphBoxes(p *plot.Plot) []plot.GlyphBox {
	bs := make([]plot.GlyphBox, len(b.pts))
	for i, pt := range b.pts {
		r := pt.R + 2
		bs[i] = plot.GlyphBox{X: p.X.Norm(pt.X), Y: p.Y.Norm(pt.Y),
			Rectangle: vg.Rectangle{Min: vg.Point{X: -r, Y: -r - b.style.Height(pt.Label)}, Max: vg.Point{X: r, Y: r + b.style.Height(pt.Label)}}}
	}
	return bs
}

// Rect is an axis-aligned box in points.
type Rect struct{ X0, Y0, X1, Y1 float64 }

// Overlaps reports whether the boxes share an area (touching edges do not).
func (a Rect) Overlaps(b Rect) bool {
	return math.Min(a.X1, b.X1) > math.Max(a.X0, b.X0) && math.Min(a.Y1, b.Y1) > math.Max(a.Y0, b.Y0)
}

func (a Rect) overlap(b Rect) float64 {
	w := math.Min(a.X1, b.X1) - math.Max(a.X0, b.X0)
	h := math.Min(a.Y1, b.Y1) - math.Max(a.Y0, b.Y0)
	if w <= 0 || h <= 0 {
		return 0
	}
	return w * h
}

func (a Rect) inside(b Rect) bool {
	return a.X0 >= b.X0 && a.Y0 >= b.Y0 && a.X1 <= b.X1 && a.Y1 <= b.Y1
}

func (a Rect) grow(d float64) Rect { return Rect{a.X0 - d, a.Y0 - d, a.X1 + d, a.Y1 + d} }

// HitsCircle reports whether the box and the circle share an area.
func (a Rect) HitsCircle(c Circle) bool {
	x, y := a.nearest(c.X, c.Y)
	return math.Hypot(x-c.X, y-c.Y) < c.R
}

// nearest returns the point of the box closest to (x, y).
func (a Rect) nearest(x, y float64) (float64, float64) {
	return math.Max(a.X0, math.Min(x, a.X1)), math.Max(a.Y0, math.Min(y, a.Y1))
}

// Circle is a marker: centre and radius in points.
type Circle struct{ X, Y, R float64 }

// Size is a label's width and height in points.
type Size struct{ W, H float64 }

// Placement is where PlaceLabels put a label.
type Placement struct {
	// Box is the label's box.
	Box Rect
	// Leader is true for a label moved away from its marker; a line joins them.
	Leader bool
	// Clash is true when no free position existed: the box then overlaps
	// as little as it can.
	Clash bool
}

// labelPad is the clearance, in points, between a label and anything else.
const labelPad = 1.0

// PlaceLabels chooses a box for each label near its marker, inside area,
// overlapping no other label, no marker (its own included) and nothing in
// avoid, with labelPad to spare. Labels are placed from the most crowded
// marker outwards. Each label first tries 16 positions just beside its
// marker (right, left, above and below preferred) that are not nearly as
// near another marker, where the label could seem to name that one.
// Failing those it takes, among positions on rings ever further away (and,
// when none is free, every free spot of the area), the one nearest its
// marker, counting extra for a spot nearly as near another marker and for
// a leader line that crosses a marker, a label or an earlier leader line;
// such a label is marked for a leader line. Only when the area has no free
// spot left does a label overlap, as little as it can, and it is marked
// Clash.
func PlaceLabels(ms []Circle, sizes []Size, area Rect, avoid []Rect) []Placement {
	out := make([]Placement, len(ms))
	order := make([]int, len(ms))
	crowd := make([]int, len(ms))
	for i := range ms {
		order[i] = i
		for j := range ms {
			if i != j && math.Hypot(ms[i].X-ms[j].X, ms[i].Y-ms[j].Y) < ms[i].R+ms[j].R+40 {
				crowd[i]++
			}
		}
	}
	sort.SliceStable(order, func(a, b int) bool { return crowd[order[a]] > crowd[order[b]] })
	var boxes []Rect
	var leaders [][4]float64 // placed leader lines: marker centre to box
	free := func(r Rect) bool {
		if !r.inside(area) {
			return false
		}
		g := r.grow(labelPad)
		for _, b := range boxes {
			if g.Overlaps(b) {
				return false
			}
		}
		for _, m := range ms {
			if g.HitsCircle(m) {
				return false
			}
		}
		for _, a := range avoid {
			if g.Overlaps(a) {
				return false
			}
		}
		return true
	}
	// crossings counts what a leader from marker i to box r passes over.
	crossings := func(i int, r Rect) float64 {
		m := ms[i]
		nx, ny := r.nearest(m.X, m.Y)
		d := math.Hypot(nx-m.X, ny-m.Y)
		cost := 0.0
		for j, o := range ms {
			if j != i && segmentHitsCircle(m.X, m.Y, nx, ny, o) {
				cost += 80
			}
		}
		for _, b := range boxes {
			if segmentHitsRect(m.X, m.Y, nx, ny, b, d) {
				cost += 100
			}
		}
		for _, l := range leaders {
			if segmentsCross(m.X, m.Y, nx, ny, l[0], l[1], l[2], l[3]) {
				cost += 60
			}
		}
		return cost
	}
	for _, i := range order {
		m, s := ms[i], sizes[i]
		// Beside the marker, in order of preference.
		placed := false
		for _, a := range besideAngles {
			r := boxAt(m, s, a, 1.5+labelPad)
			if free(r) && !nearerOther(ms, i, r) {
				out[i], placed = Placement{Box: r}, true
				break
			}
		}
		// Further away on rings, then anywhere in the area.
		if !placed {
			best, bestCost := Rect{}, math.Inf(1)
			try := func(r Rect) {
				if !free(r) {
					return
				}
				nx, ny := r.nearest(m.X, m.Y)
				cost := math.Hypot(nx-m.X, ny-m.Y) + crossings(i, r)
				if nearerOther(ms, i, r) {
					cost += 50
				}
				if cost < bestCost {
					best, bestCost = r, cost
				}
			}
			for _, g := range ringGaps {
				for k := range 24 {
					try(boxAt(m, s, float64(k)*math.Pi/12, g))
				}
			}
			if math.IsInf(bestCost, 1) {
				for y := area.Y0; y+s.H <= area.Y1; y += 3 {
					for x := area.X0; x+s.W <= area.X1; x += 3 {
						try(Rect{x, y, x + s.W, y + s.H})
					}
				}
			}
			if !math.IsInf(bestCost, 1) {
				out[i], placed = Placement{Box: best, Leader: true}, true
				nx, ny := best.nearest(m.X, m.Y)
				leaders = append(leaders, [4]float64{m.X, m.Y, nx, ny})
			}
		}
		if !placed {
			out[i] = leastOverlap(m, s, area, boxes)
		}
		boxes = append(boxes, out[i].Box)
	}
	return out
}

// nearerOther reports whether box r is nearly as near another marker's
// edge as marker i's (within 6 points): a label there could seem to name
// the other one.
func nearerOther(ms []Circle, i int, r Rect) bool {
	edge := func(c Circle) float64 {
		x, y := r.nearest(c.X, c.Y)
		return math.Hypot(x-c.X, y-c.Y) - c.R
	}
	own := edge(ms[i])
	for j, o := range ms {
		if j != i && edge(o) < own+6 {
			return true
		}
	}
	return false
}

// polylineBoxes covers a polyline, given in data coordinates, with 1-point
// squares every point of its length, for PlaceLabels to avoid.
func polylineBoxes(xys plotter.XYs, trX, trY func(float64) vg.Length) []Rect {
	var out []Rect
	for k := 1; k < len(xys); k++ {
		x0, y0 := float64(trX(xys[k-1].X)), float64(trY(xys[k-1].Y))
		x1, y1 := float64(trX(xys[k].X)), float64(trY(xys[k].Y))
		n := int(math.Ceil(math.Hypot(x1-x0, y1-y0))) + 1
		for j := 0; j <= n; j++ {
			t := float64(j) / float64(n)
			x, y := x0+t*(x1-x0), y0+t*(y1-y0)
			out = append(out, Rect{x - 0.5, y - 0.5, x + 0.5, y + 0.5})
		}
	}
	return out
}

// besideAngles are the directions tried just beside a marker: right,
// left, above, below, the diagonals, then the directions between.
var besideAngles = []float64{0, math.Pi, math.Pi / 2, -math.Pi / 2,
	math.Pi / 4, 3 * math.Pi / 4, -math.Pi / 4, -3 * math.Pi / 4,
	math.Pi / 8, 7 * math.Pi / 8, -math.Pi / 8, -7 * math.Pi / 8,
	3 * math.Pi / 8, 5 * math.Pi / 8, -3 * math.Pi / 8, -5 * math.Pi / 8}

// ringGaps are the distances, in points from a marker's edge, of the rings
// of displaced positions.
var ringGaps = []float64{6, 10, 15, 21, 28, 36, 45, 55, 66, 78, 91, 105, 120, 140, 165, 195, 230, 270}

// boxAt returns the label box in direction angle from the marker, gap
// points from its edge, with the box's side (or corner) facing the marker
// on that point.
func boxAt(m Circle, s Size, angle, gap float64) Rect {
	dx, dy := math.Cos(angle), math.Sin(angle)
	ax, ay := m.X+(m.R+gap)*dx, m.Y+(m.R+gap)*dy
	sx := math.Max(-1, math.Min(1, dx*math.Sqrt2))
	sy := math.Max(-1, math.Min(1, dy*math.Sqrt2))
	x0 := ax - s.W*(1-sx)/2
	y0 := ay - s.H*(1-sy)/2
	return Rect{x0, y0, x0 + s.W, y0 + s.H}
}

// leastOverlap is the last resort of a full area: the ring position that
// overlaps the placed labels least.
func leastOverlap(m Circle, s Size, area Rect, boxes []Rect) Placement {
	best, bestCost := Rect{}, math.Inf(1)
	for _, g := range ringGaps {
		for k := range 24 {
			r := boxAt(m, s, float64(k)*math.Pi/12, g)
			cost := 0.0
			for _, b := range boxes {
				cost += b.overlap(r)
			}
			if !r.inside(area) {
				cost += 1e9
			}
			if cost < bestCost {
				best, bestCost = r, cost
			}
		}
	}
	return Placement{Box: best, Leader: true, Clash: true}
}

// segmentHitsCircle reports whether the segment (x0,y0)–(x1,y1) passes
// within the circle.
func segmentHitsCircle(x0, y0, x1, y1 float64, c Circle) bool {
	dx, dy := x1-x0, y1-y0
	l2 := dx*dx + dy*dy
	t := 0.0
	if l2 > 0 {
		t = math.Max(0, math.Min(1, ((c.X-x0)*dx+(c.Y-y0)*dy)/l2))
	}
	return math.Hypot(x0+t*dx-c.X, y0+t*dy-c.Y) < c.R
}

// segmentsCross reports whether the segments p1–p2 and p3–p4 cross.
func segmentsCross(x1, y1, x2, y2, x3, y3, x4, y4 float64) bool {
	side := func(ax, ay, bx, by, cx, cy float64) float64 {
		return (bx-ax)*(cy-ay) - (by-ay)*(cx-ax)
	}
	d1, d2 := side(x3, y3, x4, y4, x1, y1), side(x3, y3, x4, y4, x2, y2)
	d3, d4 := side(x1, y1, x2, y2, x3, y3), side(x1, y1, x2, y2, x4, y4)
	return d1*d2 < 0 && d3*d4 < 0
}

// segmentHitsRect reports whether the segment of length d crosses the box,
// sampling it every point.
func segmentHitsRect(x0, y0, x1, y1 float64, r Rect, d float64) bool {
	n := int(math.Ceil(d)) + 1
	for k := 0; k <= n; k++ {
		t := float64(k) / float64(n)
		x, y := x0+t*(x1-x0), y0+t*(y1-y0)
		if x > r.X0 && x < r.X1 && y > r.Y0 && y < r.Y1 {
			return true
		}
	}
	return false
}

// Plot draws the balls, big ones first so small ones stay visible, each
// with its tooltip, then the labels where PlaceLabels puts them, with
// leader lines to displaced ones.
func (b *Balls) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	cs := make([]Circle, len(b.pts))
	sizes := make([]Size, len(b.pts))
	for i, pt := range b.pts {
		cs[i] = Circle{float64(trX(pt.X)), float64(trY(pt.Y)), float64(pt.R)}
		sizes[i] = Size{float64(b.style.Width(pt.Label)), float64(b.style.Height(pt.Label))}
	}
	order := make([]int, len(b.pts))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(x, y int) bool { return b.pts[order[x]].R > b.pts[order[y]].R })
	for _, i := range order {
		pt := b.pts[i]
		WithTooltip(c, pt.Tip, func(c draw.Canvas) {
			center := vg.Point{X: vg.Length(cs[i].X), Y: vg.Length(cs[i].Y)}
			var path vg.Path
			path.Move(vg.Point{X: center.X + pt.R, Y: center.Y})
			path.Arc(center, pt.R, 0, 2*math.Pi)
			path.Close()
			if pt.Filled {
				r, g, bl, _ := pt.Color.RGBA()
				c.SetColor(color.NRGBA{uint8(r >> 8), uint8(g >> 8), uint8(bl >> 8), 150})
				c.Fill(path)
			}
			c.SetColor(pt.Color)
			c.SetLineWidth(vg.Length(0.8))
			if !pt.Filled {
				c.SetLineWidth(vg.Length(1.4)) // a hollow ball must still stand out
			}
			c.SetLineDash(nil, 0)
			c.Stroke(path)
		})
	}
	area := Rect{float64(c.Min.X), float64(c.Min.Y), float64(c.Max.X), float64(c.Max.Y)}
	places := PlaceLabels(cs, sizes, area, polylineBoxes(b.Avoid, trX, trY))
	sty := b.style
	sty.XAlign, sty.YAlign = draw.XLeft, draw.YBottom
	rec, _ := baseCanvas(c).(*recorder)
	for i, pl := range places {
		if pl.Leader {
			nx, ny := pl.Box.nearest(cs[i].X, cs[i].Y)
			ang := math.Atan2(ny-cs[i].Y, nx-cs[i].X)
			from := vg.Point{X: vg.Length(cs[i].X + cs[i].R*math.Cos(ang)), Y: vg.Length(cs[i].Y + cs[i].R*math.Sin(ang))}
			c.StrokeLine2(draw.LineStyle{Color: color.Gray{Y: 110}, Width: 0.5}, from.X, from.Y, vg.Length(nx), vg.Length(ny))
		}
		c.FillText(sty, vg.Point{X: vg.Length(pl.Box.X0), Y: vg.Length(pl.Box.Y0)}, b.pts[i].Label)
		if rec != nil {
			rec.marks = append(rec.marks, Mark{Label: b.pts[i].Label, Marker: cs[i], Box: pl.Box, Leader: pl.Leader, Clash: pl.Clash})
		}
	}
}
