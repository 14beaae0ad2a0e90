package plots_test

import (
	"bytes"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dnnbench/dnnbench/internal/golden"
	"github.com/dnnbench/dnnbench/plots"
	"github.com/dnnbench/dnnbench/stages/compare"
)

// compareFixture is a comparison with a faster, a slower, an unchanged and
// an unbounded cell, one with a hostile model name.
func compareFixture() *compare.Result {
	return &compare.Result{Base: "cpu", New: "cpu@<other>", BaseDevice: "cpu", NewDevice: "cpu", Alpha: 0.05, Confidence: 0.95,
		Cells: []compare.Cell{
			{Model: "mobilenet_v2", Batch: 1, Ratio: 0.7, RatioLo: 0.65, RatioHi: 0.76, Significant: true, Delta: "-30.00%"},
			{Model: "resnet50", Batch: 8, Ratio: 1.2, RatioLo: 1.1, RatioHi: 1.31, Significant: true, Delta: "+20.00%"},
			{Model: "squeezenet", Batch: 1, Ratio: 1.01, RatioLo: 0.95, RatioHi: 1.08, Delta: "~"},
			{Model: "edge<cnn>&v2", Batch: 2, Ratio: 0.9, RatioLo: 0, RatioHi: math.Inf(1), Delta: "~"},
		},
		GeomeanRatio: 0.94}
}

func TestCompareFigure(t *testing.T) {
	f, err := plots.Compare(compareFixture(), plots.Options{Epoch: time.Unix(1700000000, 0)})
	if err != nil {
		t.Fatal(err)
	}
	if f.Missing != "" || f.Name != plots.CompareName || !bytes.HasPrefix(f.PNG, []byte("\x89PNG")) || !bytes.Contains(f.PDF, []byte("/CreationDate (D:20231114221320)")) {
		t.Fatalf("figure %s missing %q, or bad PNG/PDF", f.Name, f.Missing)
	}
	golden.Check(t, filepath.Join("testdata", "compare.svg"), f.SVG, *update)
	if *outDir != "" {
		if _, err := plots.WriteFiles(*outDir, []plots.Figure{f}); err != nil {
			t.Fatal(err)
		}
	}
	if bytes.Contains(f.SVG, []byte("<cnn>")) || bytes.Contains(f.SVG, []byte("<other>")) {
		t.Error("unescaped name in the SVG")
	}
	var texts []string
	line := math.NaN()
	var greenX, redX []float64
	rings := 0
	for _, op := range f.Drawing.Ops {
		switch {
		case op.Kind == plots.OpText:
			texts = append(texts, op.Text)
		case op.Kind == plots.OpStroke && len(op.Dashes) > 0 && len(op.Path) == 2:
			line = op.Path[0].Pts[0].X
		case op.Kind == plots.OpFill && op.R == 0x00 && op.G == 0x9E && op.B == 0x73:
			greenX = append(greenX, op.Path[0].Pts[0].X)
		case op.Kind == plots.OpFill && op.R == 0xD5 && op.G == 0x5E && op.B == 0x00:
			redX = append(redX, op.Path[0].Pts[0].X)
		case op.Kind == plots.OpStroke && op.R == 0x50 && op.G == 0x50 && op.B == 0x50:
			rings++
		}
	}
	all := strings.Join(texts, "\n")
	for _, want := range []string{"mobilenet_v2  b1", "resnet50  b8", "squeezenet  b1", "edge<cnn>&v2  b2", "faster", "slower", "~ (not significant)", "cpu@<other> vs. cpu"} {
		if !strings.Contains(all, want) {
			t.Errorf("no text %q in the figure", want)
		}
	}
	if math.IsNaN(line) {
		t.Fatal("no dashed line at ratio 1")
	}
	// The faster cell's point lies left of the line, the slower one's right
	// (each colour also has a legend glyph, at the top right).
	if len(greenX) == 0 || len(redX) == 0 || min(greenX[0], greenX[len(greenX)-1]) >= line || max(redX[0], redX[len(redX)-1]) <= line {
		t.Errorf("line at x=%v, faster fills at %v, slower at %v", line, greenX, redX)
	}
	if rings < 2 {
		t.Errorf("%d hollow grey glyphs, want the two unchanged cells' (and the legend's)", rings)
	}
}

func TestCompareFigureWithoutCells(t *testing.T) {
	res := compareFixture()
	res.Cells = nil
	f, err := plots.Compare(res, plots.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if f.Missing == "" || f.SVG != nil {
		t.Errorf("drawn without cells: missing %q", f.Missing)
	}
	if _, err := plots.Compare(nil, plots.Options{}); err == nil {
		t.Error("a nil comparison gave no error")
	}
}

// TestCompareFigureKeepsOneBatchWhenCrowded gives 65 cells: 30 models at
// batches 1 and 8 and 5 at 16. The figure keeps batch 1 (tied with 8 for
// the most models, and smaller) and says so.
func TestCompareFigureKeepsOneBatchWhenCrowded(t *testing.T) {
	res := compareFixture()
	res.Cells = nil
	for i := range 30 {
		for _, b := range []int64{1, 8} {
			res.Cells = append(res.Cells, compare.Cell{Model: fmt.Sprintf("net%02d", i), Batch: b, Ratio: 0.9, RatioLo: 0.8, RatioHi: 1.0, Significant: true})
		}
	}
	for i := range 5 {
		res.Cells = append(res.Cells, compare.Cell{Model: fmt.Sprintf("net%02d", i), Batch: 16, Ratio: 1.1, RatioLo: 1.0, RatioHi: 1.2})
	}
	f, err := plots.Compare(res, plots.Options{})
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]int{}
	for _, op := range f.Drawing.Ops {
		if op.Kind == plots.OpText && strings.HasPrefix(op.Text, "net") {
			rows[op.Text[strings.LastIndex(op.Text, " ")+1:]]++
		}
	}
	if rows["b1"] != 30 || len(rows) != 1 {
		t.Errorf("row labels by batch %v, want 30 at b1 only", rows)
	}
	if !strings.Contains(f.Title, "Batch 1 only, the batch size compared for the most models: 30 of the 65 cells") {
		t.Errorf("title %q does not say which cells it shows", f.Title)
	}
}
