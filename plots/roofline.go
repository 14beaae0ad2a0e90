package plots

import (
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/dnnbench/dnnbench/stages/analyse"
	"github.com/dnnbench/dnnbench/stages/ceilings"
)

// rooflineTitle is Figure 5's caption.
const rooflineTitle = "Roofline, one panel per device (log–log): achieved GFLOP/s vs. arithmetic intensity (FLOPs per byte of weights and activations moved). " +
	"The solid line is the device's compute ceiling and, where its bandwidth was measured, the memory ceiling (bandwidth × intensity) up to the ridge point. " +
	"Filled points: batch 1; hollow points joined to them: the model's best batch (highest achieved GFLOP/s)."

// rooflineFigure is Figure 5: per device with ceilings, the roofline and
// every model at batch 1 and at its best batch.
func rooflineFigure(res *analyse.Result) (figureSpec, error) {
	g, err := devicePanels(res.Ceilings, 2, func(c ceilings.Row) (*plot.Plot, int, []string, error) {
		p, n, fams, err := rooflinePanel(res, c)
		if err != nil {
			err = fmt.Errorf("figure 5: %s: %w", c.Device, err)
		}
		return p, n, fams, err
	})
	if err != nil {
		return figureSpec{}, err
	}
	return figureSpec{"fig5", "5", rooflineTitle,
		max(vg.Length(g.cols)*4.2*vg.Inch, 6.5*vg.Inch) + 1.3*vg.Inch, vg.Length(max(g.rows, 1)) * max(panelHeight(g.perPanel()), 4.5*vg.Inch),
		g.points, "no device has both ceilings (analysis/ceilings.csv) and a timing result",
		WithFamilyLegend(g.families, []LegendLine{{Label: "ceilings", Style: roofStyle}}, g.draw)}, nil
}

// roofStyle draws the ceilings.
var roofStyle = draw.LineStyle{Color: color.Black, Width: vg.Points(1.4)}

// rooflinePanel draws one device's roofline; it returns the number of
// models placed and their families.
func rooflinePanel(res *analyse.Result, c ceilings.Row) (*plot.Plot, int, []string, error) {
	p := newPlot(cleanLabel(c.Device), "Arithmetic intensity [FLOP/byte, log]", "Achieved [GFLOP/s, log]")
	p.X.Scale, p.Y.Scale = plot.LogScale{}, plot.LogScale{}
	p.X.Tick.Marker, p.Y.Tick.Marker = logTicks{}, logTicks{}
	fam := families(res)
	var fams []string
	best := map[string]analyse.RooflineRow{}
	for _, r := range analyse.BestBatch(res.Roofline) {
		if r.Device == c.Device {
			best[r.Model] = r
		}
	}
	var pts []Ball
	placed := 0
	xmin, xmax, ymin := math.Inf(1), math.Inf(-1), math.Inf(1)
	for _, r := range res.Roofline {
		if r.Device != c.Device || r.Batch != 1 || !(r.Intensity > 0) || !(r.AchievedGFLOPS > 0) {
			continue
		}
		col := FamilyColor(fam[r.Model])
		placed++
		fams = append(fams, fam[r.Model])
		pts = append(pts, Ball{X: r.Intensity, Y: r.AchievedGFLOPS, R: 3.5, Label: cleanLabel(r.Model), Color: col, Filled: true,
			Tip: fmt.Sprintf("%s (%s) on %s at batch 1: %s GFLOP/s, %s FLOP/byte, %s %% of peak", r.Model, fam[r.Model], r.Device, gfmt(r.AchievedGFLOPS), gfmt(r.Intensity), gfmt(100*r.Efficiency))})
		xmin, xmax, ymin = math.Min(xmin, r.Intensity), math.Max(xmax, r.Intensity), math.Min(ymin, r.AchievedGFLOPS)
		if b, ok := best[r.Model]; ok && b.Batch != 1 && b.Intensity > 0 && b.AchievedGFLOPS > 0 {
			seg, err := plotter.NewLine(plotter.XYs{{X: r.Intensity, Y: r.AchievedGFLOPS}, {X: b.Intensity, Y: b.AchievedGFLOPS}})
			if err != nil {
				return nil, 0, nil, err
			}
			seg.Color, seg.Width = col, vg.Points(0.6)
			p.Add(seg)
			// The best batch is an unlabelled hollow marker, so the labels
			// name the batch-1 points only.
			p.Add(&glyphs{xy: plotter.XYs{{X: b.Intensity, Y: b.AchievedGFLOPS}},
				tips:  []string{fmt.Sprintf("%s (%s) on %s at its best batch %d: %s GFLOP/s, %s FLOP/byte, %s %% of peak", r.Model, fam[r.Model], r.Device, b.Batch, gfmt(b.AchievedGFLOPS), gfmt(b.Intensity), gfmt(100*b.Efficiency))},
				style: draw.GlyphStyle{Color: col, Radius: vg.Points(3), Shape: draw.RingGlyph{}}})
			xmin, xmax = math.Min(xmin, b.Intensity), math.Max(xmax, b.Intensity)
		}
	}
	if len(pts) == 0 {
		return p, 0, nil, nil
	}
	// The axes span the data and the compute ceiling with a margin, and
	// the ridge point when known; the roof starts where it enters the panel.
	xmin, xmax, ymin = xmin/2, xmax*2, math.Min(ymin, c.PeakGFLOPS)/2
	ymax := math.Max(c.PeakGFLOPS, ymin) * 1.5
	roof := plotter.XYs{}
	ridge, hasRidge := analyse.Ridge(c)
	p.Title.Text = fmt.Sprintf("%s\n%.0f GFLOP/s (%s)", cleanLabel(c.Device), c.PeakGFLOPS, c.Method)
	if hasRidge {
		xmin, xmax = math.Min(xmin, ridge/4), math.Max(xmax, ridge*4)
		x0 := math.Max(xmin, ymin/c.BandwidthGBs)
		roof = append(roof, plotter.XY{X: x0, Y: c.BandwidthGBs * x0}, plotter.XY{X: ridge, Y: c.PeakGFLOPS})
		p.Title.Text += fmt.Sprintf(", %.1f GB/s, ridge %.1f FLOP/byte", c.BandwidthGBs, ridge)
	} else {
		roof = append(roof, plotter.XY{X: xmin, Y: c.PeakGFLOPS})
		p.Title.Text += ", bandwidth not measured"
	}
	p.Title.TextStyle.Font = font.From(sansFont, 10)
	roof = append(roof, plotter.XY{X: xmax, Y: c.PeakGFLOPS})
	line, err := plotter.NewLine(roof)
	if err != nil {
		return nil, 0, nil, err
	}
	line.LineStyle = roofStyle
	p.Add(line)
	balls := NewBalls(pts, 7.5)
	balls.Avoid = roof
	p.Add(balls)
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = xmin, xmax, ymin, ymax
	return p, placed, fams, nil
}
