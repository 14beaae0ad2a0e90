package zoo

import (
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// peakHeap samples HeapInuse while fn runs and returns its maximum in bytes.
func peakHeap(fn func()) uint64 {
	runtime.GC()
	var peak atomic.Uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	fn()
	close(stop)
	wg.Wait()
	return peak.Load()
}

// BenchmarkBuildVGG16 builds the largest classic model (138 M parameters,
// 553 MB); the target is < 3 s and < 2× the file size in memory.
func BenchmarkBuildVGG16(b *testing.B) {
	dir := b.TempDir()
	path := filepath.Join(dir, "vgg16.onnx")
	var info Info
	var peak uint64
	for i := 0; i < b.N; i++ {
		p := peakHeap(func() {
			var err error
			if info, err = Build("vgg16", path, DefaultSeed); err != nil {
				b.Fatal(err)
			}
		})
		peak = max(peak, p)
	}
	b.ReportMetric(float64(info.Bytes)/1e6, "file-MB")
	b.ReportMetric(float64(peak)/1e6, "peak-heap-MB")
	b.ReportMetric(float64(peak)/float64(info.Bytes), "heap/file")
	if float64(peak) >= 2*float64(info.Bytes) {
		b.Errorf("peak heap %d bytes ≥ 2× the file (%d bytes)", peak, info.Bytes)
	}
}

// BenchmarkBuildAll builds every architecture once per iteration (target < 60 s).
func BenchmarkBuildAll(b *testing.B) {
	dir := b.TempDir()
	var total int64
	for i := 0; i < b.N; i++ {
		total = 0
		for _, a := range Archs() {
			path := filepath.Join(dir, a.Name+".onnx")
			info, err := Build(a.Name, path, DefaultSeed)
			if err != nil {
				b.Fatal(err)
			}
			total += info.Bytes
			os.Remove(path)
		}
	}
	b.ReportMetric(float64(total)/1e9, "GB-written")
	b.ReportMetric(float64(len(Archs())), "archs")
}
