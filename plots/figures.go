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

// cleanLabel makes an untrusted model name safe to draw: control and
// private-use characters go.
func cleanLabel(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Co, r) {
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

// spansDecade reports whether the positive values among xs reach at least
// ten times their least: only then does a log axis help.
func spansDecade(xs []float64) bool {
	lo, hi := math.Inf(1), 0.0
	for _, x := range xs {
		if x > 0 {
			lo, hi = math.Min(lo, x), math.Max(hi, x)
		}
	}
	return hi >= 10*lo
}

// logX puts the plot's x axis on a log scale and says so in its label.
func logX(p *plot.Plot) {
	p.X.Scale = plot.LogScale{}
	p.X.Tick.Marker = logTicks{}
	p.X.Label.Text = strings.TrimSuffix(p.X.Label.Text, "]") + ", log]"
}

// families returns the families of the models named, as analyse gave them.
func families(res *analyse.Result) map[string]string {
	fam := make(map[string]string, len(res.Models))
	for _, m := range res.Models {
		fam[m.Model] = m.Family
	}
	return fam
}

// gfmt formats a number with three significant digits.
func gfmt(v float64) string { return strconv.FormatFloat(v, 'g', 3, 64) }

// ballFigure is Figure 1a/1b: accuracy vs GFLOPs, ball area ∝ parameters,
// coloured by family. It returns the families drawn and whether the x axis
// is logarithmic (logAxes asks for it; it takes data spanning a decade).
func ballFigure(res *analyse.Result, top5, logAxes bool) (*plot.Plot, int, []string, bool) {
	which := "Top-1"
	if top5 {
		which = "Top-5"
	}
	p := newPlot(which+" accuracy vs. computational complexity (ball area proportional to parameters)", "Operations at batch 1 [GFLOPs]", which+" accuracy [%]")
	var xs []float64
	for _, m := range res.Models {
		if m.HasAccuracy {
			xs = append(xs, float64(m.FLOPs))
		}
	}
	logAxes = logAxes && spansDecade(xs)
	if logAxes {
		logX(p)
	}
	var maxParams int64 = 1
	for _, m := range res.Models {
		maxParams = max(maxParams, m.Params)
	}
	var pts []Ball
	var fams []string
	for _, m := range res.Models {
		if !m.HasAccuracy || (logAxes && m.FLOPs <= 0) {
			continue
		}
		y := m.Top1
		if top5 {
			y = m.Top5
		}
		r := vg.Length(math.Max(2.5, 22*math.Sqrt(float64(m.Params)/float64(maxParams))))
		gf := float64(m.FLOPs) / 1e9
		tip := fmt.Sprintf("%s (%s): %s %s %%, %s GFLOPs, %s M parameters", m.Model, m.Family, strings.ToLower(which), gfmt(y), gfmt(gf), gfmt(float64(m.Params)/1e6))
		pts = append(pts, Ball{X: gf, Y: y, R: r, Label: cleanLabel(m.Model), Tip: tip, Color: FamilyColor(m.Family), Filled: true})
		fams = append(fams, m.Family)
	}
	if len(pts) > 0 {
		p.Add(NewBalls(pts, 8))
	}
	return p, len(pts), fams, logAxes
}

// hbars is Figure 2a's plotter: one horizontal bar from zero per value, at
// y = 0, 1, ..., each in its colour and with its tooltip.
type hbars struct {
	vals   []float64
	colors []color.Color
	tips   []string
	width  vg.Length
}

func (h *hbars) DataRange() (xmin, xmax, ymin, ymax float64) {
	for _, v := range h.vals {
		xmax = math.Max(xmax, v)
	}
	return 0, xmax, 0, float64(len(h.vals) - 1)
}

func (h *hbars) GlyphBoxes(p *plot.Plot) []plot.GlyphBox {
	r := vg.Rectangle{Min: vg.Point{Y: -h.width / 2}, Max: vg.Point{Y: h.width / 2}}
	return []plot.GlyphBox{{X: p.X.Norm(0), Y: p.Y.Norm(0), Rectangle: r}, {X: p.X.Norm(0), Y: p.Y.Norm(float64(len(h.vals) - 1)), Rectangle: r}}
}

func (h *hbars) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	for i, v := range h.vals {
		x0, x1, y := trX(0), trX(v), trY(float64(i))
		pts := []vg.Point{{X: x0, Y: y - h.width/2}, {X: x1, Y: y - h.width/2}, {X: x1, Y: y + h.width/2}, {X: x0, Y: y + h.width/2}}
		WithTooltip(c, h.tips[i], func(c draw.Canvas) { c.FillPolygon(h.colors[i], c.ClipPolygonXY(pts)) })
	}
}

// densityBars is Figure 2a: accuracy density per model, bars coloured by family.
func densityBars(res *analyse.Result) (*plot.Plot, int, []string) {
	type d struct {
		name, family string
		v, top1      float64
		params       int64
	}
	var ds []d
	for _, m := range res.Models {
		if m.HasAccuracy && m.Params > 0 {
			ds = append(ds, d{cleanLabel(m.Model), m.Family, m.Density, m.Top1, m.Params})
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
	bars := &hbars{width: vg.Points(9)}
	names := make([]string, len(ds))
	var fams []string
	for i, x := range ds {
		names[i] = x.name
		bars.vals = append(bars.vals, x.v)
		bars.colors = append(bars.colors, FamilyColor(x.family))
		bars.tips = append(bars.tips, fmt.Sprintf("%s (%s): %s %% / M parameters (top-1 %s %%, %s M parameters)", x.name, x.family, gfmt(x.v), gfmt(x.top1), gfmt(float64(x.params)/1e6)))
		fams = append(fams, x.family)
	}
	p.Add(bars)
	p.NominalY(names...)
	p.X.Min = 0
	return p, len(ds), fams
}

func densityScatter(res *analyse.Result, logAxes bool) (*plot.Plot, int, []string, bool) {
	p := newPlot("Top-1 accuracy vs. accuracy density", "Accuracy density [% / M params]", "Top-1 accuracy [%]")
	var xs []float64
	for _, m := range res.Models {
		if m.HasAccuracy && m.Params > 0 {
			xs = append(xs, m.Density)
		}
	}
	logAxes = logAxes && spansDecade(xs)
	if logAxes {
		logX(p)
	}
	var pts []Ball
	var fams []string
	for _, m := range res.Models {
		if m.HasAccuracy && m.Params > 0 && (!logAxes || m.Density > 0) {
			tip := fmt.Sprintf("%s (%s): top-1 %s %%, %s %% / M parameters", m.Model, m.Family, gfmt(m.Top1), gfmt(m.Density))
			pts = append(pts, Ball{X: m.Density, Y: m.Top1, R: 3.5, Label: cleanLabel(m.Model), Tip: tip, Color: FamilyColor(m.Family), Filled: true})
			fams = append(fams, m.Family)
		}
	}
	if len(pts) > 0 {
		p.Add(NewBalls(pts, 8))
	}
	return p, len(pts), fams, logAxes
}

// fpsPanel is one panel of Figure 3: top-1 vs batch-1 FPS on a device, log x,
// with the accuracy upper bound: the best top-1 of any model at least that
// fast. Unstable speeds are hollow points.
func fpsPanel(res *analyse.Result, device string) (*plot.Plot, int, []string, error) {
	// A label wider than the panel would squeeze the data area: keep it short.
	p := newPlot(device, "Images/s at batch 1 [FPS, log]", "Top-1 accuracy [%]")
	p.Title.TextStyle.Font = font.From(sansFont, 11)
	p.X.Label.TextStyle.Font = font.From(sansFont, 9)
	p.X.Scale = plot.LogScale{}
	p.X.Tick.Marker = logTicks{}
	fam := families(res)
	var pts []Ball
	var fams []string
	for _, r := range res.DeviceModels {
		if r.Device == device && r.HasAccuracy && r.TimingStatus == analyse.StatusOK && r.FPS > 0 {
			// A speed from a timing cell that failed the stability rule is
			// drawn hollow.
			tip := fmt.Sprintf("%s (%s) on %s: top-1 %s %%, %s images/s at batch 1", r.Model, fam[r.Model], r.Device, gfmt(r.Top1), gfmt(r.FPS))
			if !r.TimingStable {
				tip += " (unstable timing)"
			}
			pts = append(pts, Ball{X: r.FPS, Y: r.Top1, R: 3.5, Label: cleanLabel(r.Model), Tip: tip, Color: FamilyColor(fam[r.Model]), Filled: r.TimingStable})
			fams = append(fams, fam[r.Model])
		}
	}
	if len(pts) == 0 {
		return p, 0, nil, nil
	}
	// Envelope: walk from the fastest model to the slowest, stepping up
	// whenever a slower model is more accurate.
	sorted := append([]Ball(nil), pts...)
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
		return nil, 0, nil, fmt.Errorf("figure 3: %s: %w", device, err)
	}
	line.LineStyle = envelopeStyle
	p.Add(line)
	balls := NewBalls(pts, 7.5)
	balls.Avoid = env
	p.Add(balls)
	return p, len(pts), fams, nil
}

// envelopeStyle draws Figure 3's accuracy upper bound.
var envelopeStyle = draw.LineStyle{Color: okabeIto[5], Width: vg.Points(1.2), Dashes: []vg.Length{vg.Points(4), vg.Points(2)}}

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

// logTicks marks 1, 2 and 5 × 10^k with labels and the other integers ×
// 10^k without; over more than three decades only the powers of ten are
// labelled, and over more than six only they are marked.
type logTicks struct{}

// Ticks returns the ticks between min and max.
func (logTicks) Ticks(min, max float64) []plot.Tick {
	if !(min > 0) || !(max > min) || math.IsInf(max, 0) {
		return nil
	}
	decades := math.Log10(max / min)
	var ticks []plot.Tick
	for k := math.Floor(math.Log10(min)); k <= math.Ceil(math.Log10(max)); k++ {
		for m := 1.0; m <= 9; m++ {
			if decades > 6 && m > 1 {
				break
			}
			v := m * math.Pow(10, k)
			if v < min*(1-1e-9) || v > max*(1+1e-9) {
				continue
			}
			t := plot.Tick{Value: v}
			if m == 1 || (decades <= 3 && (m == 2 || m == 5)) {
				t.Label = strconv.FormatFloat(v, 'f', -1, 64)
				if v < 1e-3 || v >= 1e6 {
					t.Label = strconv.FormatFloat(v, 'g', -1, 64)
				}
			}
			ticks = append(ticks, t)
		}
	}
	return ticks
}

// glyphs is a scatter whose every point carries a tooltip.
type glyphs struct {
	xy    plotter.XYs
	tips  []string
	style draw.GlyphStyle
}

func (g *glyphs) DataRange() (xmin, xmax, ymin, ymax float64) { return plotter.XYRange(g.xy) }

func (g *glyphs) GlyphBoxes(p *plot.Plot) []plot.GlyphBox {
	bs := make([]plot.GlyphBox, len(g.xy))
	for i, pt := range g.xy {
		bs[i] = plot.GlyphBox{X: p.X.Norm(pt.X), Y: p.Y.Norm(pt.Y), Rectangle: g.style.Rectangle()}
	}
	return bs
}

func (g *glyphs) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	for i, pt := range g.xy {
		at := vg.Point{X: trX(pt.X), Y: trY(pt.Y)}
		WithTooltip(c, g.tips[i], func(c draw.Canvas) { c.DrawGlyph(g.style, at) })
	}
}

// Thumbnail draws the glyph in a legend.
func (g *glyphs) Thumbnail(c *draw.Canvas) { c.DrawGlyph(g.style, c.Center()) }

// memoryFigure is Figure 4: total memory at batch 1 vs parameters with each device's fit.
func memoryFigure(res *analyse.Result, logAxes bool) (*plot.Plot, int, bool, error) {
	p := newPlot("Total memory at batch 1 vs. parameters", "Parameters [millions]", "Total memory at batch 1 [GB]")
	var xs []float64
	for _, r := range res.DeviceModels {
		if r.MemoryStatus == analyse.StatusOK {
			xs = append(xs, float64(r.Params))
		}
	}
	logAxes = logAxes && spansDecade(xs)
	if logAxes {
		logX(p)
	}
	fam := families(res)
	shapes := []draw.GlyphDrawer{draw.CircleGlyph{}, draw.TriangleGlyph{}, draw.SquareGlyph{}, draw.PyramidGlyph{}, draw.BoxGlyph{}, draw.RingGlyph{}}
	n := 0
	for di, d := range res.Devices {
		g := &glyphs{}
		minX, maxX := math.Inf(1), 0.0
		for _, r := range res.DeviceModels {
			if r.Device == d && r.MemoryStatus == analyse.StatusOK && (!logAxes || r.Params > 0) {
				x, y := float64(r.Params)/1e6, float64(r.PeakBytes)/1e9
				g.xy = append(g.xy, plotter.XY{X: x, Y: y})
				g.tips = append(g.tips, fmt.Sprintf("%s (%s) on %s: %s GB at batch 1, %s M parameters", r.Model, fam[r.Model], d, gfmt(y), gfmt(x)))
				minX, maxX = math.Min(minX, x), math.Max(maxX, x)
			}
		}
		if len(g.xy) == 0 {
			continue
		}
		n += len(g.xy)
		col := okabeIto[(4+di*2)%len(okabeIto)]
		g.style = draw.GlyphStyle{Color: col, Radius: vg.Points(3.5), Shape: shapes[di%len(shapes)]}
		p.Add(g)
		label := d
		for _, f := range res.MemoryFits {
			if f.Device != d || f.Note != "" {
				continue
			}
			fit := plotter.NewFunction(func(x float64) float64 { return (f.Slope*x*1e6 + f.Intercept) / 1e9 })
			fit.XMin, fit.XMax = 0, maxX
			if logAxes {
				fit.XMin = minX
				fit.Samples = 200
			}
			fit.Color = col
			fit.Width = vg.Points(1)
			fit.Dashes = []vg.Length{vg.Points(3), vg.Points(2)}
			p.Add(fit)
			label = fmt.Sprintf("%s: %.2f B/param + %.0f MB, R² = %.2f", d, f.Slope, f.Intercept/1e6, f.R2)
		}
		p.Legend.Add(cleanLabel(label), g)
	}
	p.Legend.Top = true
	p.Legend.Left = true
	p.Legend.XOffs, p.Legend.YOffs = vg.Points(6), -vg.Points(4)
	p.Legend.Padding = vg.Points(2)
	if !logAxes {
		p.X.Min = 0
	}
	p.Y.Min = 0
	// Leave headroom above the data for the legend.
	p.Y.Max *= 1 + 0.08*float64(len(res.Devices))
	return p, n, logAxes, nil
}
