package analyse_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/dnnbench/dnnbench/stages/accuracy"
	"github.com/dnnbench/dnnbench/stages/analyse"
	"github.com/dnnbench/dnnbench/stages/flops"
	"github.com/dnnbench/dnnbench/stages/memory"
	"github.com/dnnbench/dnnbench/stages/timing"
)

// spec is one synthetic model: parameters in millions, GFLOPs and top-1 (%).
type spec struct {
	mparams, gflops, top1 float64
}

// device is one synthetic device: its sampler and, per model, batch-1
// images/s and memory (baseline and peak above it, in bytes).
type device struct {
	name, provider, sampler string
	fps                     func(i int, m spec) float64
	peak                    func(i int, m spec) int64
	baseline                int64
}

func build(ms []spec, devs ...device) analyse.Inputs {
	var in analyse.Inputs
	for i, m := range ms {
		name := fmt.Sprintf("m%02d", i)
		in.Flops = append(in.Flops, flops.Row{Model: name, Params: int64(m.mparams * 1e6), FLOPs: int64(m.gflops * 1e9)})
		in.Accuracy = append(in.Accuracy, accuracy.Row{Model: name, Crop: "center", Top1: m.top1, Source: "measured"})
		for _, d := range devs {
			if d.fps != nil {
				f := d.fps(i, m)
				in.Timing = append(in.Timing, timing.Row{Model: name, Device: d.name, Provider: d.provider, Batch: 1, Status: "ok", FPS: f, MsPerImage: 1000 / f})
			}
			if d.peak != nil {
				in.Memory = append(in.Memory, memory.Row{Model: name, Device: d.name, Batch: 1, Status: "ok", Sampler: d.sampler,
					BaselineBytes: d.baseline, PeakBytes: d.peak(i, m)})
			}
		}
	}
	return in
}

// rising has n models whose accuracy, FLOPs and parameters all rise
// together: the opposite of the paper's findings 1–3.
func rising(n int) []spec {
	ms := make([]spec, n)
	for i := range ms {
		ms[i] = spec{mparams: float64(i + 1), gflops: float64(i + 1), top1: 50 + 2*float64(i)}
	}
	return ms
}

// scattered has n models whose accuracy has nothing to do with their size:
// top-1 cycles through a fixed scramble as FLOPs and parameters grow, and
// smaller models often beat larger ones by several points.
func scattered(n int) []spec {
	ms := make([]spec, n)
	for i := range ms {
		ms[i] = spec{mparams: float64(i + 1), gflops: float64(i+1) / 2, top1: 55 + 3*float64((i*7)%11)}
	}
	return ms
}

func findingsOf(t *testing.T, in analyse.Inputs) []analyse.Finding {
	t.Helper()
	res, err := analyse.Run(context.Background(), analyse.Config{}, in)
	if err != nil {
		t.Fatal(err)
	}
	return res.Findings
}

func wantVerdict(t *testing.T, fs []analyse.Finding, id int, want string) {
	t.Helper()
	if got := fs[id-1].Verdict; got != want {
		t.Errorf("finding %d: %s, want %s (evidence: %s)", id, got, want, fs[id-1].Evidence)
	}
}

func TestFindingsOneToThree(t *testing.T) {
	// Accuracy unrelated to complexity: the paper's view.
	fs := findingsOf(t, build(scattered(30)))
	for id := 1; id <= 3; id++ {
		wantVerdict(t, fs, id, analyse.Supported)
	}
	// Accuracy rising in lockstep with complexity contradicts all three.
	fs = findingsOf(t, build(rising(10)))
	for id := 1; id <= 3; id++ {
		wantVerdict(t, fs, id, analyse.Contradicted)
	}
	if !strings.Contains(fs[0].Evidence, "ρ = 1.00 (95% interval 1.00 to 1.00, 10 models)") {
		t.Errorf("finding 1 evidence lacks ρ and its interval: %s", fs[0].Evidence)
	}
}

func TestFindingOpsPartly(t *testing.T) {
	// Eight models with a weak positive trend: the interval of ρ straddles
	// the threshold, so neither verdict can be claimed.
	ms := []spec{{1, 1, 60}, {2, 2, 70}, {3, 3, 58}, {4, 4, 72}, {5, 5, 66}, {6, 6, 75}, {7, 7, 61}, {8, 8, 74}}
	fs := findingsOf(t, build(ms))
	wantVerdict(t, fs, 1, analyse.PartlySupported)
}

func TestFindingDensityIgnoresNoise(t *testing.T) {
	// Smaller models beat larger ones only by half a point, within the
	// measurement uncertainty: every model is as efficient as the others.
	ms := rising(10)
	for i := range ms {
		ms[i].top1 = 70 + 0.5*float64(i%2)
	}
	fs := findingsOf(t, build(ms))
	wantVerdict(t, fs, 3, analyse.Contradicted)
}

func TestFindingThroughput(t *testing.T) {
	// Faster models less accurate on the device: a speed floor bounds accuracy.
	slower := device{name: "d", provider: "cpu", fps: func(i int, m spec) float64 { return 200 - m.top1 }}
	wantVerdict(t, findingsOf(t, build(rising(8), slower)), 4, analyse.Supported)
	// Faster models more accurate: no bound.
	faster := device{name: "d", provider: "cpu", fps: func(i int, m spec) float64 { return m.top1 }}
	wantVerdict(t, findingsOf(t, build(rising(8), faster)), 4, analyse.Contradicted)
	// One device of each: partly.
	other := faster
	other.name = "e"
	wantVerdict(t, findingsOf(t, build(rising(8), slower, other)), 4, analyse.PartlySupported)
}

func TestFindingMemoryFit(t *testing.T) {
	linear := device{name: "d", sampler: "proc", peak: func(i int, m spec) int64 { return int64(4.2*m.mparams*1e6) + 3e7 }}
	wantVerdict(t, findingsOf(t, build(rising(8), linear)), 5, analyse.Supported)
	// Memory that zigzags regardless of parameters.
	zigzag := device{name: "d", sampler: "proc", peak: func(i int, m spec) int64 { return int64(1e8 + 9e7*float64((i*5)%8)) }}
	wantVerdict(t, findingsOf(t, build(rising(16), zigzag)), 5, analyse.Contradicted)
}

func TestFindingRealTime(t *testing.T) {
	ms := rising(20)
	fast := func(i int, m spec) float64 { return 100 + float64(i) }
	slow := func(i int, m spec) float64 { return 5 + float64(i)/10 }
	mem := func(i int, m spec) int64 { return 1e8 }
	gpu := func(f func(int, spec) float64) device {
		return device{name: "gpu", provider: "cuda", sampler: "nvml", fps: f, peak: mem}
	}
	board := func(f func(int, spec) float64) device {
		return device{name: "board", provider: "cuda", sampler: "tegrastats", fps: f, peak: mem}
	}
	wantVerdict(t, findingsOf(t, build(ms, gpu(fast), board(slow))), 6, analyse.Supported)
	wantVerdict(t, findingsOf(t, build(ms, gpu(slow), board(fast))), 6, analyse.Contradicted)
	wantVerdict(t, findingsOf(t, build(ms, gpu(fast), board(fast))), 6, analyse.PartlySupported)
	// A CPU is neither a high-end GPU nor an embedded board.
	cpu := device{name: "cpu", provider: "cpu", sampler: "proc", fps: fast, peak: mem}
	fs := findingsOf(t, build(ms, cpu, board(slow)))
	wantVerdict(t, fs, 6, analyse.NotEnoughData)
	if !strings.Contains(fs[5].Evidence, "no high-end GPU") {
		t.Errorf("finding 6 evidence does not say what is missing: %s", fs[5].Evidence)
	}
}

func TestFindingFloor(t *testing.T) {
	ms := rising(6)
	small := func(i int, m spec) int64 { return int64(m.mparams*4e6) + 2e7 }
	// Counted as the paper did, the floor is the CUDA context (the nvml
	// baseline, here 0.5 GB) plus the smallest model above it.
	big := device{name: "gpu", provider: "cuda", sampler: "nvml", peak: small, baseline: 5e8}
	fs := findingsOf(t, build(ms, big))
	wantVerdict(t, fs, 7, analyse.Supported)
	if !strings.Contains(fs[6].Evidence, "smallest 0.524 GB (m00, 1.0 M params: CUDA context 0.500 GB + model 0.024 GB)") {
		t.Errorf("finding 7 evidence: %s", fs[6].Evidence)
	}
	lean := big
	lean.baseline = 1e8
	wantVerdict(t, findingsOf(t, build(ms, lean)), 7, analyse.Contradicted)
	// Host memory and a board's shared RAM are not the paper's GPU memory.
	host := device{name: "cpu", sampler: "proc", peak: small, baseline: 3e7}
	board := device{name: "board", sampler: "tegrastats", peak: small, baseline: 2e9}
	fs = findingsOf(t, build(ms, host, board))
	wantVerdict(t, fs, 7, analyse.NotComparable)
	for _, want := range []string{"cpu: not comparable", "board: not comparable"} {
		if !strings.Contains(fs[6].Evidence, want) {
			t.Errorf("finding 7 evidence lacks %q: %s", want, fs[6].Evidence)
		}
	}
}

func TestFindingsNotEnoughData(t *testing.T) {
	in := build(rising(4))
	for _, f := range findingsOf(t, in) {
		if f.ID == 8 { // the roofline observation has no verdict to withhold
			if !strings.Contains(f.Evidence, "no device has both ceilings and timing results") {
				t.Errorf("finding 8 without timing: %s", f.Evidence)
			}
			continue
		}
		if f.Verdict != analyse.NotEnoughData {
			t.Errorf("finding %d with 4 models and no timing or memory: %s, want %s (%s)", f.ID, f.Verdict, analyse.NotEnoughData, f.Evidence)
		}
	}
}

func TestFindingNoVariation(t *testing.T) {
	// Ten models, all with the same accuracy: ρ is undefined, and the
	// evidence says so rather than asking for more models.
	ms := rising(10)
	for i := range ms {
		ms[i].top1 = 70
	}
	fs := findingsOf(t, build(ms))
	wantVerdict(t, fs, 1, analyse.NotEnoughData)
	if !strings.Contains(fs[0].Evidence, "do not vary") {
		t.Errorf("finding 1 evidence: %s", fs[0].Evidence)
	}
}
