package timing

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/dnnbench/dnnbench/internal/onnxrt"
	"github.com/dnnbench/dnnbench/stages/models/zoo"
)

// BenchmarkHarnessOverhead compares the latency the timing stage reports
// with a bare Run loop on the same model, batch and session options. Each
// benchmark iteration is one round of two arms, in alternating order so
// both see the same machine load:
//
//   - stage: a Sweep of the model at that batch, as the pipeline runs it: a
//     child process re-executing the test binary as the worker, its
//     session, warm-up and timed runs, the JSON events back to the parent,
//     and the row's median latency;
//   - loop: in this process, on a session of its own, the same number of
//     warm-up runs and then Run timed alone, back to back; its median.
//
// Reported: the median ms per image of each arm and the stage's overhead in
// percent, the median of the paired ratios with its 95% interval; the
// target is |overhead| ≤ 2%. It fails when the interval lies wholly outside
// ±2%. A round costs a child process and a session (about a second), so
// 60 rounds of the four cases take several minutes; on a busy machine the
// interval is wide: rerun it when the machine is idle.
//
//	go test ./stages/timing -run '^$' -bench HarnessOverhead -benchtime 60x
func BenchmarkHarnessOverhead(b *testing.B) {
	cfg := testConfig(b)
	cfg.Warmup, cfg.Runs, cfg.MinSeconds = 3, 10, 0
	if _, err := onnxrt.Init(cfg.LibPath); err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	for _, arch := range []string{"squeezenet1_1", "resnet18"} {
		path := filepath.Join(dir, arch+".onnx")
		if _, err := zoo.Build(arch, path, zoo.DefaultSeed); err != nil {
			b.Fatal(err)
		}
		sess, err := onnxrt.NewSession(path, cfg.Session)
		if err != nil {
			b.Fatal(err)
		}
		for _, n := range []int{1, 8} {
			b.Run(fmt.Sprintf("%s/batch=%d", arch, n), func(b *testing.B) {
				batch, err := sess.NewBatch(n)
				if err != nil {
					b.Fatal(err)
				}
				defer batch.Close()
				Fill(batch.Input())
				stage := func() float64 {
					res, err := Run(context.Background(), cfg, Inputs{Model: Model{Name: arch, Path: path}, Batches: []int{n}})
					if err != nil {
						b.Fatal(err)
					}
					row := res.Rows[0]
					if row.Status != "ok" || len(row.SamplesMs) < cfg.Runs {
						b.Fatalf("%s batch %d: status %q, %d samples: %s", arch, n, row.Status, len(row.SamplesMs), row.Error)
					}
					return row.LatencyMsMedian
				}
				loop := func() float64 {
					for range cfg.Warmup {
						if err := batch.Run(); err != nil {
							b.Fatal(err)
						}
					}
					samples := make([]float64, cfg.Runs)
					for i := range samples {
						t0 := time.Now()
						if err := batch.Run(); err != nil {
							b.Fatal(err)
						}
						samples[i] = ms(time.Since(t0))
					}
					s, err := Summarize(samples)
					if err != nil {
						b.Fatal(err)
					}
					return s.Median
				}
				var staged, looped, ratios []float64
				b.ResetTimer()
				for i := range b.N {
					var h, l float64
					if i%2 == 0 {
						h, l = stage(), loop()
					} else {
						l, h = loop(), stage()
					}
					staged, looped, ratios = append(staged, h), append(looped, l), append(ratios, h/l)
				}
				b.StopTimer()
				hs, err := Summarize(staged)
				if err != nil {
					b.Fatal(err)
				}
				ls, err := Summarize(looped)
				if err != nil {
					b.Fatal(err)
				}
				rs, err := Summarize(ratios)
				if err != nil {
					b.Fatal(err)
				}
				overhead := 100 * (rs.Median - 1)
				b.ReportMetric(hs.Median/float64(n), "stage-ms/img")
				b.ReportMetric(ls.Median/float64(n), "loop-ms/img")
				b.ReportMetric(overhead, "overhead-%")
				if b.N >= 6 { // the interval of the median needs 6 pairs
					b.ReportMetric(100*(rs.CILow-1), "ci-low-%")
					b.ReportMetric(100*(rs.CIHigh-1), "ci-high-%")
				}
				// Fail only when the data show the stage off by more than 2%:
				// the whole 95% interval outside ±2%.
				if b.N >= 10 && (rs.CILow > 1.02 || rs.CIHigh < 0.98) {
					b.Errorf("%s batch %d: stage median %.3f ms/img vs bare loop %.3f ms/img: %.2f%% [%.2f%%, %.2f%%] (target ±2%%)",
						arch, n, hs.Median/float64(n), ls.Median/float64(n), overhead, 100*(rs.CILow-1), 100*(rs.CIHigh-1))
				}
			})
		}
		sess.Close()
	}
}

// BenchmarkHarnessAddedTime isolates what the harness adds inside the timed
// interval, free of model noise: both loops time a call that does nothing,
// so any difference between their medians is the harness's own cost per
// sample, in nanoseconds. Divided by a model's latency it bounds the
// harness's relative overhead (e.g. 50 ns on a 5 ms run is 0.001%).
//
//	go test ./stages/timing -run '^$' -bench HarnessAddedTime
func BenchmarkHarnessAddedTime(b *testing.B) {
	noop := func() error { return nil }
	const per = 1000
	var harness, minimal []float64
	for range b.N {
		m, err := measure(context.Background(), noop, 0, per, 0)
		if err != nil {
			b.Fatal(err)
		}
		harness = append(harness, m.SamplesMs...)
		for range per {
			t0 := time.Now()
			if err := noop(); err != nil {
				b.Fatal(err)
			}
			minimal = append(minimal, ms(time.Since(t0)))
		}
	}
	hs, err := Summarize(harness)
	if err != nil {
		b.Fatal(err)
	}
	ls, err := Summarize(minimal)
	if err != nil {
		b.Fatal(err)
	}
	added := (hs.Median - ls.Median) * 1e6 // ns
	b.ReportMetric(hs.Median*1e6, "harness-ns/sample")
	b.ReportMetric(ls.Median*1e6, "loop-ns/sample")
	b.ReportMetric(added, "added-ns")
	// 2% of the fastest default-config model at batch 1 (≈ 2 ms) is 40 µs.
	if added > 40_000 {
		b.Errorf("the harness adds %.0f ns per timed run, more than 2%% of a 2 ms run", added)
	}
}
