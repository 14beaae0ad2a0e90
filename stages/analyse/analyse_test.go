package analyse_test

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dnnbench/dnnbench/internal/csvtable"
	"github.com/dnnbench/dnnbench/internal/golden"

	"github.com/dnnbench/dnnbench/stages/accuracy"
	"github.com/dnnbench/dnnbench/stages/analyse"
	"github.com/dnnbench/dnnbench/stages/analyse/analysetest"
	"github.com/dnnbench/dnnbench/stages/flops"
	"github.com/dnnbench/dnnbench/stages/memory"
	"github.com/dnnbench/dnnbench/stages/timing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// small builds hand-checkable tables: models a..e on device "d".
//
//	model  params  GFLOPs  top1  FPS(b1)  peak(b1) bytes
//	a      1e6     1       60    100      0.3e9
//	b      2e6     2       70    50       0.5e9
//	c      3e6     3       65    40       0.7e9   (dominated on every axis by b)
//	d      4e6     4       80    20       0.9e9
//	e      5e6     5       80    10       1.1e9   (dominated by d: same top-1, more cost)
func small() analyse.Inputs {
	var in analyse.Inputs
	rows := []struct {
		name string
		n    int64
		top1 float64
		fps  float64
	}{{"a", 1, 60, 100}, {"b", 2, 70, 50}, {"c", 3, 65, 40}, {"d", 4, 80, 20}, {"e", 5, 80, 10}}
	for _, r := range rows {
		in.Flops = append(in.Flops, flops.Row{Model: r.name, Params: r.n * 1e6, FLOPs: r.n * 1e9, MACs: r.n * 5e8})
		in.Accuracy = append(in.Accuracy, accuracy.Row{Model: r.name, Crop: "center", Top1: r.top1, Top5: r.top1 + 15, Source: "published:test"})
		in.Timing = append(in.Timing, timing.Row{Model: r.name, Device: "d", Batch: 1, Status: "ok", FPS: r.fps, MsPerImage: 1000 / r.fps, LatencyMsMedian: 1000 / r.fps})
		// Memory is exactly 200 bytes per parameter + 0.1 GB.
		in.Memory = append(in.Memory, memory.Row{Model: r.name, Device: "d", Batch: 1, Status: "ok", PeakBytes: r.n*200e6 + 1e8})
	}
	return in
}

func run(t *testing.T, in analyse.Inputs, cfg analyse.Config) *analyse.Result {
	t.Helper()
	res, err := analyse.Run(context.Background(), cfg, in)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return res
}

func frontModels(res *analyse.Result, device, axis string) string {
	var names []string
	for _, f := range res.Fronts {
		if f.Device == device && f.Axis == axis {
			names = append(names, f.Model)
		}
	}
	return strings.Join(names, ",")
}

func TestParetoFronts(t *testing.T) {
	res := run(t, small(), analyse.Config{})
	for _, c := range []struct{ device, axis, want string }{
		{"", "flops", "a,b,d"},
		{"d", "memory", "a,b,d"},
		// FPS front is listed from cheapest (fastest) to most accurate.
		{"d", "fps", "a,b,d"},
	} {
		if got := frontModels(res, c.device, c.axis); got != c.want {
			t.Errorf("front %q/%q = %s, want %s", c.device, c.axis, got, c.want)
		}
	}
}

func TestConstraintTable(t *testing.T) {
	res := run(t, small(), analyse.Config{MemoryGB: []float64{0.2, 0.6, 1.0}, FPS: []float64{15, 45}, TopN: 2})
	got := map[[2]float64][]string{}
	notes := map[[2]float64]string{}
	for _, c := range res.Constraints {
		k := [2]float64{c.MemoryGB, c.FPS}
		if c.Rank == 0 {
			notes[k] = c.Note
			continue
		}
		got[k] = append(got[k], c.Model)
	}
	want := map[[2]float64]string{
		{0.6, 15}: "b,a", // a, b fit in 0.6 GB; c (0.7 GB) does not
		{0.6, 45}: "b,a", // both ≥ 45 FPS
		{1.0, 15}: "d,b", // d (80%), then b (70%): top 2 of a, b, c, d
		{1.0, 45}: "b,a", // c (40 FPS) and d (20 FPS) are too slow
		{0.2, 15}: "",    // nothing fits in 0.2 GB
		{0.2, 45}: "",    //
	}
	for k, w := range want {
		if g := strings.Join(got[k], ","); g != w {
			t.Errorf("cell %v GB, %v FPS = %q, want %q", k[0], k[1], g, w)
		}
		if w == "" && !strings.Contains(notes[k], "no model") {
			t.Errorf("empty cell %v has note %q, want one that says no model qualifies", k, notes[k])
		}
		if w != "" && notes[k] != "" {
			t.Errorf("filled cell %v has a note %q", k, notes[k])
		}
	}
}

func TestMemoryFit(t *testing.T) {
	res := run(t, small(), analyse.Config{})
	if len(res.MemoryFits) != 1 {
		t.Fatalf("got %d fits, want 1", len(res.MemoryFits))
	}
	f := res.MemoryFits[0]
	if f.N != 5 || math.Abs(f.Slope-200) > 1e-6 || math.Abs(f.Intercept-1e8) > 1 || math.Abs(f.R2-1) > 1e-9 {
		t.Errorf("fit = %+v, want n 5, slope 200 B/param, intercept 1e8 B, R² 1", f)
	}
}

func TestMemoryFitTooFewModels(t *testing.T) {
	in := small()
	in.Memory = in.Memory[:2]
	res := run(t, in, analyse.Config{})
	if f := res.MemoryFits[0]; f.Note == "" || f.Slope != 0 {
		t.Errorf("fit on 2 points = %+v, want zero numbers and a note", f)
	}
}

func TestCorrelations(t *testing.T) {
	res := run(t, small(), analyse.Config{})
	// top1 ranks 1,3,2,4.5,4.5 against FLOPs ranks 1..5: ρ = 0.8721 (by hand:
	// Pearson of (1,3,2,4.5,4.5) and (1,2,3,4,5)).
	want := map[string]float64{"flops": 0.8720816, "params": 0.8720816, "fps_b1": -0.8720816}
	for _, c := range res.Correlations {
		if w, ok := want[c.With]; !ok || math.Abs(c.Rho-w) > 1e-6 {
			t.Errorf("ρ(top1, %s) = %v, want %v", c.With, c.Rho, w)
		}
	}
}

func TestTableCellsCarryReasons(t *testing.T) {
	res := run(t, analysetest.Inputs(), analyse.Config{})
	status := map[string]string{}
	for _, c := range res.Table1 {
		status[c.Device+"/"+c.Model+"/"+itoa(c.Batch)] = c.Status + ":" + c.Reason
	}
	for k, want := range map[string]string{
		"jetson-orin/vgg16/16":      "oom:CUDA failure 2: out of memory",
		"jetson-orin/densenet121/8": "error:onnxruntime: [ONNXRuntimeError] : 1 : FAIL : cudnn",
		"cpu/vgg16/16":              "skipped:batch 16 exceeds the configured max_seconds",
		"cpu/resnet50/1":            "ok:",
	} {
		if status[k] != want {
			t.Errorf("Table 1 %s = %q, want %q", k, status[k], want)
		}
	}
	in := analysetest.Inputs()
	in.Timing = in.Timing[1:] // drop alexnet cpu batch 1
	res = run(t, in, analyse.Config{})
	for _, c := range res.Table1 {
		if c.Device == "cpu" && c.Model == "alexnet" && c.Batch == 1 && c.Status != analyse.StatusNotRun {
			t.Errorf("missing row gives status %q, want %q", c.Status, analyse.StatusNotRun)
		}
	}
}

func itoa(v int64) string { return csvtable.FormatFloat(float64(v), 64, csvtable.Sig10) }

func TestFindingsOnFixture(t *testing.T) {
	res := run(t, analysetest.Inputs(), analyse.Config{})
	if len(res.Findings) != 8 {
		t.Fatalf("got %d findings, want the paper's 7 and the roofline's", len(res.Findings))
	}
	want := []string{analyse.PartlySupported, analyse.PartlySupported, analyse.Supported, analyse.PartlySupported, analyse.Supported, analyse.NotEnoughData, analyse.NotComparable, analyse.Observation}
	for i, f := range res.Findings {
		if f.Verdict != want[i] {
			t.Errorf("finding %d verdict %q, want %q (evidence: %s)", f.ID, f.Verdict, want[i], f.Evidence)
		}
		if f.Evidence == "" || f.Claim == "" || f.Citation == "" {
			t.Errorf("finding %d lacks evidence, claim or citation: %+v", f.ID, f)
		}
	}
}

func TestAccuracyPrefersMeasured(t *testing.T) {
	res := run(t, analysetest.Inputs(), analyse.Config{})
	for _, m := range res.Models {
		if m.Model == "resnet50" && (m.AccuracySource != "measured" || m.Top1 != 76.02) {
			t.Errorf("resnet50 accuracy = %v from %q, want the measured 76.02", m.Top1, m.AccuracySource)
		}
		if m.Model == "edge<cnn>&v2" && m.HasAccuracy {
			t.Errorf("edge<cnn>&v2 has an accuracy, want none")
		}
	}
}

func TestBadInputs(t *testing.T) {
	in := small()
	in.Accuracy[0].Top1 = 120
	if _, err := analyse.Run(context.Background(), analyse.Config{}, in); err == nil || !strings.Contains(err.Error(), "a: top-1 120") {
		t.Errorf("top-1 of 120%%: err = %v, want one naming the model", err)
	}
	if _, err := analyse.Run(context.Background(), analyse.Config{FPS: []float64{-1}}, small()); err == nil || !strings.Contains(err.Error(), "fps -1") {
		t.Errorf("negative FPS floor: err = %v", err)
	}
	if _, err := analyse.Run(context.Background(), analyse.Config{}, analyse.Inputs{}); err != analyse.ErrNoModels {
		t.Errorf("empty inputs: err = %v, want ErrNoModels", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := analyse.Run(ctx, analyse.Config{}, small()); err != context.Canceled {
		t.Errorf("cancelled context: err = %v, want context.Canceled", err)
	}
}

func TestWarningsCollected(t *testing.T) {
	res := run(t, analysetest.Inputs(), analyse.Config{})
	stages := map[string]bool{}
	for _, w := range res.Warnings {
		stages[w.Stage] = true
	}
	for _, s := range []string{"analyse", "flops", "accuracy", "timing", "memory"} {
		if !stages[s] {
			t.Errorf("no warning from stage %s", s)
		}
	}
}

// TestCSVGolden compares every exported table of the fixture with testdata/csv/.
func TestCSVGolden(t *testing.T) {
	res := run(t, analysetest.Inputs(), analyse.Config{})
	for _, tab := range res.Tables() {
		var got bytes.Buffer
		if err := tab.WriteCSV(&got); err != nil {
			t.Fatal(err)
		}
		golden.Check(t, filepath.Join("testdata", "csv", tab.Name), got.Bytes(), *update)
	}
}

func BenchmarkRun40x2(b *testing.B) {
	in := analysetest.Large(40)
	for b.Loop() {
		if _, err := analyse.Run(context.Background(), analyse.Config{}, in); err != nil {
			b.Fatal(err)
		}
	}
}

func TestNonPositivePeakIsAnError(t *testing.T) {
	in := small()
	in.Memory[0].PeakBytes = 0
	res := run(t, in, analyse.Config{})
	if f := res.MemoryFits[0]; f.N != 4 {
		t.Errorf("fit over %d models, want 4 (model a has no usable peak)", f.N)
	}
	found := false
	for _, w := range res.Warnings {
		found = found || (w.Model == "a" && strings.Contains(w.Message, "not above the baseline"))
	}
	if !found {
		t.Errorf("no warning about model a's zero peak: %+v", res.Warnings)
	}
	for _, c := range res.Table2 {
		if c.Model == "a" && c.Status != analyse.StatusError {
			t.Errorf("Table 2 cell of a: %q, want error", c.Status)
		}
	}
}

// TestUnstableCellsAreMarked follows the fixture's two unstable timing
// cells (resnet18 at batch 1 on a busy host, vgg16 at batch 4 with
// disagreeing rounds) into Table 1, the batch-1 rows, Table 3 and the
// device summary.
func TestUnstableCellsAreMarked(t *testing.T) {
	res, err := analyse.Run(context.Background(), analyse.Config{}, analysetest.Inputs())
	if err != nil {
		t.Fatal(err)
	}
	var unstable []string
	for _, c := range res.Table1 {
		if !c.Stable {
			unstable = append(unstable, fmt.Sprintf("%s/%s/%d", c.Device, c.Model, c.Batch))
			if c.Unstable == "" || c.Status != analyse.StatusOK {
				t.Errorf("%s %s %d: unstable without a reason (%q) or not ok (%s)", c.Device, c.Model, c.Batch, c.Unstable, c.Status)
			}
		}
	}
	if got := strings.Join(unstable, " "); got != "cpu/resnet18/1 cpu/vgg16/4" {
		t.Errorf("unstable Table 1 cells %q, want cpu/resnet18/1 cpu/vgg16/4", got)
	}
	for _, r := range res.DeviceModels {
		if want := !(r.Device == "cpu" && r.Model == "resnet18"); r.TimingStable != want {
			t.Errorf("%s %s: batch-1 timing stable %v, want %v", r.Device, r.Model, r.TimingStable, want)
		}
	}
	marked := 0
	for _, c := range res.Constraints {
		if c.Rank > 0 && c.Model == "resnet18" && c.Device == "cpu" {
			marked++
			if c.TimingStable {
				t.Errorf("Table 3 %v GB %v FPS: resnet18's unstable speed not marked", c.MemoryGB, c.FPS)
			}
		}
	}
	if marked == 0 {
		t.Error("resnet18 is in no Table 3 cell on cpu; the fixture no longer tests the mark")
	}
	d := res.DeviceInfo[0]
	if d.Device != "cpu" || d.UnstableCells != 2 || d.StableCells != 42 || d.Rounds != 3 || d.LoadedRounds != 9 || d.OtherCPUMax != 1.02 {
		t.Errorf("cpu summary %+v; want 2 unstable of 44 cells, 3 rounds, 9 loaded rounds, up to 1.02 cores", d)
	}
	for _, f := range res.Findings {
		if (f.ID == 4 || f.ID == 6) && !strings.Contains(f.Evidence, "resnet18 on cpu") {
			t.Errorf("finding %d does not say it uses resnet18's unstable speed: %s", f.ID, f.Evidence)
		}
	}
}

// TestFailedAccuracy: a measured row that failed (too many unreadable
// images) gives no accuracy, keeps its reason, and is warned about.
func TestFailedAccuracy(t *testing.T) {
	in := analysetest.Inputs()
	const why = "1 of 50 images (2.00%) could not be read, more than accuracy.max_skipped 1%"
	var kept []accuracy.Row
	for _, a := range in.Accuracy {
		if a.Model == "resnet50" {
			if a.Source != "measured" {
				continue
			}
			a.Status, a.Error, a.Top1, a.Top5, a.Top1CI95 = accuracy.StatusError, why, 0, 0, 0
		}
		kept = append(kept, a)
	}
	in.Accuracy = kept
	res := run(t, in, analyse.Config{})
	for _, m := range res.Models {
		if m.Model == "resnet50" && (m.HasAccuracy || m.AccuracyError != why) {
			t.Errorf("resnet50: has accuracy %v, error %q; want none and the reason kept", m.HasAccuracy, m.AccuracyError)
		}
		if m.Model == "alexnet" && (!m.HasAccuracy || m.AccuracyError != "") {
			t.Errorf("alexnet: %+v, want its published accuracy", m)
		}
	}
	found := false
	for _, w := range res.Warnings {
		if w.Model == "resnet50" && w.Stage == "accuracy" && strings.Contains(w.Message, "center crop failed: "+why) {
			found = true
		}
	}
	if !found {
		t.Errorf("no warning names the failure: %+v", res.Warnings)
	}
}

// TestHostNotReproduced: the fixture's CPU cells, timed by two processes
// within 2 % of each other, draw no warning; slowing the second process by
// 30 % in most cells draws one naming the device and the counts.
func TestHostNotReproduced(t *testing.T) {
	res := run(t, analysetest.Inputs(), analyse.Config{})
	d := res.DeviceInfo[0]
	if d.Device != "cpu" || d.CellsTwoProcesses < 4 || d.CellsReproduced != d.CellsTwoProcesses || !(d.ProcessSpreadMedian > 0 && d.ProcessSpreadMedian < 0.02) {
		t.Fatalf("cpu summary %+v: want every two-process cell reproduced within 2%%", d)
	}
	for _, w := range res.Warnings {
		if w.Code == "timing-not-reproduced" {
			t.Errorf("reproduced timings warned about: %s", w)
		}
	}
	in := analysetest.SlowSecondProcess(analysetest.Inputs(), 1.3, d.CellsTwoProcesses-1)
	res = run(t, in, analyse.Config{})
	d = res.DeviceInfo[0]
	if d.CellsReproduced != 1 || d.ProcessSpreadMedian < 0.25 {
		t.Errorf("after slowing: %d of %d cells reproduced, median spread %v; want 1, about 0.3", d.CellsReproduced, d.CellsTwoProcesses, d.ProcessSpreadMedian)
	}
	var got []string
	for _, w := range res.Warnings {
		if w.Code == "timing-not-reproduced" {
			got = append(got, w.String())
		}
	}
	want := fmt.Sprintf("only 1 of %d cells", d.CellsTwoProcesses)
	if len(got) != 1 || !strings.Contains(got[0], "cpu") || !strings.Contains(got[0], want) {
		t.Errorf("warnings %q: want one about cpu saying %q", got, want)
	}
}
