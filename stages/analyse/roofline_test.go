package analyse_test

import (
	"bytes"
	"math"
	"strings"
	"testing"

	"github.com/dnnbench/dnnbench/stages/analyse"
	"github.com/dnnbench/dnnbench/stages/ceilings"
	"github.com/dnnbench/dnnbench/stages/flops"
	"github.com/dnnbench/dnnbench/stages/timing"
)

// rooflineInputs has two models on one device whose ceilings are 100
// GFLOP/s and 10 GB/s (ridge 10 FLOP/byte). The traffic comes from the flops
// row's weight_bytes and io_bytes_per_image.
func rooflineInputs() analyse.Inputs {
	fl := []flops.Row{
		{Model: "dense", Params: 1000, FLOPs: 4e9, WeightBytes: 4000, IOBytesPerImage: 2e6},
		{Model: "thin", Params: 25e6, FLOPs: 1e8, WeightBytes: 1e8, IOBytesPerImage: 1e7},
	}
	tm := []timing.Row{
		{Model: "dense", Device: "cpu", Batch: 1, Status: "ok", MsPerImage: 80},
		{Model: "dense", Device: "cpu", Batch: 4, Status: "ok", MsPerImage: 50},
		{Model: "thin", Device: "cpu", Batch: 1, Status: "ok", MsPerImage: 20},
		{Model: "thin", Device: "cpu", Batch: 4, Status: "oom"},
	}
	return analyse.Inputs{Flops: fl, Timing: tm,
		Ceilings: []ceilings.Row{{Device: "cpu", PeakGFLOPS: 100, BandwidthGBs: 10, Method: ceilings.MethodMeasured}}}
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b)) }

// TestRooflineArithmetic checks every column of constructed rows against
// hand-computed values.
func TestRooflineArithmetic(t *testing.T) {
	in := rooflineInputs()
	res := run(t, in, analyse.Config{})
	if len(res.Roofline) != 3 {
		t.Fatalf("got %d roofline rows, want 3 (the oom cell left out): %+v", len(res.Roofline), res.Roofline)
	}
	want := []analyse.RooflineRow{
		{Model: "dense", Device: "cpu", Batch: 1, FLOPs: 4e9, Bytes: 4000 + 2e6,
			AchievedGFLOPS: 4e9 / 0.080 / 1e9, PeakGFLOPS: 100},
		{Model: "dense", Device: "cpu", Batch: 4, FLOPs: 16e9, Bytes: 4000 + 4*2e6,
			AchievedGFLOPS: 16e9 / (0.050 * 4) / 1e9, PeakGFLOPS: 100},
		{Model: "thin", Device: "cpu", Batch: 1, FLOPs: 1e8, Bytes: 1e8 + 1e7,
			AchievedGFLOPS: 1e8 / 0.020 / 1e9, PeakGFLOPS: 100},
	}
	for i, w := range want {
		g := res.Roofline[i]
		if g.Model != w.Model || g.Batch != w.Batch || g.FLOPs != w.FLOPs || g.Bytes != w.Bytes || g.PeakGFLOPS != w.PeakGFLOPS {
			t.Errorf("row %d: %+v, want %+v", i, g, w)
		}
		if !near(g.AchievedGFLOPS, w.AchievedGFLOPS) {
			t.Errorf("row %d achieved %v, want %v", i, g.AchievedGFLOPS, w.AchievedGFLOPS)
		}
		if !near(g.Intensity, float64(w.FLOPs)/float64(w.Bytes)) || !near(g.Efficiency, w.AchievedGFLOPS/100) {
			t.Errorf("row %d intensity %v efficiency %v", i, g.Intensity, g.Efficiency)
		}
	}
	best := analyse.BestBatch(res.Roofline)
	if len(best) != 2 || best[0].Batch != 4 || best[1].Batch != 1 {
		t.Errorf("best batches %+v, want dense at 4 and thin at 1", best)
	}
}

// TestTrafficOf reads the flops stage's byte columns.
func TestTrafficOf(t *testing.T) {
	tr := analyse.TrafficOf(flops.Row{Params: 7, ActivationBytes: 9, WeightBytes: 1000, IOBytesPerImage: 30})
	if tr != (analyse.Traffic{WeightBytes: 1000, IOBytesPerImage: 30}) {
		t.Errorf("traffic %+v, want weight_bytes 1000 and io_bytes_per_image 30", tr)
	}
}

func TestTrafficBytes(t *testing.T) {
	tr := analyse.Traffic{WeightBytes: 1000, IOBytesPerImage: 30}
	if got := tr.Bytes(8); got != 1240 {
		t.Errorf("bytes of batch 8 = %d, want 1000 + 8×30", got)
	}
}

// TestMemoryBoundRule checks the ridge-point rule, including rows just on
// either side of the ridge and a device without a bandwidth ceiling.
func TestMemoryBoundRule(t *testing.T) {
	c := ceilings.Row{Device: "cpu", PeakGFLOPS: 100, BandwidthGBs: 10, Method: ceilings.MethodMeasured}
	if r, ok := analyse.Ridge(c); !ok || r != 10 {
		t.Fatalf("ridge %v %v, want 10", r, ok)
	}
	for _, tc := range []struct {
		intensity float64
		bound     bool
	}{{9.99, true}, {10, false}, {250, false}, {0.5, true}} {
		got, ok := analyse.MemoryBound(analyse.RooflineRow{Intensity: tc.intensity}, c)
		if !ok || got != tc.bound {
			t.Errorf("intensity %v: memory-bound %v (ok %v), want %v", tc.intensity, got, ok, tc.bound)
		}
	}
	// Without a measured bandwidth the rule cannot decide.
	if _, ok := analyse.MemoryBound(analyse.RooflineRow{Intensity: 1}, ceilings.Nominal("gpu", 5000)); ok {
		t.Error("a nominal ceiling without bandwidth decided memory-bound")
	}
}

// TestRooflineFinding names the memory-bound model at batch 1 and at its
// best batch, and says when a device has no ridge point.
func TestRooflineFinding(t *testing.T) {
	in := rooflineInputs()
	// thin: intensity 1e8 / (1e8 + 1e7) < 10, memory-bound; dense: 4e9 / (4000 + 2e6) ≫ 10.
	res := run(t, in, analyse.Config{})
	f := res.Findings[len(res.Findings)-1]
	if f.ID != 8 || f.Verdict != analyse.Observation {
		t.Fatalf("last finding %d %q, want 8 observation", f.ID, f.Verdict)
	}
	for _, want := range []string{"ridge 10.0 FLOP/byte", "memory-bound at batch 1: 1 of 2 models (thin)", "at the best batch: 1 of 2 (thin (batch 1))"} {
		if !strings.Contains(f.Evidence, want) {
			t.Errorf("evidence %q lacks %q", f.Evidence, want)
		}
	}
	in.Ceilings = []ceilings.Row{ceilings.Nominal("cpu", 100)}
	res = run(t, in, analyse.Config{})
	if f := res.Findings[len(res.Findings)-1]; !strings.Contains(f.Evidence, "no measured bandwidth") {
		t.Errorf("evidence without bandwidth: %q", f.Evidence)
	}
}

// TestAboveCeilingWarns keeps a row above the peak unclipped and warns.
func TestAboveCeilingWarns(t *testing.T) {
	in := rooflineInputs()
	in.Ceilings[0].PeakGFLOPS = 60 // dense at batch 4 achieves 80
	res := run(t, in, analyse.Config{})
	var found bool
	for _, w := range res.Warnings {
		if w.Stage == "roofline" && w.Model == "dense" && w.Batch == 4 && strings.Contains(w.Message, "above the device's measured compute ceiling") {
			found = true
		}
	}
	if !found {
		t.Errorf("no warning for 80 GFLOP/s above a 60 GFLOP/s ceiling: %+v", res.Warnings)
	}
	if e := res.Roofline[1].Efficiency; !near(e, 80.0/60) {
		t.Errorf("efficiency %v, want 80/60 unclipped", e)
	}
}

// TestRooflineNoCeilings warns and leaves the device out.
func TestRooflineNoCeilings(t *testing.T) {
	in := rooflineInputs()
	in.Ceilings = nil
	res := run(t, in, analyse.Config{})
	if len(res.Roofline) != 0 {
		t.Errorf("roofline rows without ceilings: %+v", res.Roofline)
	}
	var found bool
	for _, w := range res.Warnings {
		found = found || (w.Stage == "roofline" && w.Device == "cpu" && strings.Contains(w.Message, "no ceilings"))
	}
	if !found {
		t.Errorf("no warning for a device without ceilings: %+v", res.Warnings)
	}
}

// TestRooflineCSVColumns pins analysis/roofline.csv's header.
func TestRooflineCSVColumns(t *testing.T) {
	var buf bytes.Buffer
	if err := (analyse.Table{Name: "roofline.csv", Rows: []analyse.RooflineRow{{Model: "m"}}}).WriteCSV(&buf); err != nil {
		t.Fatal(err)
	}
	header, _, _ := strings.Cut(buf.String(), "\n")
	if want := "model,device,batch,flops,bytes,intensity_flop_per_byte,achieved_gflops,peak_gflops,efficiency"; header != want {
		t.Errorf("header %q, want %q", header, want)
	}
}

// TestRooflineNoBytes warns about a model whose flops row counted no bytes.
func TestRooflineNoBytes(t *testing.T) {
	in := rooflineInputs()
	in.Flops[1].WeightBytes, in.Flops[1].IOBytesPerImage = 0, 0
	res := run(t, in, analyse.Config{})
	for _, r := range res.Roofline {
		if r.Model == "thin" {
			t.Errorf("thin placed without bytes: %+v", r)
		}
	}
	var found bool
	for _, w := range res.Warnings {
		found = found || (w.Stage == "roofline" && w.Model == "thin" && strings.Contains(w.Message, "no bytes moved"))
	}
	if !found {
		t.Errorf("no warning for a model without bytes: %+v", res.Warnings)
	}
}
