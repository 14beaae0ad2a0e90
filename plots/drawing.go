package plots

import (
	"image"
	"image/color"
	"math"

	xfont "golang.org/x/image/font"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/vg"
)

// Drawing is a figure as plain vector operations, so another document
// (the report's PDF) can draw it without importing gonum/plot. Coordinates
// are in points with the origin at the bottom left and y pointing up.
type Drawing struct {
	Width, Height float64
	Ops           []Op
}

// OpKind says what an Op draws.
type OpKind int

// The kinds of drawing operations.
const (
	OpStroke OpKind = iota
	OpFill
	OpText
)

// SegKind is the kind of a path segment.
type SegKind int

// The kinds of path segments. A Curve's Pts are two control points and the end point.
const (
	SegMove SegKind = iota
	SegLine
	SegCurve
	SegClose
)

// Point is a position in points.
type Point struct{ X, Y float64 }

// Seg is one path segment in absolute coordinates.
type Seg struct {
	Kind SegKind
	Pts  [3]Point
}

// Op is one stroke, fill or text.
type Op struct {
	Kind OpKind
	// R, G, B are 0–255; A is opacity in [0, 1].
	R, G, B uint8
	A       float64
	// Path is set for strokes and fills.
	Path []Seg
	// LineWidth, Dashes and DashOffset are in points, for strokes.
	LineWidth  float64
	Dashes     []float64
	DashOffset float64
	// Text, At (the baseline start), Angle (radians, counter-clockwise),
	// Size (points) and the font's Family ("Sans", "Serif" or "Mono"),
	// Bold and Italic are set for text.
	Text         string
	At           Point
	Angle        float64
	Size         float64
	Family       string
	Bold, Italic bool
}

// affine is the matrix [a c e; b d f; 0 0 1].
type affine struct{ a, b, c, d, e, f float64 }

func (m affine) apply(p vg.Point) Point {
	x, y := float64(p.X), float64(p.Y)
	return Point{m.a*x + m.c*y + m.e, m.b*x + m.d*y + m.f}
}

func (m affine) mul(n affine) affine {
	return affine{
		a: m.a*n.a + m.c*n.b, b: m.b*n.a + m.d*n.b,
		c: m.a*n.c + m.c*n.d, d: m.b*n.c + m.d*n.d,
		e: m.a*n.e + m.c*n.f + m.e, f: m.b*n.e + m.d*n.f + m.f,
	}
}

type canvasState struct {
	m          affine
	col        color.Color
	width      float64
	dashes     []float64
	dashOffset float64
}

// recorder is a vg.Canvas that flattens gonum/plot's drawing into a Drawing.
type recorder struct {
	w, h  vg.Length
	stack []canvasState
	ops   []Op
	// marks are the labelled markers Balls drew on this canvas.
	marks []Mark
}

func newRecorder(w, h vg.Length) *recorder {
	r := &recorder{w: w, h: h, stack: []canvasState{{m: affine{a: 1, d: 1}, col: color.Black, width: 1}}}
	vg.Initialize(r)
	return r
}

func (r *recorder) top() *canvasState { return &r.stack[len(r.stack)-1] }

func (r *recorder) drawing() Drawing {
	return Drawing{Width: float64(r.w), Height: float64(r.h), Ops: r.ops}
}

func (r *recorder) SetLineWidth(w vg.Length) { r.top().width = float64(w) }

func (r *recorder) SetLineDash(pattern []vg.Length, offset vg.Length) {
	d := make([]float64, len(pattern))
	for i, p := range pattern {
		d[i] = float64(p)
	}
	r.top().dashes, r.top().dashOffset = d, float64(offset)
}

func (r *recorder) SetColor(c color.Color) {
	if c == nil {
		c = color.Black
	}
	r.top().col = c
}

func (r *recorder) Rotate(rad float64) {
	s, c := math.Sin(rad), math.Cos(rad)
	r.top().m = r.top().m.mul(affine{a: c, b: s, c: -s, d: c})
}

func (r *recorder) Translate(pt vg.Point) {
	r.top().m = r.top().m.mul(affine{a: 1, d: 1, e: float64(pt.X), f: float64(pt.Y)})
}

func (r *recorder) Scale(x, y float64) { r.top().m = r.top().m.mul(affine{a: x, d: y}) }

func (r *recorder) Push() {
	s := *r.top()
	s.dashes = append([]float64(nil), s.dashes...)
	r.stack = append(r.stack, s)
}

func (r *recorder) Pop() {
	if len(r.stack) > 1 {
		r.stack = r.stack[:len(r.stack)-1]
	}
}

func (r *recorder) op(kind OpKind) Op {
	s := r.top()
	cr, cg, cb, ca := s.col.RGBA()
	o := Op{Kind: kind, A: float64(ca) / 0xffff}
	if ca > 0 {
		// Un-premultiply.
		o.R, o.G, o.B = uint8(cr*0xff/ca), uint8(cg*0xff/ca), uint8(cb*0xff/ca)
	}
	return o
}

// path flattens a vg.Path; arcs become cubic Bézier curves.
func (r *recorder) path(p vg.Path) []Seg {
	m := r.top().m
	var segs []Seg
	var cur vg.Point
	for _, c := range p {
		switch c.Type {
		case vg.MoveComp:
			segs = append(segs, Seg{Kind: SegMove, Pts: [3]Point{m.apply(c.Pos)}})
			cur = c.Pos
		case vg.LineComp:
			segs = append(segs, Seg{Kind: SegLine, Pts: [3]Point{m.apply(c.Pos)}})
			cur = c.Pos
		case vg.CurveComp:
			switch len(c.Control) {
			case 1: // Quadratic: raise to cubic.
				q := c.Control[0]
				c1 := vg.Point{X: cur.X + 2*(q.X-cur.X)/3, Y: cur.Y + 2*(q.Y-cur.Y)/3}
				c2 := vg.Point{X: c.Pos.X + 2*(q.X-c.Pos.X)/3, Y: c.Pos.Y + 2*(q.Y-c.Pos.Y)/3}
				segs = append(segs, Seg{Kind: SegCurve, Pts: [3]Point{m.apply(c1), m.apply(c2), m.apply(c.Pos)}})
			case 2:
				segs = append(segs, Seg{Kind: SegCurve, Pts: [3]Point{m.apply(c.Control[0]), m.apply(c.Control[1]), m.apply(c.Pos)}})
			default:
				segs = append(segs, Seg{Kind: SegLine, Pts: [3]Point{m.apply(c.Pos)}})
			}
			cur = c.Pos
		case vg.ArcComp:
			segs, cur = r.arc(segs, m, c)
		case vg.CloseComp:
			segs = append(segs, Seg{Kind: SegClose})
		}
	}
	return segs
}

func (r *recorder) arc(segs []Seg, m affine, c vg.PathComp) ([]Seg, vg.Point) {
	rad := float64(c.Radius)
	at := func(t float64) vg.Point {
		return vg.Point{X: c.Pos.X + vg.Length(rad*math.Cos(t)), Y: c.Pos.Y + vg.Length(rad*math.Sin(t))}
	}
	start := at(c.Start)
	// vg draws a line to the arc's start (or moves there on an empty path).
	kind := SegLine
	if len(segs) == 0 {
		kind = SegMove
	}
	segs = append(segs, Seg{Kind: kind, Pts: [3]Point{m.apply(start)}})
	n := int(math.Ceil(math.Abs(c.Angle) / (math.Pi / 2)))
	if n < 1 {
		n = 1
	}
	step := c.Angle / float64(n)
	k := 4.0 / 3 * math.Tan(step/4)
	t := c.Start
	for i := 0; i < n; i++ {
		t1 := t + step
		p0, p3 := at(t), at(t1)
		c1 := vg.Point{X: p0.X - vg.Length(k*rad*math.Sin(t)), Y: p0.Y + vg.Length(k*rad*math.Cos(t))}
		c2 := vg.Point{X: p3.X + vg.Length(k*rad*math.Sin(t1)), Y: p3.Y - vg.Length(k*rad*math.Cos(t1))}
		segs = append(segs, Seg{Kind: SegCurve, Pts: [3]Point{m.apply(c1), m.apply(c2), m.apply(p3)}})
		t = t1
	}
	return segs, at(c.Start + c.Angle)
}

func (r *recorder) Stroke(p vg.Path) {
	s := r.top()
	if s.width <= 0 {
		return
	}
	o := r.op(OpStroke)
	o.Path = r.path(p)
	// Line widths scale with the transform's (uniform) scale factor.
	scale := math.Sqrt(math.Abs(s.m.a*s.m.d - s.m.b*s.m.c))
	o.LineWidth = s.width * scale
	for _, d := range s.dashes {
		o.Dashes = append(o.Dashes, d*scale)
	}
	o.DashOffset = s.dashOffset * scale
	r.ops = append(r.ops, o)
}

func (r *recorder) Fill(p vg.Path) {
	o := r.op(OpFill)
	o.Path = r.path(p)
	r.ops = append(r.ops, o)
}

func (r *recorder) FillString(f font.Face, pt vg.Point, text string) {
	if f.Font.Size == 0 || text == "" {
		return
	}
	s := r.top()
	o := r.op(OpText)
	o.Text = text
	o.At = s.m.apply(pt)
	o.Angle = math.Atan2(s.m.b, s.m.a)
	o.Size = float64(f.Font.Size) * math.Hypot(s.m.a, s.m.b)
	o.Family = string(f.Font.Variant)
	if o.Family == "" {
		o.Family = "Serif"
	}
	o.Bold = f.Font.Weight >= xfont.WeightSemiBold
	o.Italic = f.Font.Style != xfont.StyleNormal
	r.ops = append(r.ops, o)
}

// DrawImage is not used by these figures; images are dropped from the Drawing.
func (r *recorder) DrawImage(vg.Rectangle, image.Image) {}

// Size returns the canvas size.
func (r *recorder) Size() (w, h vg.Length) { return r.w, r.h }
