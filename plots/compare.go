package plots

import (
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/dnnbench/dnnbench/stages/compare"
)

// CompareName is the comparison figure's file stem.
const CompareName = "compare"

// Compare draws a comparison (see stages/compare): one row per compared
// model × batch with its ratio of median latencies, new / base, and the
// ratio's interval as a bar; a dashed line marks 1. Significant changes are
// filled (green when faster, vermilion when slower), the others hollow
// grey. Interval ends that are unbounded (too few samples) are drawn to the
// edge of the axis. Beyond maxCompareRows cells it draws the batch size
// compared for the most models only, and its title says so.
func Compare(res *compare.Result, opt Options) (Figure, error) {
	if res == nil {
		return Figure{}, fmt.Errorf("plots: no comparison")
	}
	if opt.DPI == 0 {
		opt.DPI = 150
	}
	title := fmt.Sprintf("Ratio of median batch latency, new / base, per model and batch, with its %g%% interval; filled: a significant change (Mann–Whitney p ≤ %g), green faster and vermilion slower; hollow: no significant change (~); dashed: no change.",
		100*res.Confidence, res.Alpha)
	f := Figure{Name: CompareName, Number: "7", Title: title}
	cells := res.Cells
	if len(cells) == 0 {
		f.Missing = "no model × batch was measured on both sides"
		return f, nil
	}
	if len(cells) > maxCompareRows {
		b := commonBatch(cells)
		var kept []compare.Cell
		for _, c := range cells {
			if c.Batch == b {
				kept = append(kept, c)
			}
		}
		f.Title += fmt.Sprintf(" Batch %d only, the batch size compared for the most models: %d of the %d cells (the table lists every cell).", b, len(kept), len(cells))
		cells = kept
	}
	n := len(cells)
	p := newPlot(cleanLabel(res.New)+" vs. "+cleanLabel(res.Base), "Median latency ratio, new / base (below 1: faster)", "")
	// The axis spans every finite ratio and bound, and 1.
	lo, hi := 1.0, 1.0
	for _, c := range cells {
		for _, x := range []float64{c.Ratio, c.RatioLo, c.RatioHi} {
			if x > 0 && !math.IsInf(x, 0) && !math.IsNaN(x) {
				lo, hi = math.Min(lo, x), math.Max(hi, x)
			}
		}
	}
	pad := (hi - lo) * 0.05
	lo, hi = math.Max(0, lo-pad), hi+pad
	p.X.Min, p.X.Max = lo, hi

	labels := make([]string, n)
	var bars errorBars
	var faster, slower, same plotter.XYs
	for i, c := range cells {
		y := float64(n - 1 - i) // the first cell at the top
		labels[n-1-i] = fmt.Sprintf("%s  b%d", cleanLabel(c.Model), c.Batch)
		if math.IsNaN(c.Ratio) || math.IsInf(c.Ratio, 0) {
			continue
		}
		l, h := math.Max(c.RatioLo, lo), math.Min(c.RatioHi, hi)
		if math.IsNaN(l) {
			l = lo
		}
		if math.IsNaN(h) {
			h = hi
		}
		bars.XYs = append(bars.XYs, plotter.XY{X: c.Ratio, Y: y})
		bars.XErrors = append(bars.XErrors, struct{ Low, High float64 }{Low: c.Ratio - l, High: h - c.Ratio})
		pt := plotter.XY{X: c.Ratio, Y: y}
		switch {
		case !c.Significant:
			same = append(same, pt)
		case c.Ratio < 1:
			faster = append(faster, pt)
		default:
			slower = append(slower, pt)
		}
	}
	p.NominalY(labels...)
	p.Y.Padding = vg.Points(6)

	one, err := plotter.NewLine(plotter.XYs{{X: 1, Y: -0.5}, {X: 1, Y: float64(n) - 0.5}})
	if err != nil {
		return f, fmt.Errorf("plots: compare: %w", err)
	}
	one.Dashes = []vg.Length{vg.Points(4), vg.Points(2)}
	one.Color = color.Gray{Y: 0x60}
	p.Add(one)
	if len(bars.XYs) > 0 {
		eb, err := plotter.NewXErrorBars(bars)
		if err != nil {
			return f, fmt.Errorf("plots: compare: %w", err)
		}
		eb.LineStyle.Width = vg.Points(1)
		eb.CapWidth = vg.Points(5)
		p.Add(eb)
	}
	for _, s := range []struct {
		pts   plotter.XYs
		shape draw.GlyphDrawer
		col   color.Color
		name  string
	}{
		{faster, draw.CircleGlyph{}, okabeIto[2], "faster"},
		{slower, draw.CircleGlyph{}, okabeIto[5], "slower"},
		{same, draw.RingGlyph{}, color.Gray{Y: 0x50}, "~ (not significant)"},
	} {
		if len(s.pts) == 0 {
			continue
		}
		sc, err := plotter.NewScatter(s.pts)
		if err != nil {
			return f, fmt.Errorf("plots: compare: %w", err)
		}
		sc.GlyphStyle = draw.GlyphStyle{Shape: s.shape, Color: s.col, Radius: vg.Points(3.5)}
		p.Add(sc)
		p.Legend.Add(s.name, sc)
	}
	p.Legend.Top = true
	spec := figureSpec{name: f.Name, number: f.Number, title: f.Title, w: 6.5 * vg.Inch,
		h: vg.Length(n)*0.24*vg.Inch + 1.6*vg.Inch, n: n, draw: single(p)}
	if f.SVG, f.PNG, f.PDF, f.Drawing, f.Marks, err = renderSpec(spec, opt); err != nil {
		return f, fmt.Errorf("plots: compare: %w", err)
	}
	return f, nil
}

// maxCompareRows is the most cells the comparison figure draws one row
// each; beyond it, the rows would be too thin to read on a page, and the
// figure keeps one batch size (see commonBatch).
const maxCompareRows = 40

// commonBatch is the batch size with the most cells, the smallest on a tie.
func commonBatch(cells []compare.Cell) int64 {
	count := map[int64]int{}
	for _, c := range cells {
		count[c.Batch]++
	}
	best, most := int64(0), 0
	for b, k := range count {
		if k > most || (k == most && b < best) {
			best, most = b, k
		}
	}
	return best
}

// errorBars are points with horizontal error bars (plotter.XYer and XErrorer).
type errorBars struct {
	plotter.XYs
	plotter.XErrors
}
