package plots

import (
	"image/color"
	"math"
	"sort"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// ball is one labelled point: data coordinates, a radius in points and a colour.
type ball struct {
	X, Y   float64
	R      vg.Length
	Label  string
	Color  color.Color
	Filled bool
}

// balls is a plotter of labelled circles whose labels are placed so that
// they neither overlap one another nor cover a ball.
type balls struct {
	pts   []ball
	style text.Style
	// logX marks a logarithmic x axis (for the data range).
	logX bool
}

func newBalls(pts []ball, fontSize vg.Length) *balls {
	return &balls{pts: pts, style: text.Style{
		Color:   color.Black,
		Font:    font.From(sansFont, fontSize),
		Handler: plot.DefaultTextHandler,
	}}
}

func (b *balls) DataRange() (xmin, xmax, ymin, ymax float64) {
	xmin, ymin = math.Inf(1), math.Inf(1)
	xmax, ymax = math.Inf(-1), math.Inf(-1)
	for _, p := range b.pts {
		xmin, xmax = math.Min(xmin, p.X), math.Max(xmax, p.X)
		ymin, ymax = math.Min(ymin, p.Y), math.Max(ymax, p.Y)
	}
	return
}

// GlyphBoxes makes the axes leave room for every ball and for a label beside it.
func (b *balls) GlyphBoxes(p *plot.Plot) []plot.GlyphBox {
	bs := make([]plot.GlyphBox, len(b.pts))
	for i, pt := range b.pts {
		r := pt.R + 2
		bs[i] = plot.GlyphBox{X: p.X.Norm(pt.X), Y: p.Y.Norm(pt.Y),
			Rectangle: vg.Rectangle{Min: vg.Point{X: -r, Y: -r - b.style.Height(pt.Label)}, Max: vg.Point{X: r, Y: r + b.style.Height(pt.Label)}}}
	}
	return bs
}

type rect struct{ x0, y0, x1, y1 float64 }

func (a rect) overlap(b rect) float64 {
	w := math.Min(a.x1, b.x1) - math.Max(a.x0, b.x0)
	h := math.Min(a.y1, b.y1) - math.Max(a.y0, b.y0)
	if w <= 0 || h <= 0 {
		return 0
	}
	return w * h
}

func (a rect) inside(b rect) bool {
	return a.x0 >= b.x0 && a.y0 >= b.y0 && a.x1 <= b.x1 && a.y1 <= b.y1
}

// hitsCircle reports whether the rectangle meets the circle.
func (a rect) hitsCircle(cx, cy, r float64) bool {
	nx := math.Max(a.x0, math.Min(cx, a.x1))
	ny := math.Max(a.y0, math.Min(cy, a.y1))
	return math.Hypot(nx-cx, ny-cy) < r
}

// nearest returns the point of the rectangle closest to (x, y).
func (a rect) nearest(x, y float64) (float64, float64) {
	return math.Max(a.x0, math.Min(x, a.x1)), math.Max(a.y0, math.Min(y, a.y1))
}

// placed is a label position chosen by placeLabels.
type placed struct {
	box    rect
	leader bool
}

type circle struct{ x, y, r float64 }

// placeLabels chooses a box for each label (w×h) near its circle. Among
// positions around the circle at growing distances that stay inside area and
// overlap no earlier label, it takes the one nearest the circle, counting
// each circle the label would cover as 30 pt further; when every position
// overlaps a label, the least overlapping. Labels are placed from the most
// crowded point outwards.
func placeLabels(cs []circle, ws, hs []float64, area rect) []placed {
	out := make([]placed, len(cs))
	order := make([]int, len(cs))
	for i := range order {
		order[i] = i
	}
	crowd := make([]int, len(cs))
	for i := range cs {
		for j := range cs {
			if i != j && math.Hypot(cs[i].x-cs[j].x, cs[i].y-cs[j].y) < cs[i].r+cs[j].r+40 {
				crowd[i]++
			}
		}
	}
	sort.SliceStable(order, func(a, b int) bool { return crowd[order[a]] > crowd[order[b]] })
	var boxes []rect
	gaps := []float64{2, 5, 10, 16, 24, 34, 46, 60, 80, 100, 125, 150, 180, 220}
	dirs := [][2]float64{{1, 0}, {-1, 0}, {0, 1}, {0, -1}, {1, 1}, {-1, 1}, {1, -1}, {-1, -1}, {1, 0.5}, {-1, 0.5}, {1, -0.5}, {-1, -0.5},
		{0.5, 1}, {-0.5, 1}, {0.5, -1}, {-0.5, -1}}
	for _, i := range order {
		c, w, h := cs[i], ws[i], hs[i]
		type cand struct {
			r      rect
			gap    float64
			leader bool
		}
		var cands []cand
		for gi, g := range gaps {
			for _, d := range dirs {
				n := math.Hypot(d[0], d[1])
				ax, ay := c.x+(c.r+g)*d[0]/n, c.y+(c.r+g)*d[1]/n
				// Anchor the box on the side facing the circle.
				x0 := ax - w/2 + d[0]/n*w/2
				y0 := ay - h/2 + d[1]/n*h/2
				if d[0] == 0 {
					x0 = ax - w/2
				}
				cands = append(cands, cand{rect{x0, y0, x0 + w, y0 + h}, g, gi >= 3})
			}
		}
		// Cost: distance from the ball, plus 30 pt for each ball the label
		// covers; a label may never overlap another label when it can help it.
		best, bestCost := -1, math.Inf(1)
		for k, cd := range cands {
			if !cd.r.inside(area) {
				continue
			}
			clash := false
			for _, b := range boxes {
				if b.overlap(cd.r) > 0 {
					clash = true
					break
				}
			}
			if clash {
				continue
			}
			cost := cd.gap
			for _, o := range cs {
				if cd.r.hitsCircle(o.x, o.y, o.r) {
					cost += 30
				}
			}
			if cost < bestCost {
				best, bestCost = k, cost
			}
		}
		if best < 0 {
			for k, cd := range cands {
				cost := 0.0
				for _, b := range boxes {
					cost += b.overlap(cd.r)
				}
				if !cd.r.inside(area) {
					cost += 1e9
				}
				if cost < bestCost {
					best, bestCost = k, cost
				}
			}
		}
		out[i] = placed{box: cands[best].r, leader: cands[best].leader}
		boxes = append(boxes, cands[best].r)
	}
	return out
}

func (b *balls) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	cs := make([]circle, len(b.pts))
	ws := make([]float64, len(b.pts))
	hs := make([]float64, len(b.pts))
	for i, pt := range b.pts {
		cs[i] = circle{float64(trX(pt.X)), float64(trY(pt.Y)), float64(pt.R)}
		ws[i] = float64(b.style.Width(pt.Label))
		hs[i] = float64(b.style.Height(pt.Label))
	}
	// Big balls first, so small ones stay visible on top.
	order := make([]int, len(b.pts))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(x, y int) bool { return b.pts[order[x]].R > b.pts[order[y]].R })
	for _, i := range order {
		pt := b.pts[i]
		center := vg.Point{X: vg.Length(cs[i].x), Y: vg.Length(cs[i].y)}
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
	}
	area := rect{float64(c.Min.X), float64(c.Min.Y), float64(c.Max.X), float64(c.Max.Y)}
	places := placeLabels(cs, ws, hs, area)
	sty := b.style
	sty.XAlign, sty.YAlign = draw.XLeft, draw.YBottom
	for i, pl := range places {
		if pl.leader {
			nx, ny := pl.box.nearest(cs[i].x, cs[i].y)
			ang := math.Atan2(ny-cs[i].y, nx-cs[i].x)
			from := vg.Point{X: vg.Length(cs[i].x + cs[i].r*math.Cos(ang)), Y: vg.Length(cs[i].y + cs[i].r*math.Sin(ang))}
			c.StrokeLine2(draw.LineStyle{Color: color.Gray{Y: 110}, Width: 0.5}, from.X, from.Y, vg.Length(nx), vg.Length(ny))
		}
		c.FillText(sty, vg.Point{X: vg.Length(pl.box.x0), Y: vg.Length(pl.box.y0)}, b.pts[i].Label)
	}
}
