package plots

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgpdf"

	"github.com/dnnbench/dnnbench/internal/atomicfile"
	"github.com/dnnbench/dnnbench/stages/analyse"
)

// Options controls rendering.
type Options struct {
	// Epoch is the creation date written into figure PDFs (from
	// SOURCE_DATE_EPOCH); the zero time writes 1970-01-01.
	Epoch time.Time
	// DPI is the PNG resolution; default 150.
	DPI int
	// LogAxes draws these axes on a log scale where their data span at
	// least a decade (the largest value ten times the least or more):
	// GFLOPs (Figures 1a, 1b), accuracy density (Figure 2b) and parameters
	// (Figure 4); the caption then says "log scale". False keeps the paper's
	// linear axes. Figure 3's speed axis is
	// always logarithmic and Figure 2a's bars always start at zero.
	LogAxes bool
}

// Mark is one labelled marker as drawn, in points with the origin at the
// bottom left of the figure.
type Mark struct {
	// Label is the text drawn; Marker the circle it names.
	Label  string
	Marker Circle
	// Box is the label's box; Leader says a line joins it to its marker;
	// Clash says the placement found no free spot (see PlaceLabels).
	Box    Rect
	Leader bool
	Clash  bool
}

// Figure is one rendered figure.
type Figure struct {
	// Name is the file stem, e.g. "fig1a".
	Name string
	// Number is the paper's figure number, e.g. "1a".
	Number string
	// Title is the figure's caption.
	Title string
	// Missing says why the figure was not drawn (no data); then SVG, PNG,
	// PDF and Drawing are empty.
	Missing string
	SVG     []byte
	PNG     []byte
	PDF     []byte
	// Drawing is the figure as vector operations, for embedding in a PDF.
	Drawing Drawing
	// Marks are the figure's labelled markers, in drawing order.
	Marks []Mark
}

// figureSpec is a figure to draw: its size and a function that draws it.
type figureSpec struct {
	name, number, title string
	w, h                vg.Length
	n                   int // data points; 0 means nothing to draw
	missing             string
	draw                func(dc draw.Canvas)
}

func single(p *plot.Plot) func(draw.Canvas) { return func(dc draw.Canvas) { p.Draw(dc) } }

// Render draws Figures 1a, 1b, 2a, 2b, 3 and 4 of the analysis, Figure 5,
// the roofline, and Figure 6, accuracy vs. energy per image.
func Render(res *analyse.Result, opt Options) ([]Figure, error) {
	if res == nil {
		return nil, fmt.Errorf("plots: no analysis result")
	}
	if opt.DPI == 0 {
		opt.DPI = 150
	}
	noAcc := "no model has an accuracy (measured or published)"
	var specs []figureSpec

	logNote := func(log bool) string {
		if log {
			return " (log scale)"
		}
		return ""
	}
	p1a, n, f1a, log1a := ballFigure(res, false, opt.LogAxes)
	checkNote := ""
	if len(res.AccuracyChecks) > 0 {
		checkNote = " Where a top-1 was measured and a published figure exists, a bar marks the measured value's 95% interval and a hollow diamond the published value."
	}
	specs = append(specs, figureSpec{"fig1a", "1a", "Top-1 accuracy vs. operations (GFLOPs" + logNote(log1a) + ") at batch 1; ball area is proportional to the number of parameters; colour is the architecture family." + checkNote, 7.8 * vg.Inch, 5 * vg.Inch, n, noAcc, WithFamilyLegend(f1a, nil, single(p1a))})
	p1b, n, f1b, log1b := ballFigure(res, true, opt.LogAxes)
	specs = append(specs, figureSpec{"fig1b", "1b", "Top-5 accuracy vs. operations (GFLOPs" + logNote(log1b) + ") at batch 1; ball area is proportional to the number of parameters; colour is the architecture family.", 7.8 * vg.Inch, 5 * vg.Inch, n, noAcc, WithFamilyLegend(f1b, nil, single(p1b))})
	p2a, n, f2a := densityBars(res)
	h2a := max(3*vg.Inch, vg.Length(n)*0.2*vg.Inch+1.2*vg.Inch)
	specs = append(specs, figureSpec{"fig2a", "2a", "Accuracy density: top-1 accuracy per million parameters, per model, coloured by architecture family.", 6.8 * vg.Inch, h2a, n, noAcc, WithFamilyLegend(f2a, nil, single(p2a))})
	p2b, n, f2b, log2b := densityScatter(res, opt.LogAxes)
	specs = append(specs, figureSpec{"fig2b", "2b", "Top-1 accuracy vs. accuracy density" + logNote(log2b) + "; colour is the architecture family.", 7.3 * vg.Inch, 4.5 * vg.Inch, n, noAcc, WithFamilyLegend(f2b, nil, single(p2b))})

	// Figure 3: one panel per device, at most three per row; a single
	// device gets the page's width, since many models crowd its labels.
	g3, err := devicePanels(res.Devices, 3, func(d string) (*plot.Plot, int, []string, error) { return fpsPanel(res, d) })
	if err != nil {
		return nil, fmt.Errorf("plots: %w", err)
	}
	title3 := "Top-1 accuracy vs. images per second at batch 1 (log scale), one panel per device; the dashed line is the accuracy upper bound: the best top-1 of any model at least that fast; colour is the architecture family."
	for _, r := range res.DeviceModels {
		if r.HasAccuracy && r.TimingStatus == analyse.StatusOK && r.FPS > 0 && !r.TimingStable {
			title3 += " Hollow points: speeds from timing cells that failed the stability rule (marked † in Table 1)."
			break
		}
	}
	specs = append(specs, figureSpec{"fig3", "3", title3,
		max(vg.Length(g3.cols)*3.6*vg.Inch, 6.5*vg.Inch) + 1.3*vg.Inch, vg.Length(max(g3.rows, 1)) * panelHeight(g3.perPanel()), g3.points, "no model has both an accuracy and a batch-1 timing", WithFamilyLegend(g3.families, []LegendLine{{Label: "accuracy upper bound", Style: envelopeStyle}}, g3.draw)})

	p4, n, log4, err := memoryFigure(res, opt.LogAxes)
	if err != nil {
		return nil, fmt.Errorf("plots: %w", err)
	}
	title4 := "Total memory at batch 1 vs. parameters, per device, with the least-squares line of each device."
	if log4 {
		title4 = "Total memory at batch 1 vs. parameters (log scale), per device, with the least-squares line of each device (curved on the log axis)."
	}
	specs = append(specs, figureSpec{"fig4", "4", title4, 6.5 * vg.Inch, 4.5 * vg.Inch, n, "no batch-1 memory measurement", single(p4)})
	s5, err := rooflineFigure(res)
	if err != nil {
		return nil, fmt.Errorf("plots: %w", err)
	}
	specs = append(specs, s5)
	p6, n, missing6, f6 := energyFigure(res)
	specs = append(specs, figureSpec{"fig6", "6", energyTitle(res), 7.3 * vg.Inch, 4.5 * vg.Inch, n, missing6, WithFamilyLegend(f6, nil, single(p6))})

	figs := make([]Figure, 0, len(specs))
	for _, s := range specs {
		f := Figure{Name: s.name, Number: s.number, Title: s.title}
		if s.n == 0 {
			f.Missing = s.missing
			figs = append(figs, f)
			continue
		}
		if f.SVG, f.PNG, f.PDF, f.Drawing, f.Marks, err = renderSpec(s, opt); err != nil {
			return nil, fmt.Errorf("plots: %s: %w", s.name, err)
		}
		figs = append(figs, f)
	}
	return figs, nil
}

// panelHeight grows a Figure 3 panel with its number of labelled models.
func panelHeight(n int) vg.Length {
	return 3.6*vg.Inch + vg.Length(max(n-15, 0))*0.06*vg.Inch
}

var pdfDate = regexp.MustCompile(`/(CreationDate|ModDate) \(D:[0-9]{14}\)`)

func renderSpec(s figureSpec, opt Options) (svg, png, pdf []byte, dr Drawing, marks []Mark, err error) {
	sc := newTipCanvas(s.w, s.h)
	s.draw(draw.New(sc))
	if svg, err = sc.svg(); err != nil {
		return
	}

	var buf bytes.Buffer
	ic := vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(s.w, s.h), vgimg.UseDPI(opt.DPI))}
	s.draw(draw.New(ic))
	if _, err = ic.WriteTo(&buf); err != nil {
		return
	}
	png = append([]byte(nil), buf.Bytes()...)

	buf.Reset()
	pc := vgpdf.New(s.w, s.h)
	s.draw(draw.New(pc))
	if _, err = pc.WriteTo(&buf); err != nil {
		return
	}
	// vgpdf stamps the wall-clock time; replace it, keeping the length so
	// the cross-reference offsets stay valid.
	stamp := opt.Epoch.UTC().Format("20060102150405")
	pdf = pdfDate.ReplaceAll(buf.Bytes(), []byte("/$1 (D:"+stamp+")"))

	rc := newRecorder(s.w, s.h)
	s.draw(draw.New(rc))
	dr, marks = rc.drawing(), rc.marks
	return
}

// WriteFiles writes every drawn figure as <name>.svg, .png and .pdf into dir
// and returns the paths written, in order.
func WriteFiles(dir string, figs []Figure) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("plots: %w", err)
	}
	var paths []string
	for _, f := range figs {
		if f.Missing != "" {
			continue
		}
		for _, out := range []struct {
			ext  string
			data []byte
		}{{".svg", f.SVG}, {".png", f.PNG}, {".pdf", f.PDF}} {
			p := filepath.Join(dir, f.Name+out.ext)
			if err := writeFile(p, out.data); err != nil {
				return nil, fmt.Errorf("plots: %w", err)
			}
			paths = append(paths, p)
		}
	}
	return paths, nil
}

func writeFile(path string, data []byte) error {
	return atomicfile.Write(path, "."+filepath.Base(path)+".*.tmp", func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// panelSet is a figure of one panel per device, laid out in a grid.
type panelSet struct {
	// rows and cols are the grid's size; draw draws every panel on a canvas.
	rows, cols int
	draw       func(draw.Canvas)
	// n is the number of panels, points the models they place in all and
	// families those models' families, panel by panel.
	n, points int
	families  []string
}

// perPanel is the number of models a panel places, on average.
func (p panelSet) perPanel() int { return p.points / max(p.n, 1) }

// devicePanels draws a panel for each of items with panel, which returns
// the panel, the models it places and their families, keeps the panels
// that place a model and lays them out in rows of at most maxCols.
func devicePanels[T any](items []T, maxCols int, panel func(T) (*plot.Plot, int, []string, error)) (panelSet, error) {
	var out panelSet
	var kept []*plot.Plot
	for _, it := range items {
		p, n, fams, err := panel(it)
		if err != nil {
			return panelSet{}, err
		}
		if n > 0 {
			kept = append(kept, p)
			out.families = append(out.families, fams...)
			out.points += n
		}
	}
	out.n = len(kept)
	out.rows, out.cols, out.draw = panelGrid(kept, maxCols)
	return out, nil
}

// panelGrid lays panels out in rows of at most maxCols, and returns the
// grid's size and a function drawing every panel, aligned, on a canvas.
func panelGrid(panels []*plot.Plot, maxCols int) (rows, cols int, drawAll func(draw.Canvas)) {
	cols = min(max(len(panels), 1), maxCols)
	rows = (len(panels) + cols - 1) / cols
	grid := make([][]*plot.Plot, rows)
	for i, p := range panels {
		grid[i/cols] = append(grid[i/cols], p)
	}
	for r := range grid {
		for len(grid[r]) < cols {
			grid[r] = append(grid[r], nil)
		}
	}
	return rows, cols, func(dc draw.Canvas) {
		tiles := draw.Tiles{Rows: rows, Cols: cols, PadX: vg.Millimeter * 4, PadY: vg.Millimeter * 4, PadTop: 2, PadBottom: 2, PadLeft: 2, PadRight: 2}
		cs := plot.Align(grid, tiles, dc)
		for r := range grid {
			for c, p := range grid[r] {
				if p != nil {
					p.Draw(cs[r][c])
				}
			}
		}
	}
}
