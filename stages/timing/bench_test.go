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

// BenchmarkHarnessOverhead compares the harness's timing loop (measure, as
// the worker runs it) with a minimal loop that times Run on the same
// session and batch. Each benchmark iteration is one round: a harness
// sample and a minimal-loop sample back to back. Reported: median ms per
// image of each and the harness's overhead in percent (median of the paired
// ratios); the target is |overhead| ≤ 2%. On a busy machine rerun it.
//
//	go test ./stages/timing -run '^$' -bench HarnessOverhead -benchtime 20x
func BenchmarkHarnessOverhead(b *testing.B) {
	lib, err := onnxrt.Locate("")
	if err != nil {
		b.Fatalf("ONNX Runtime is needed (run 'make setup'): %v", err)
	}
	if _, err := onnxrt.Init(lib); err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	for _, arch := range []string{"resnet18", "squeezenet1_1"} {
		path := filepath.Join(dir, arch+".onnx")
		if _, err := zoo.Build(arch, path, zoo.DefaultSeed); err != nil {
			b.Fatal(err)
		}
		sess, err := onnxrt.NewSession(path, onnxrt.Options{IntraOpThreads: 1})
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
				for range 3 { // warm up the session at this shape
					if err := batch.Run(); err != nil {
						b.Fatal(err)
					}
				}
				// Each round takes one harness sample and one minimal-loop
				// sample back to back (order alternating), so both see the
				// same machine load; the overhead is the median of the
				// paired ratios.
				var harness, minimal, ratios []float64
				harnessSample := func() float64 {
					m, err := measure(context.Background(), batch.Run, 0, 1, 0)
					if err != nil {
						b.Fatal(err)
					}
					return m.SamplesMs[0]
				}
				minimalSample := func() float64 {
					t0 := time.Now()
					if err := batch.Run(); err != nil {
						b.Fatal(err)
					}
					return ms(time.Since(t0))
				}
				b.ResetTimer()
				for i := range b.N {
					var h, l float64
					if i%2 == 0 {
						h = harnessSample()
						l = minimalSample()
					} else {
						l = minimalSample()
						h = harnessSample()
					}
					harness, minimal, ratios = append(harness, h), append(minimal, l), append(ratios, h/l)
				}
				b.StopTimer()
				hs, err := Summarize(harness)
				if err != nil {
					b.Fatal(err)
				}
				ls, err := Summarize(minimal)
				if err != nil {
					b.Fatal(err)
				}
				rs, err := Summarize(ratios)
				if err != nil {
					b.Fatal(err)
				}
				overhead := 100 * (rs.Median - 1)
				b.ReportMetric(hs.Median/float64(n), "harness-ms/img")
				b.ReportMetric(ls.Median/float64(n), "loop-ms/img")
				b.ReportMetric(overhead, "overhead-%")
				if b.N >= 10 && (overhead > 2 || overhead < -2) {
					b.Errorf("%s batch %d: harness median %.3f ms/img vs minimal loop %.3f ms/img: %.2f%% (target ±2%%)",
						arch, n, hs.Median/float64(n), ls.Median/float64(n), overhead)
				}
			})
		}
		sess.Close()
	}
}
