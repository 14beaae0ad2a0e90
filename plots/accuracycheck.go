package plots

import (
	"fmt"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/dnnbench/dnnbench/stages/analyse"
)

// checkMarks draws, for each model whose measured top-1 has a published
// counterpart, the measured value's 95% interval as a vertical bar and the
// published value as a hollow diamond, at the model's GFLOPs.
type checkMarks struct {
	x, lo, hi, pub []float64
	tips           []string
}

// newCheckMarks collects the centre-crop checks of the models drawn at
// GFLOPs x (keyed by model); nil when there are none.
func newCheckMarks(res *analyse.Result, gflops map[string]float64) *checkMarks {
	m := &checkMarks{}
	for _, c := range res.AccuracyChecks {
		x, ok := gflops[c.Model]
		if !ok || c.Crop != "center" {
			continue
		}
		verdict := "not reproduced"
		if c.Reproduced {
			verdict = "reproduced"
		}
		m.x, m.lo, m.hi, m.pub = append(m.x, x), append(m.lo, c.Top1Low), append(m.hi, c.Top1High), append(m.pub, c.PublishedTop1)
		m.tips = append(m.tips, fmt.Sprintf("%s: measured top-1 %s %% [%s, %s], published %s %% (%s): %s",
			c.Model, gfmt(c.Top1), gfmt(c.Top1Low), gfmt(c.Top1High), gfmt(c.PublishedTop1), c.PublishedSource, verdict))
	}
	if len(m.x) == 0 {
		return nil
	}
	return m
}

var diamond = draw.GlyphStyle{Color: plotter.DefaultLineStyle.Color, Radius: vg.Points(4), Shape: draw.RingGlyph{}}

func (m *checkMarks) DataRange() (xmin, xmax, ymin, ymax float64) {
	xmin, xmax, ymin, ymax = m.x[0], m.x[0], m.lo[0], m.hi[0]
	for i := range m.x {
		xmin, xmax = min(xmin, m.x[i]), max(xmax, m.x[i])
		ymin, ymax = min(ymin, m.lo[i], m.pub[i]), max(ymax, m.hi[i], m.pub[i])
	}
	return xmin, xmax, ymin, ymax
}

func (m *checkMarks) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	bar := draw.LineStyle{Color: plotter.DefaultLineStyle.Color, Width: vg.Points(1.2)}
	cap := vg.Points(3)
	for i := range m.x {
		x := trX(m.x[i])
		lo, hi, pub := trY(m.lo[i]), trY(m.hi[i]), trY(m.pub[i])
		WithTooltip(c, m.tips[i], func(c draw.Canvas) {
			c.StrokeLine2(bar, x, lo, x, hi)
			c.StrokeLine2(bar, x-cap, lo, x+cap, lo)
			c.StrokeLine2(bar, x-cap, hi, x+cap, hi)
			d := vg.Points(4)
			c.StrokeLines(bar, []vg.Point{{X: x, Y: pub + d}, {X: x + d, Y: pub}, {X: x, Y: pub - d}, {X: x - d, Y: pub}, {X: x, Y: pub + d}})
		})
	}
}
