package plots_test

import (
	"context"
	"encoding/csv"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/dnnbench/dnnbench/plots"
	"github.com/dnnbench/dnnbench/stages/accuracy"
	"github.com/dnnbench/dnnbench/stages/analyse"
	"github.com/dnnbench/dnnbench/stages/flops"
	"github.com/dnnbench/dnnbench/stages/memory"
	"github.com/dnnbench/dnnbench/stages/models"
	"github.com/dnnbench/dnnbench/stages/timing"
)

// default44 builds stage tables for the 44 models of configs/default.yaml
// from testdata/default44.csv (published parameters, GMACs and accuracies;
// see testdata/README.md), on one CPU with synthetic speeds and memory.
func default44(t testing.TB) analyse.Inputs {
	t.Helper()
	f, err := os.Open("testdata/default44.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	num := func(s string) float64 {
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	var in analyse.Inputs
	for i, r := range recs[1:] {
		name, arch := r[0], r[1]
		params, gmacs, top1, top5 := int64(num(r[2])), num(r[3]), num(r[4]), num(r[5])
		macs := int64(gmacs * 1e9)
		in.Models = append(in.Models, models.Row{Model: name, Source: "arch", Arch: arch, SHA256: strconv.Itoa(i), Weights: "random"})
		in.Flops = append(in.Flops, flops.Row{Model: name, Params: params, MACs: macs, FLOPs: 2 * macs})
		in.Accuracy = append(in.Accuracy, accuracy.Row{Model: name, Dataset: "imagenet-1k", Crop: "center", Top1: top1, Top5: top5, Source: "published:x"})
		ms := gmacs*13 + 2.4
		in.Timing = append(in.Timing, timing.Row{Model: name, Device: "cpu", Batch: 1, Threads: 2, Runs: 10, Status: "ok", Stable: true,
			LatencyMsMedian: ms, MsPerImage: ms, FPS: 1000 / ms})
		in.Memory = append(in.Memory, memory.Row{Model: name, Device: "cpu", Batch: 1, Sampler: "proc", Status: "ok",
			StaticBytes: int64(12e6 + 4.1*float64(params)), PeakBytes: int64(12e6 + 4.1*float64(params) + gmacs*4.5e6)})
	}
	if len(in.Models) != 44 {
		t.Fatalf("testdata/default44.csv has %d models, want 44", len(in.Models))
	}
	return in
}

// TestLabelPlacement44 places the labels of the default config's 44 models
// in Figures 1a, 1b, 2b and 3, on linear and log axes, and checks every
// label box: inside the figure, drawn where it was placed, overlapping no
// other label and no marker, and joined by a leader line when it is not
// right beside its marker.
func TestLabelPlacement44(t *testing.T) {
	res, err := analyse.Run(context.Background(), analyse.Config{}, default44(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, logAxes := range []bool{false, true} {
		figs, err := plots.Render(res, plots.Options{LogAxes: logAxes})
		if err != nil {
			t.Fatal(err)
		}
		if *outDir != "" {
			dir := filepath.Join(*outDir, "default44-linear")
			if logAxes {
				dir = filepath.Join(*outDir, "default44-log")
			}
			if _, err := plots.WriteFiles(dir, figs); err != nil {
				t.Fatal(err)
			}
		}
		for _, f := range figs {
			if f.Missing != "" {
				continue
			}
			if f.Name == "fig2a" || f.Name == "fig4" {
				if len(f.Marks) != 0 {
					t.Errorf("%s: %d labelled markers, want none", f.Name, len(f.Marks))
				}
				continue
			}
			checkMarks(t, f, logAxes)
		}
	}
}

func checkMarks(t *testing.T, f plots.Figure, logAxes bool) {
	t.Helper()
	name := f.Name
	if logAxes {
		name += " (log axes)"
	}
	if len(f.Marks) != 44 {
		t.Errorf("%s: %d labelled markers, want 44", name, len(f.Marks))
	}
	texts := map[string][]plots.Op{}
	leaders := 0
	for _, op := range f.Drawing.Ops {
		switch {
		case op.Kind == plots.OpText:
			texts[op.Text] = append(texts[op.Text], op)
		case op.Kind == plots.OpStroke && op.LineWidth == 0.5 && op.R == 110 && op.G == 110:
			leaders++
		}
	}
	// Figure 3's accuracy upper bound, as points every half point along
	// its dashed stroke (the legend's sample is left of no label).
	var bound []plots.Point
	for _, op := range f.Drawing.Ops {
		if op.Kind != plots.OpStroke || len(op.Dashes) == 0 || op.R != 0xD5 || op.G != 0x5E {
			continue
		}
		for k := 1; k < len(op.Path); k++ {
			a, b := op.Path[k-1].Pts[0], op.Path[k].Pts[0]
			n := int(2*math.Hypot(b.X-a.X, b.Y-a.Y)) + 1
			for j := 0; j <= n; j++ {
				t := float64(j) / float64(n)
				bound = append(bound, plots.Point{X: a.X + t*(b.X-a.X), Y: a.Y + t*(b.Y-a.Y)})
			}
		}
	}
	if f.Name == "fig3" && len(bound) == 0 {
		t.Errorf("%s: no accuracy upper bound found", name)
	}
	wantLeaders := 0
	for i, m := range f.Marks {
		for _, p := range bound {
			if p.X > m.Box.X0 && p.X < m.Box.X1 && p.Y > m.Box.Y0 && p.Y < m.Box.Y1 {
				t.Errorf("%s: label %s crosses the accuracy upper bound at %+v", name, m.Label, p)
				break
			}
		}
		b := m.Box
		if m.Clash {
			t.Errorf("%s: %s: no free spot for the label", name, m.Label)
		}
		if b.X0 < 0 || b.Y0 < 0 || b.X1 > f.Drawing.Width || b.Y1 > f.Drawing.Height || !(b.X1 > b.X0) || !(b.Y1 > b.Y0) {
			t.Errorf("%s: %s: label box %+v outside the figure", name, m.Label, b)
		}
		drawn := false
		for _, op := range texts[m.Label] {
			if math.Abs(op.At.X-b.X0) < 0.01 && op.At.Y >= b.Y0 && op.At.Y < b.Y1 {
				drawn = true
			}
		}
		if !drawn {
			t.Errorf("%s: %s: no text drawn in its box %+v", name, m.Label, b)
		}
		for j, o := range f.Marks {
			if j > i && b.Overlaps(o.Box) {
				t.Errorf("%s: labels %s %+v and %s %+v overlap", name, m.Label, b, o.Label, o.Box)
			}
			if b.HitsCircle(o.Marker) {
				t.Errorf("%s: label %s covers the marker of %s", name, m.Label, o.Label)
			}
		}
		nx := math.Max(b.X0, math.Min(m.Marker.X, b.X1))
		ny := math.Max(b.Y0, math.Min(m.Marker.Y, b.Y1))
		if gap := math.Hypot(nx-m.Marker.X, ny-m.Marker.Y) - m.Marker.R; gap > 3 && !m.Leader {
			t.Errorf("%s: %s: label %.1f pt from its marker without a leader line", name, m.Label, gap)
		}
		if m.Leader {
			wantLeaders++
		}
	}
	if leaders != wantLeaders {
		t.Errorf("%s: %d leader lines drawn, want %d", name, leaders, wantLeaders)
	}
	t.Logf("%s: %d labels, %d with leader lines", name, len(f.Marks), wantLeaders)
}

// TestPlaceLabelsFull: a label with no free spot left is marked Clash
// rather than silently overlapping.
func TestPlaceLabelsFull(t *testing.T) {
	ms := []plots.Circle{{X: 10, Y: 10, R: 3}, {X: 30, Y: 10, R: 3}}
	sizes := []plots.Size{{W: 30, H: 8}, {W: 30, H: 8}}
	pl := plots.PlaceLabels(ms, sizes, plots.Rect{X0: 0, Y0: 0, X1: 60, Y1: 20}, nil)
	clashes := 0
	for _, p := range pl {
		if p.Clash {
			clashes++
		}
	}
	if clashes == 0 {
		t.Errorf("two 30×8 labels beside two markers in a 60×20 area: no clash reported: %+v", pl)
	}
	ms = []plots.Circle{{X: 20, Y: 50, R: 3}, {X: 120, Y: 50, R: 3}}
	pl = plots.PlaceLabels(ms, sizes, plots.Rect{X0: 0, Y0: 0, X1: 200, Y1: 100}, nil)
	for i, p := range pl {
		if p.Clash || p.Leader || p.Box.HitsCircle(ms[0]) || p.Box.HitsCircle(ms[1]) {
			t.Errorf("label %d in a roomy area: %+v", i, p)
		}
	}
	if pl[0].Box.Overlaps(pl[1].Box) {
		t.Errorf("labels overlap: %+v", pl)
	}
	// A wall just right of the first marker sends its label elsewhere.
	wall := plots.Rect{X0: 24, Y0: 0, X1: 26, Y1: 100}
	pl = plots.PlaceLabels(ms, sizes, plots.Rect{X0: 0, Y0: 0, X1: 200, Y1: 100}, []plots.Rect{wall})
	if pl[0].Box.Overlaps(wall) || pl[0].Clash {
		t.Errorf("label placed over an obstacle: %+v", pl[0])
	}
}
