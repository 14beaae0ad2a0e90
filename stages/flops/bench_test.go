package flops

import (
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// heapSampler records the largest live heap seen while it runs, read from
// runtime/metrics (which does not stop the world) every 100µs.
type heapSampler struct {
	peak atomic.Uint64
	stop chan struct{}
	wg   sync.WaitGroup
}

func heapObjects() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

func startHeapSampler() *heapSampler {
	h := &heapSampler{stop: make(chan struct{})}
	h.peak.Store(heapObjects())
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		tick := time.NewTicker(100 * time.Microsecond)
		defer tick.Stop()
		for {
			select {
			case <-h.stop:
				return
			case <-tick.C:
				if v := heapObjects(); v > h.peak.Load() {
					h.peak.Store(v)
				}
			}
		}
	}()
	return h
}

func (h *heapSampler) finish() uint64 {
	close(h.stop)
	h.wg.Wait()
	if v := heapObjects(); v > h.peak.Load() {
		h.peak.Store(v)
	}
	return h.peak.Load()
}

// benchCount writes a streamed model and times Count on it, reporting the
// peak live heap (absolute and as a fraction of the file size) and the
// bytes allocated per count. It fails when the peak heap reaches maxHeap×file size.
func benchCount(b *testing.B, a *archBuilder, wantMACs int64, maxHeap float64) {
	path := filepath.Join(b.TempDir(), "model.onnx")
	size := a.writeStreamed(b, path)
	a = nil // the builder holds no payload, but drop it before measuring
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	h := startHeapSampler()
	b.ResetTimer()
	for b.Loop() {
		row, _, err := countOne(path, Config{})
		if err != nil {
			b.Fatal(err)
		}
		if row.MACs != wantMACs {
			b.Fatalf("MACs %d, want %d", row.MACs, wantMACs)
		}
	}
	b.StopTimer()
	peak := h.finish()
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(size), "file-B")
	b.ReportMetric(float64(peak), "peak-heap-B")
	b.ReportMetric(float64(peak)/float64(size), "peak-heap/file")
	b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/float64(b.N), "alloc-B/op")
	if float64(peak) >= maxHeap*float64(size) {
		b.Fatalf("peak heap %d B is %.3f× the %d B file; the target is < %.1f×", peak, float64(peak)/float64(size), size, maxHeap)
	}
}

// BenchmarkCountVGG16 counts a 553 MB VGG16-shaped model (target < 1 s,
// peak heap < 1.2× the file size). Run with
//
//	go test ./stages/flops -run '^$' -bench CountVGG16 -benchtime 5x
func BenchmarkCountVGG16(b *testing.B) {
	benchCount(b, vgg16(streamedWeights), 15470264320, 1.2)
}

// BenchmarkCountResNet50 counts a 102 MB ResNet-50-shaped model (target < 300 ms).
func BenchmarkCountResNet50(b *testing.B) {
	benchCount(b, resnet50(streamedWeights), 4089184256, 1.2)
}

// TestReadAllocatesLittle reads a 64 MB model and checks that reading and
// counting allocate under 1 MB: weight payloads are never copied.
func TestReadAllocatesLittle(t *testing.T) {
	b := newBuilder(13).input("x", "N", 4096).bigWeight("w", 4096, 4096).
		node("MatMul", []string{"x", "w"}, []string{"y"}).output("y")
	path := filepath.Join(t.TempDir(), "model.onnx")
	size := b.writeStreamed(t, path)
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	row, _, err := countOne(path, Config{})
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if row.Params != 4096*4096 || row.MACs != 4096*4096 || row.FileBytes != size {
		t.Errorf("params %d MACs %d file bytes %d", row.Params, row.MACs, row.FileBytes)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 1<<20 {
		t.Errorf("counting a %d-byte model allocated %d bytes", size, alloc)
	}
}
