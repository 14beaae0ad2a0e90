// Package plots draws the paper's Figures 1–4 from an analysis, as SVG, PNG
// and PDF, and as a plain vector Drawing for embedding in the report.
package plots

import (
	"fmt"
	"image/color"
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/dnnbench/dnnbench/stages/analyse"
)

// sansFont is the typeface of every figure (Liberation Sans, metric-compatible with Helvetica).
var sansFont = font.Font{Typeface: "Liberation", Variant: "Sans"}

// okabeIto is the Okabe–Ito colour-blind-safe palette, black last.
var okabeIto = [8]color.NRGBA{
	{0xE6, 0x9F, 0x00, 0xff}, // orange
	{0x56, 0xB4, 0xE9, 0xff}, // sky blue
	{0x00, 0x9E, 0x73, 0xff}, // bluish green
	{0xF0, 0xE4, 0x42, 0xff}, // yellow
	{0x00, 0x72, 0xB2, 0xff}, // blue
	{0xD5, 0x5E, 0x00, 0xff}, // vermillion
	{0xCC, 0x79, 0xA7, 0xff}, // reddish purple
	{0x00, 0x00, 0x00, 0xff}, // black
}

// modelColor gives each model (by its index in the analysis) a fixed palette colour.
func modelColor(i int) color.NRGBA { return okabeIto[i%len(okabeIto)] }

// cleanLabel makes an untrusted model name safe to draw: control characters go.
func cleanLabel(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, s)
}

func newPlot(title, xlabel, ylabel string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text, p.Y.Label.Text = xlabel, ylabel
	p.Title.TextStyle.Font = font.From(sansFont, 12)
	for _, ax := range []*plot.Axis{&p.X, &p.Y} {
		ax.Label.TextStyle.Font = font.From(sansFont, 10)
		ax.Tick.Label.Font = font.From(sansFont, 9)
	}
	p.Legend.TextStyle.Font = font.From(sansFont, 9)
	p.X.Tick.Marker, p.Y.Tick.Marker = niceTicks{}, niceTicks{}
	p.Add(plotter.NewGrid())
	return p
}

// ballFigure is Figure 1a/1b: accuracy vs GFLOPs, ball area ∝ parameters.
func ballFigure(res *analyse.Result, top5 bool) (*plot.Plot, int) {
	which := "Top-1"
	if top5 {
		which = "Top-5"
	}
	p := newPlot(which+" accuracy vs. computational complexity (ball area proportional to parameters)", "Operations at batch 1 [GFLOPs]", which+" accuracy [%]")
	var maxParams int64 = 1
	for _, m := range res.Models {
		maxParams = max(maxParams, m.Params)
	}
	var pts []ball
	for i, m := range res.Models {
		if !m.HasAccuracy {
			continue
		}
		y := m.Top1
		if top5 {
			y = m.Top5
		}
		r := vg.Length(math.Max(2.5, 22*math.Sqrt(float64(m.Params)/float64(maxParams))))
		pts = append(pts, ball{X: float64(m.FLOPs) / 1e9, Y: y, R: r, Label: cleanLabel(m.Model), Color: modelColor(i), Filled: true})
	}
	if len(pts) > 0 {
		p.Add(newBalls(pts, 8))
	}
	return p, len(pts)
}

// densityFigures are Figure 2a (bars) and 2b (top-1 vs density).
func densityBars(res *analyse.Result) (*plot.Plot, int, error) {
	type d struct {
		name string
		v    float64
		i    int
	}
	var ds []d
	for i, m := range res.Models {
		if m.HasAccuracy && m.Params > 0 {
			ds = append(ds, d{cleanLabel(m.Model), m.Density, i})
		}
	}
	sort.SliceStable(ds, func(a, b int) bool {
		if ds[a].v != ds[b].v {
			return ds[a].v < ds[b].v
		}
		return ds[a].name > ds[b].name
	})
	p := newPlot("Accuracy density", "Top-1 accuracy per million parameters [% / M params]", "")
	if len(ds) == 0 {
		return p, 0, nil
	}
	vals := make(plotter.Values, len(ds))
	names := make([]string, len(ds))
	for i, x := range ds {
		vals[i], names[i] = x.v, x.name
	}
	bars, err := plotter.NewBarChart(vals, vg.Points(9))
	if err != nil {
		return nil, 0, fmt.Errorf("figure 2a: %w", err)
	}
	bars.Horizontal = true
	bars.Color = okabeIto[4]
	bars.LineStyle.Width = 0
	p.Add(bars)
	p.NominalY(names...)
	p.X.Min = 0
	return p, len(ds), nil
}

func densityScatter(res *analyse.Result) (*plot.Plot, int) {
	p := newPlot("Top-1 accuracy vs. accuracy density", "Accuracy density [% / M params]", "Top-1 accuracy [%]")
	var pts []ball
	for i, m := range res.Models {
		if m.HasAccuracy && m.Params > 0 {
			pts = append(pts, ball{X: m.Density, Y: m.Top1, R: 3.5, Label: cleanLabel(m.Model), Color: modelColor(i), Filled: true})
		}
	}
	if len(pts) > 0 {
		p.Add(newBalls(pts, 8))
	}
	return p, len(pts)
}

// fpsPanel is one panel of Figure 3: top-1 vs batch-1 FPS on a device, log x,
// with the accuracy upper bound: the best top-1 of any model at least that
// fast. Unstable speeds are hollow points.
func fpsPanel(res *analyse.Result, device string) (*plot.Plot, int, error) {
	// A label wider than the panel would squeeze the data area: keep it short.
	p := newPlot(device, "Images/s at batch 1 [FPS, log]", "Top-1 accuracy [%]")
	p.Title.TextStyle.Font = font.From(sansFont, 11)
	p.X.Label.TextStyle.Font = font.From(sansFont, 9)
	p.X.Scale = plot.LogScale{}
	p.X.Tick.Marker = logTicks{}
	idx := map[string]int{}
	for i, m := range res.Models {
		idx[m.Model] = i
	}
	var pts []ball
	for _, r := range res.DeviceModels {
		if r.Device == device && r.HasAccuracy && r.TimingStatus == analyse.StatusOK && r.FPS > 0 {
			// A speed from a timing cell that failed the stability rule is
			// drawn hollow.
			pts = append(pts, ball{X: r.FPS, Y: r.Top1, R: 3.5, Label: cleanLabel(r.Model), Color: modelColor(idx[r.Model]), Filled: r.TimingStable})
		}
	}
	if len(pts) == 0 {
		return p, 0, nil
	}
	// Envelope: walk from the fastest model to the slowest, stepping up
	// whenever a slower model is more accurate.
	sorted := append([]ball(nil), pts...)
	sort.SliceStable(sorted, func(a, b int) bool { return sorted[a].X > sorted[b].X })
	var env plotter.XYs
	level := math.Inf(-1)
	for _, b := range sorted {
		if b.Y > level {
			if len(env) > 0 {
				env = append(env, plotter.XY{X: b.X, Y: level})
			}
			level = b.Y
			env = append(env, plotter.XY{X: b.X, Y: level})
		}
	}
	env = append(env, plotter.XY{X: sorted[len(sorted)-1].X, Y: level})
	line, err := plotter.NewLine(env)
	if err != nil {
		return nil, 0, fmt.Errorf("figure 3: %s: %w", device, err)
	}
	line.Color = okabeIto[5]
	line.Width = vg.Points(1.2)
	line.Dashes = []vg.Length{vg.Points(4), vg.Points(2)}
	p.Add(line)
	p.Legend.Add("accuracy upper bound", line)
	p.Legend.Top = false
	p.Legend.Left = true
	p.Add(newBalls(pts, 7.5))
	return p, len(pts), nil
}

// niceTicks labels 4 to 10 round values (1, 2, 2.5 or 5 × 10^k apart) with
// unlabelled ticks halfway between.
type niceTicks struct{}

// Ticks returns the ticks between min and max.
func (niceTicks) Ticks(lo, hi float64) []plot.Tick {
	if !(hi > lo) || math.IsInf(hi-lo, 0) {
		return plot.DefaultTicks{}.Ticks(lo, hi)
	}
	span := hi - lo
	var step float64
	for k := math.Floor(math.Log10(span)) - 1; step == 0; k++ {
		for _, m := range []float64{1, 2, 2.5, 5} {
			if s := m * math.Pow(10, k); span/s <= 8 {
				step = s
				break
			}
		}
	}
	prec := max(0, -int(math.Floor(math.Log10(step)+1e-9)))
	if step/math.Pow(10, math.Floor(math.Log10(step)+1e-9)) == 2.5 {
		prec++
	}
	var ticks []plot.Tick
	for v := math.Ceil(lo/step*2) * step / 2; v <= hi+step*1e-9; v += step / 2 {
		t := plot.Tick{Value: v}
		if r := v / step; math.Abs(r-math.Round(r)) < 1e-6 {
			t.Label = strconv.FormatFloat(math.Round(r)*step, 'f', prec, 64)
		}
		ticks = append(ticks, t)
	}
	return ticks
}

// logTicks marks 1, 2 and 5 × 10^k with labels and the other integers × 10^k without.
type logTicks struct{}

// Ticks returns the ticks between min and max.
func (logTicks) Ticks(min, max float64) []plot.Tick {
	if !(min > 0) || !(max > min) {
		return nil
	}
	var ticks []plot.Tick
	for k := math.Floor(math.Log10(min)); k <= math.Ceil(math.Log10(max)); k++ {
		for m := 1.0; m <= 9; m++ {
			v := m * math.Pow(10, k)
			if v < min*(1-1e-9) || v > max*(1+1e-9) {
				continue
			}
			t := plot.Tick{Value: v}
			if m == 1 || m == 2 || m == 5 {
				t.Label = strconv.FormatFloat(v, 'f', -1, 64)
			}
			ticks = append(ticks, t)
		}
	}
	return ticks
}

// memoryFigure is Figure 4: total memory at batch 1 vs parameters with each device's fit.
func memoryFigure(res *analyse.Result) (*plot.Plot, int, error) {
	p := newPlot("Total memory at batch 1 vs. parameters", "Parameters [millions]", "Total memory at batch 1 [GB]")
	shapes := []draw.GlyphDrawer{draw.CircleGlyph{}, draw.TriangleGlyph{}, draw.SquareGlyph{}, draw.PyramidGlyph{}, draw.BoxGlyph{}, draw.RingGlyph{}}
	n := 0
	for di, d := range res.Devices {
		var xy plotter.XYs
		var maxX float64
		for _, r := range res.DeviceModels {
			if r.Device == d && r.MemoryStatus == analyse.StatusOK {
				xy = append(xy, plotter.XY{X: float64(r.Params) / 1e6, Y: float64(r.PeakBytes) / 1e9})
				maxX = math.Max(maxX, float64(r.Params)/1e6)
			}
		}
		if len(xy) == 0 {
			continue
		}
		n += len(xy)
		col := okabeIto[(4+di*2)%len(okabeIto)]
		s, err := plotter.NewScatter(xy)
		if err != nil {
			return nil, 0, fmt.Errorf("figure 4: %s: %w", d, err)
		}
		s.GlyphStyle = draw.GlyphStyle{Color: col, Radius: vg.Points(3.5), Shape: shapes[di%len(shapes)]}
		p.Add(s)
		label := d
		for _, f := range res.MemoryFits {
			if f.Device != d || f.Note != "" {
				continue
			}
			fit := plotter.NewFunction(func(x float64) float64 { return (f.Slope*x*1e6 + f.Intercept) / 1e9 })
			fit.XMin, fit.XMax = 0, maxX
			fit.Color = col
			fit.Width = vg.Points(1)
			fit.Dashes = []vg.Length{vg.Points(3), vg.Points(2)}
			p.Add(fit)
			label = fmt.Sprintf("%s: %.2f B/param + %.0f MB, R² = %.2f", d, f.Slope, f.Intercept/1e6, f.R2)
		}
		p.Legend.Add(cleanLabel(label), s)
	}
	p.Legend.Top = true
	p.Legend.Left = true
	p.Legend.XOffs, p.Legend.YOffs = vg.Points(6), -vg.Points(4)
	p.Legend.Padding = vg.Points(2)
	p.X.Min, p.Y.Min = 0, 0
	// Leave headroom above the data for the legend.
	p.Y.Max *= 1 + 0.08*float64(len(res.Devices))
	return p, n, nil
}
