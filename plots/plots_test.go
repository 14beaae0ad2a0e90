package plots_test

import (
	"bytes"
	"context"
	"flag"
	"math"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dnnbench/dnnbench/internal/golden"

	"github.com/dnnbench/dnnbench/plots"
	"github.com/dnnbench/dnnbench/stages/analyse"
	"github.com/dnnbench/dnnbench/stages/analyse/analysetest"
)

var (
	update = flag.Bool("update", false, "rewrite the golden files in testdata/")
	outDir = flag.String("out", "", "also write the figures into this folder, to look at them")
)

func fixture(t testing.TB) []plots.Figure {
	t.Helper()
	res, err := analyse.Run(context.Background(), analyse.Config{}, analysetest.Inputs())
	if err != nil {
		t.Fatal(err)
	}
	figs, err := plots.Render(res, plots.Options{Epoch: time.Unix(1700000000, 0)})
	if err != nil {
		t.Fatal(err)
	}
	return figs
}

func TestRenderFixture(t *testing.T) {
	figs := fixture(t)
	var names []string
	for _, f := range figs {
		names = append(names, f.Name)
		if f.Missing != "" {
			t.Errorf("%s missing: %s", f.Name, f.Missing)
			continue
		}
		if !bytes.HasPrefix(f.PNG, []byte("\x89PNG")) || !bytes.HasPrefix(f.PDF, []byte("%PDF-")) || !bytes.Contains(f.SVG, []byte("<svg")) {
			t.Errorf("%s: bad SVG, PNG or PDF header", f.Name)
		}
		if len(f.Drawing.Ops) == 0 || f.Drawing.Width <= 0 {
			t.Errorf("%s: empty drawing", f.Name)
		}
		golden.Check(t, filepath.Join("testdata", f.Name+".svg"), f.SVG, *update)
	}
	if got := strings.Join(names, ","); got != "fig1a,fig1b,fig2a,fig2b,fig3,fig4,fig5,fig6" {
		t.Errorf("figures = %s", got)
	}
	if *outDir != "" {
		if _, err := plots.WriteFiles(*outDir, figs); err != nil {
			t.Fatal(err)
		}
	}
}

// TestLabelsEscapedAndPresent checks that every model with an accuracy is
// labelled in Figure 1a and that a hostile name is escaped in the SVG.
func TestLabelsEscapedAndPresent(t *testing.T) {
	res, err := analyse.Run(context.Background(), analyse.Config{}, analysetest.Inputs())
	if err != nil {
		t.Fatal(err)
	}
	figs := fixture(t)
	var texts []string
	for _, op := range figs[0].Drawing.Ops {
		if op.Kind == plots.OpText {
			texts = append(texts, op.Text)
		}
	}
	all := strings.Join(texts, "\n")
	for _, m := range res.Models {
		if m.HasAccuracy && !strings.Contains(all, m.Model) {
			t.Errorf("figure 1a has no label %q", m.Model)
		}
	}
	// edge<cnn>&v2 has no accuracy, so it appears only in Figure 4's data, not as a label;
	// the memory figure must still be valid XML text.
	for _, f := range figs {
		if bytes.Contains(f.SVG, []byte("<cnn>")) {
			t.Errorf("%s: unescaped model name in SVG", f.Name)
		}
	}
}

// TestLabelsDoNotOverlap checks the placement on the fixture: no two label
// boxes of Figure 1a intersect.
func TestLabelsDoNotOverlap(t *testing.T) {
	figs := fixture(t)
	type box struct{ x0, y0, x1, y1 float64 }
	var boxes []box
	var labels []string
	for _, op := range figs[0].Drawing.Ops {
		if op.Kind != plots.OpText || op.Size != 8 {
			continue
		}
		w := 0.5 * op.Size * float64(len(op.Text)) // generous lower bound of Helvetica widths
		boxes = append(boxes, box{op.At.X, op.At.Y, op.At.X + w, op.At.Y + op.Size*0.7})
		labels = append(labels, op.Text)
	}
	if len(boxes) < 8 {
		t.Fatalf("found %d ball labels, want 8", len(boxes))
	}
	for i := range boxes {
		for j := i + 1; j < len(boxes); j++ {
			a, b := boxes[i], boxes[j]
			if a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1 {
				t.Errorf("labels %q and %q overlap", labels[i], labels[j])
			}
		}
	}
}

func TestRenderReproducible(t *testing.T) {
	a, b := fixture(t), fixture(t)
	for i := range a {
		if !bytes.Equal(a[i].PDF, b[i].PDF) || !bytes.Equal(a[i].SVG, b[i].SVG) || !bytes.Equal(a[i].PNG, b[i].PNG) {
			t.Errorf("%s differs between two renders", a[i].Name)
		}
		if !bytes.Contains(a[i].PDF, []byte("/CreationDate (D:20231114221320)")) {
			t.Errorf("%s: PDF creation date is not the epoch", a[i].Name)
		}
	}
}

func TestMissingFigures(t *testing.T) {
	in := analysetest.Inputs()
	in.Accuracy, in.Memory, in.Ceilings = nil, nil, nil
	res, err := analyse.Run(context.Background(), analyse.Config{}, in)
	if err != nil {
		t.Fatal(err)
	}
	figs, err := plots.Render(res, plots.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range figs {
		if f.Missing == "" || f.SVG != nil {
			t.Errorf("%s: drawn without data (missing %q)", f.Name, f.Missing)
		}
	}
}

func TestNiceTicks(t *testing.T) {
	for _, c := range []struct {
		min, max float64
		want     string
	}{
		{56.5, 77.7, "60 65 70 75"},
		{0, 1.4, "0.0 0.2 0.4 0.6 0.8 1.0 1.2 1.4"},
		{0, 140, "0 20 40 60 80 100 120 140"},
		{0.3, 31.3, "5 10 15 20 25 30"},
	} {
		var got []string
		for _, tk := range plots.NiceTicks(c.min, c.max) {
			if tk.Label != "" {
				got = append(got, tk.Label)
			}
		}
		if g := strings.Join(got, " "); g != c.want {
			t.Errorf("ticks(%v, %v) = %q, want %q", c.min, c.max, g, c.want)
		}
	}
}

func TestLogTicks(t *testing.T) {
	for _, c := range []struct {
		min, max float64
		want     string
	}{
		{0.08, 48, "0.1 0.2 0.5 1 2 5 10 20"},
		{3, 400, "5 10 20 50 100 200"},
		{2e-5, 3, "0.0001 0.001 0.01 0.1 1"},
		{1e-9, 10, "1e-09 1e-08 1e-07 1e-06 1e-05 0.0001 0.001 0.01 0.1 1 10"},
	} {
		var got []string
		n := 0
		for _, tk := range plots.LogTicks(c.min, c.max) {
			n++
			if tk.Label != "" {
				got = append(got, tk.Label)
			}
		}
		if g := strings.Join(got, " "); g != c.want {
			t.Errorf("log ticks(%v, %v) = %q, want %q", c.min, c.max, g, c.want)
		}
		if c.min == 1e-9 && n != 11 {
			t.Errorf("log ticks over ten decades: %d ticks, want the 11 powers of ten", n)
		}
	}
}

// TestUnstableSpeedIsHollow: the fixture's one unstable batch-1 speed with
// an accuracy (resnet18 on cpu) is the one Figure 3 point without a fill,
// and the caption says what hollow means.
func TestUnstableSpeedIsHollow(t *testing.T) {
	res, err := analyse.Run(context.Background(), analyse.Config{}, analysetest.Inputs())
	if err != nil {
		t.Fatal(err)
	}
	points, unstable := 0, 0
	for _, r := range res.DeviceModels {
		if r.HasAccuracy && r.TimingStatus == analyse.StatusOK && r.FPS > 0 {
			points++
			if !r.TimingStable {
				unstable++
			}
		}
	}
	if unstable != 1 {
		t.Fatalf("fixture has %d unstable points, want 1", unstable)
	}
	var fig3 *plots.Figure
	figs := fixture(t)
	for i := range figs {
		if figs[i].Name == "fig3" {
			fig3 = &figs[i]
		}
	}
	if len(fig3.Marks) != points {
		t.Fatalf("figure 3 has %d labelled markers, want %d", len(fig3.Marks), points)
	}
	fills := 0
	for _, m := range fig3.Marks {
		for _, op := range fig3.Drawing.Ops {
			// Balls are filled at opacity 150/255 by a path that starts
			// at the right of the circle; backgrounds are opaque.
			if op.Kind == plots.OpFill && op.A > 0.5 && op.A < 0.7 && len(op.Path) > 0 &&
				math.Abs(op.Path[0].Pts[0].X-(m.Marker.X+m.Marker.R)) < 1e-6 && math.Abs(op.Path[0].Pts[0].Y-m.Marker.Y) < 1e-6 {
				fills++
				break
			}
		}
	}
	if fills != points-unstable {
		t.Errorf("figure 3 fills %d of %d points, want %d (the unstable one hollow)", fills, points, points-unstable)
	}
	if !strings.Contains(fig3.Title, "Hollow points") {
		t.Errorf("figure 3 caption does not explain hollow points: %s", fig3.Title)
	}
}

// TestLogAxesOnlyOverADecade: with LogAxes, an axis whose data span a
// decade is logarithmic and its caption says so; one whose data do not
// stays linear, and its caption says nothing of a log scale.
func TestLogAxesOnlyOverADecade(t *testing.T) {
	caption := func(in analyse.Inputs, name string) (string, bool) {
		res, err := analyse.Run(context.Background(), analyse.Config{}, in)
		if err != nil {
			t.Fatal(err)
		}
		figs, err := plots.Render(res, plots.Options{LogAxes: true})
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range figs {
			if f.Name == name {
				logLabel := false
				for _, op := range f.Drawing.Ops {
					if op.Kind == plots.OpText && strings.HasSuffix(op.Text, ", log]") {
						logLabel = true
					}
				}
				return f.Title, logLabel
			}
		}
		t.Fatalf("no %s", name)
		return "", false
	}
	// The fixture: 0.6–31 GFLOPs, densities 0.5–47 %/M, 1.2–138 M parameters.
	for _, name := range []string{"fig1a", "fig1b", "fig2b", "fig4"} {
		if title, logLabel := caption(analysetest.Inputs(), name); !strings.Contains(title, "(log scale)") || !logLabel {
			t.Errorf("%s over decades: caption %q, log axis label %v", name, title, logLabel)
		}
	}
	// Three models of 3.6–8.2 GFLOPs and 8–26 M parameters.
	in := analysetest.Inputs()
	keep := map[string]bool{"resnet18": true, "resnet50": true, "densenet121": true}
	var narrow analyse.Inputs
	for _, r := range in.Models {
		if keep[r.Model] {
			narrow.Models = append(narrow.Models, r)
		}
	}
	for _, r := range in.Flops {
		if keep[r.Model] {
			narrow.Flops = append(narrow.Flops, r)
		}
	}
	for _, r := range in.Accuracy {
		if keep[r.Model] {
			narrow.Accuracy = append(narrow.Accuracy, r)
		}
	}
	for _, r := range in.Memory {
		if keep[r.Model] {
			narrow.Memory = append(narrow.Memory, r)
		}
	}
	for _, name := range []string{"fig1a", "fig2b", "fig4"} {
		if title, logLabel := caption(narrow, name); strings.Contains(title, "log") || logLabel {
			t.Errorf("%s within a decade: caption %q, log axis label %v", name, title, logLabel)
		}
	}
}
