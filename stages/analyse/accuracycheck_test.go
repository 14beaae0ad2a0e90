package analyse

import (
	"math"
	"testing"

	"github.com/dnnbench/dnnbench/stages/accuracy"
	"github.com/dnnbench/dnnbench/stages/memory"
)

func TestAccuracyChecks(t *testing.T) {
	pub := func(model string, top1 float64) accuracy.Row {
		return accuracy.Row{Model: model, Crop: "center", Top1: top1, Top5: 90, Source: "published:torchvision:X", Status: accuracy.StatusOK}
	}
	rows := []accuracy.Row{
		// 760 of 1000 measured: interval [73.3, 78.6]; 76.13 is inside.
		{Model: "a", Crop: "center", N: 1000, Top1: 76, Source: "measured", Status: accuracy.StatusOK, DatasetImages: 1000},
		pub("a", 76.13),
		// 1 of 24 on a subset of 50000: published 69.76 is far outside.
		{Model: "b", Crop: "center", N: 24, Top1: 100.0 / 24, Source: "measured", Status: accuracy.StatusOK, DatasetImages: 50000},
		pub("b", 69.76),
		// A failed measurement and a published-only model give no check.
		{Model: "c", Crop: "center", N: 10, Source: "measured", Status: accuracy.StatusError},
		pub("c", 70),
		pub("d", 70),
	}
	got := accuracyChecks(rows)
	if len(got) != 2 || got[0].Model != "a" || got[1].Model != "b" {
		t.Fatalf("checks %+v, want a and b", got)
	}
	a, b := got[0], got[1]
	if !a.Reproduced || a.Subset || math.Abs(a.DiffPoints-(-0.13)) > 1e-9 || !(a.Top1Low < 76 && a.Top1High > 76.13) {
		t.Errorf("a: %+v, want reproduced, not a subset, diff -0.13", a)
	}
	if b.Reproduced || !b.Subset || b.DiffPoints > -65 || b.PublishedSource != "published:torchvision:X" {
		t.Errorf("b: %+v, want not reproduced, a subset, diff about -65.6", b)
	}
	if b.Top1Low < 0 || b.Top1High > 25 {
		t.Errorf("b interval [%g, %g] should be about [0.7, 20]", b.Top1Low, b.Top1High)
	}
}

// A row warning that contains a semicolon stays one warning: rows carry
// lists, never joined strings.
func TestRowWarningsStayWhole(t *testing.T) {
	w := "memory fell by 4096 bytes during session creation; static recorded as 0"
	in := Inputs{Memory: []memory.Row{{Model: "m", Device: "cpu", Batch: 1, Status: StatusOK, PeakBytes: 10, Warnings: []string{w, "second"}}}}
	got := collectWarnings(in, nil)
	var msgs []string
	for _, g := range got {
		if g.Stage == "memory" {
			msgs = append(msgs, g.Message)
		}
	}
	if len(msgs) != 2 || msgs[0] != w || msgs[1] != "second" {
		t.Errorf("memory warnings %q, want the two row warnings whole", msgs)
	}
}
