package plots_test

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/dnnbench/dnnbench/plots"
	"github.com/dnnbench/dnnbench/stages/analyse"
	"github.com/dnnbench/dnnbench/stages/analyse/analysetest"
)

func figure(t *testing.T, figs []plots.Figure, name string) plots.Figure {
	t.Helper()
	for _, f := range figs {
		if f.Name == name {
			return f
		}
	}
	t.Fatalf("no %s among the figures", name)
	return plots.Figure{}
}

// TestEnergyFigure: the fixture's Jetson rows have energy readings and its
// CPU rows none, so Figure 6 labels exactly the Jetson models with an
// accuracy; without any reading it is not drawn and says each device's reason.
func TestEnergyFigure(t *testing.T) {
	res, err := analyse.Run(context.Background(), analyse.Config{}, analysetest.Inputs())
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, r := range res.DeviceModels {
		if r.HasAccuracy && r.TimingStatus == analyse.StatusOK && r.JoulesPerImage > 0 {
			if r.Device != "jetson-orin" {
				t.Fatalf("fixture: %s on %s has %v J", r.Model, r.Device, r.JoulesPerImage)
			}
			want = append(want, r.Model)
		}
	}
	if len(want) < 3 {
		t.Fatalf("fixture has %d points with energy", len(want))
	}
	f := figure(t, fixture(t), "fig6")
	if f.Missing != "" || f.Number != "6" {
		t.Fatalf("figure 6 number %q, missing %q", f.Number, f.Missing)
	}
	var labels []string
	for _, op := range f.Drawing.Ops {
		if op.Kind == plots.OpText {
			labels = append(labels, op.Text)
		}
	}
	all := strings.Join(labels, "\n")
	for _, m := range want {
		if !strings.Contains(all, m) {
			t.Errorf("figure 6 has no label %q", m)
		}
	}
	if !strings.Contains(all, "Energy per image at batch 1 [J, log]") {
		t.Errorf("figure 6 axis label missing: %q", all)
	}

	in := analysetest.Inputs()
	for i := range in.Timing {
		in.Timing[i].JoulesPerImage = math.NaN()
	}
	res, err = analyse.Run(context.Background(), analyse.Config{}, in)
	if err != nil {
		t.Fatal(err)
	}
	figs, err := plots.Render(res, plots.Options{})
	if err != nil {
		t.Fatal(err)
	}
	f = figure(t, figs, "fig6")
	if f.SVG != nil || !strings.Contains(f.Missing, "no batch-1 timing row has an energy reading (cpu: "+analysetest.CPUEnergySource+"; jetson-orin: tegrastats: VDD_IN") {
		t.Errorf("figure 6 without readings: missing %q", f.Missing)
	}
}
