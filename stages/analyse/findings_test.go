package analyse_test

import (
	"strings"
	"testing"

	"github.com/dnnbench/dnnbench/stages/accuracy"
	"github.com/dnnbench/dnnbench/stages/analyse"
	"github.com/dnnbench/dnnbench/stages/flops"
	"github.com/dnnbench/dnnbench/stages/memory"
	"github.com/dnnbench/dnnbench/stages/timing"
)

// line builds n models whose top-1, FLOPs, params, speed and memory all rise
// together in a straight line: the opposite of the paper's findings 1–4.
func line(n int, device string, floorBytes int64) analyse.Inputs {
	var in analyse.Inputs
	for i := 1; i <= n; i++ {
		name := string(rune('a' + i - 1))
		in.Flops = append(in.Flops, flops.Row{Model: name, Params: int64(i) * 1e6, FLOPs: int64(i) * 1e9})
		in.Accuracy = append(in.Accuracy, accuracy.Row{Model: name, Crop: "center", Top1: 50 + float64(i), Source: "measured"})
		// Faster models are more accurate, so throughput bounds nothing.
		in.Timing = append(in.Timing, timing.Row{Model: name, Device: device, Batch: 1, Status: "ok", FPS: 10 + float64(i), MsPerImage: 1000 / (10 + float64(i))})
		in.Memory = append(in.Memory, memory.Row{Model: name, Device: device, Batch: 1, Status: "ok", PeakBytes: floorBytes + int64(i)*1e6})
	}
	return in
}

func verdicts(t *testing.T, in analyse.Inputs) []analyse.Finding {
	t.Helper()
	res, err := analyse.Run(in, analyse.Config{})
	if err != nil {
		t.Fatal(err)
	}
	return res.Findings
}

func TestFindingsContradicted(t *testing.T) {
	fs := verdicts(t, line(5, "d", 1e8))
	want := map[int]string{
		1: analyse.Contradicted, // accuracy rises with every extra FLOP
		2: analyse.Contradicted, // exactly linear
		4: analyse.Contradicted, // the most accurate model is also the fastest
		5: analyse.Supported,    // memory is exactly linear in params
		6: analyse.Inconclusive, // one device only
		7: analyse.Contradicted, // 0.1 GB floor
	}
	for id, w := range want {
		if got := fs[id-1].Verdict; got != w {
			t.Errorf("finding %d: %s, want %s (%s)", id, got, w, fs[id-1].Evidence)
		}
	}
	// Density: 51/1, 52/2 … 55/5 %/M: a factor of 51/11 = 4.6, so still supported.
	if fs[2].Verdict != analyse.Supported || !strings.Contains(fs[2].Evidence, "factor of 4.6") {
		t.Errorf("finding 3: %s (%s)", fs[2].Verdict, fs[2].Evidence)
	}
}

func TestFindingsNotTested(t *testing.T) {
	in := line(2, "d", 1e9)
	in.Timing, in.Memory = nil, nil
	for _, f := range verdicts(t, in) {
		if f.ID == 3 {
			continue // two models suffice for a density spread
		}
		if f.Verdict != analyse.NotTested {
			t.Errorf("finding %d with 2 models and no timing: %s, want %s (%s)", f.ID, f.Verdict, analyse.NotTested, f.Evidence)
		}
	}
}

func TestFindingFloorAndRealTime(t *testing.T) {
	a := line(5, "gpu", 7e8)
	b := line(5, "board", 7e8)
	// The board runs every model below 30 FPS, the GPU every model above.
	for i := range a.Timing {
		a.Timing[i].FPS += 100
		b.Timing[i].FPS /= 10
	}
	in := a
	in.Timing = append(in.Timing, b.Timing...)
	in.Memory = append(in.Memory, b.Memory...)
	fs := verdicts(t, in)
	if fs[5].Verdict != analyse.Supported {
		t.Errorf("finding 6: %s, want supported (%s)", fs[5].Verdict, fs[5].Evidence)
	}
	if fs[6].Verdict != analyse.Supported || !strings.Contains(fs[6].Evidence, "smallest 0.701 GB") {
		t.Errorf("finding 7: %s, want supported with a 0.701 GB floor (%s)", fs[6].Verdict, fs[6].Evidence)
	}
}
