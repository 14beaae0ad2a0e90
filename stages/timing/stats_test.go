package timing

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"time"
)

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b)) }

func TestSummarizeKnownSample(t *testing.T) {
	// 1..10 shuffled. numpy: median 5.5, percentile 90 → 9.1, 99 → 9.91,
	// mean 5.5, std (ddof=1) 3.0276503540974917. The distribution-free 95%
	// interval of the median for n = 10 is [x(2), x(9)] = [2, 9].
	xs := []float64{7, 3, 10, 1, 5, 9, 2, 8, 6, 4}
	orig := append([]float64(nil), xs...)
	s, err := Summarize(xs)
	if err != nil {
		t.Fatal(err)
	}
	want := Stats{N: 10, Median: 5.5, P90: 9.1, P99: 9.91, Min: 1, Max: 10, Mean: 5.5,
		StdDev: 3.0276503540974917, CILow: 2, CIHigh: 9, CV: 3.0276503540974917 / 5.5}
	for _, c := range []struct {
		name      string
		got, want float64
	}{
		{"median", s.Median, want.Median}, {"p90", s.P90, want.P90}, {"p99", s.P99, want.P99},
		{"min", s.Min, want.Min}, {"max", s.Max, want.Max}, {"mean", s.Mean, want.Mean},
		{"stddev", s.StdDev, want.StdDev}, {"ci low", s.CILow, want.CILow}, {"ci high", s.CIHigh, want.CIHigh},
		{"cv", s.CV, want.CV},
	} {
		if !near(c.got, c.want) {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	if s.N != 10 {
		t.Errorf("n = %d", s.N)
	}
	if len(s.Warnings) != 1 || !strings.Contains(s.Warnings[0], "coefficient of variation 55.0% > 10%") {
		t.Errorf("warnings %q, want one large-spread warning", s.Warnings)
	}
	for i := range xs {
		if xs[i] != orig[i] {
			t.Fatalf("Summarize reordered its input")
		}
	}
}

func TestSummarizeFewTightSamples(t *testing.T) {
	// Five samples within 1%: no spread warning, but too few for a 95%
	// interval of the median (benchmath needs ≥ 6) and below MinSamples.
	s, err := Summarize([]float64{10.0, 10.1, 9.9, 10.05, 9.95})
	if err != nil {
		t.Fatal(err)
	}
	if s.Median != 10.0 || !near(s.P90, 10.08) || s.Min != 9.9 {
		t.Errorf("median %v p90 %v min %v; want 10, 10.08, 9.9", s.Median, s.P90, s.Min)
	}
	if !math.IsNaN(s.CILow) || !math.IsNaN(s.CIHigh) {
		t.Errorf("interval [%v, %v]; want NaN with 5 samples", s.CILow, s.CIHigh)
	}
	all := strings.Join(s.Warnings, "; ")
	for _, w := range []string{"few samples: 5 < 10", "need >= 6 samples for confidence interval"} {
		if !strings.Contains(all, w) {
			t.Errorf("warnings %q lack %q", all, w)
		}
	}
	if strings.Contains(all, "spread") {
		t.Errorf("tight samples flagged for spread: %q", all)
	}
}

func TestSummarizeOneSampleAndBadInput(t *testing.T) {
	s, err := Summarize([]float64{4})
	if err != nil {
		t.Fatal(err)
	}
	if s.Median != 4 || s.P99 != 4 || s.StdDev != 0 || s.CV != 0 {
		t.Errorf("one sample: %+v", s)
	}
	if _, err := Summarize(nil); err == nil {
		t.Error("no samples: want an error")
	}
	if _, err := Summarize([]float64{1, math.NaN()}); err == nil {
		t.Error("NaN sample: want an error")
	}
}

func TestFillRowDerivesPerImageAndFPS(t *testing.T) {
	r := Row{Batch: 8}
	fill(&r, Stats{Median: 40, P90: 41, P99: 42, Min: 39, Mean: 40.2, CILow: 39.5, CIHigh: 40.5})
	if r.MsPerImage != 5 || r.FPS != 200 || r.LatencyMsCILow != 39.5 {
		t.Errorf("ms/image %v fps %v ci %v; want 5, 200, 39.5", r.MsPerImage, r.FPS, r.LatencyMsCILow)
	}
}

func TestMeasureCounts(t *testing.T) {
	calls := 0
	run := func() error { calls++; return nil }
	m, err := measure(context.Background(), run, 3, 5, 0)
	if err != nil {
		t.Fatal(err)
	}
	if m.Warmup != 3 || len(m.SamplesMs) != 5 || calls != 8 {
		t.Errorf("warmup %d samples %d calls %d; want 3, 5, 8", m.Warmup, len(m.SamplesMs), calls)
	}
	// A minimum duration extends both phases past the counts.
	sleep := func() error { time.Sleep(time.Millisecond); return nil }
	m, err = measure(context.Background(), sleep, 1, 1, 15*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, x := range m.SamplesMs {
		sum += x
	}
	if m.Warmup < 2 || len(m.SamplesMs) < 2 || sum < 15 {
		t.Errorf("warmup %d, %d samples summing to %.1f ms; want both phases ≥ 15 ms", m.Warmup, len(m.SamplesMs), sum)
	}
	// A failing run stops at once with its error.
	boom := errors.New("boom")
	n := 0
	_, err = measure(context.Background(), func() error {
		n++
		if n == 4 {
			return boom
		}
		return nil
	}, 2, 10, 0)
	if !errors.Is(err, boom) || n != 4 {
		t.Errorf("err %v after %d calls; want boom after 4", err, n)
	}
}
