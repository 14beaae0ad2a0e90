package cache

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/dnnbench/dnnbench/stages/timing"
	"github.com/parquet-go/parquet-go"
)

// benchRows is the number of timing rows the read-back benchmarks read.
const benchRows = 10000

// timingRows makes n realistic timing rows, as the timing stage writes them:
// one per model × device × batch, each with 10–30 latency samples.
func timingRows(n int) []timing.Row {
	rows := make([]timing.Row, n)
	batches := []int64{1, 2, 4, 8, 16, 32, 64}
	devices := []string{"cpu", "cuda", "jetson"}
	for i := range rows {
		b := batches[i%len(batches)]
		samples := make([]float64, 10+i%21)
		for j := range samples {
			samples[j] = 3.5 + float64(b)*1.25 + float64(j%7)*0.01
		}
		rows[i] = timing.Row{
			Model: fmt.Sprintf("model%04d", i/(len(batches)*len(devices))), Device: devices[(i/len(batches))%len(devices)],
			Batch: b, Threads: 2, Warmup: 10, Runs: int64(len(samples)),
			LatencyMsMedian: samples[len(samples)/2], LatencyMsP90: samples[len(samples)*9/10], LatencyMsP99: samples[len(samples)-1],
			LatencyMsMin: samples[0], LatencyMsMean: samples[1], MsPerImage: samples[0] / float64(b), FPS: 1000 * float64(b) / samples[0],
			Status: "ok", LatencyMsCILow: samples[0], LatencyMsCIHigh: samples[2], SessionMs: 120.5, FirstRunMs: 40.25,
			Provider: "cpu", SamplesMs: samples, JoulesPerImage: 0.125 * samples[0] / float64(b), EnergySource: "rapl: package-0", Warnings: []string{},
			Stable: i%5 != 0, Rounds: 3, RoundsUsed: 2, Attempts: 1, OtherCPUMax: 0.25,
			SampleRound: make([]int64, len(samples)), SampleUnixNs: make([]int64, len(samples)),
			RoundAttempt: []int64{1, 1, 1}, RoundMedianMs: samples[:3], RoundOtherCPU: []float64{0.01, 0.25, 0.02}, UsedRounds: []int64{0, 2},
			RoundCanaryMs: []float64{1.5, 1.75, 1.5}, CanaryRefMs: 1.5, RoundWait: []float64{0.02, 0.4, 0.03},
		}
		if !rows[i].Stable {
			rows[i].UnstableReason = "rounds disagree"
		}
		for j := range samples {
			rows[i].SampleRound[j] = int64(3 * j / len(samples))
			rows[i].SampleUnixNs[j] = 1_700_000_000_000_000_000 + int64(j)*5_000_000
		}
	}
	return rows
}

// writeLoose writes one loose timing entry per row, as the timing stage's
// Put calls do, but without Put's fsync so that the setup does not wait for
// the disk 10,000 times. It returns the keys.
func writeLoose(tb testing.TB, s *Store, rows []timing.Row) []string {
	tb.Helper()
	dir := filepath.Join(s.Dir(), "timing")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		tb.Fatal(err)
	}
	keys := make([]string, len(rows))
	for i := range rows {
		key, err := Key(1, rows[i].Model, rows[i].Device, rows[i].Batch)
		if err != nil {
			tb.Fatal(err)
		}
		var buf bytes.Buffer
		if err := parquet.Write(&buf, rows[i:i+1], parquet.MaxRowsPerRowGroup(packRowGroup)); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, key+entryExt), buf.Bytes(), 0o644); err != nil {
			tb.Fatal(err)
		}
		keys[i] = key
	}
	return keys
}

func benchAll(b *testing.B, s *Store) {
	b.Helper()
	b.ReportAllocs()
	cpu0 := cpuTime(b)
	n := 0
	for b.Loop() {
		got, err := All[timing.Row](s, "timing")
		if err != nil {
			b.Fatal(err)
		}
		if len(got) != benchRows {
			b.Fatalf("got %d rows, want %d", len(got), benchRows)
		}
		n++
	}
	// CPU time (all threads, GC included) is steadier than wall time on a
	// shared machine; both are reported.
	b.ReportMetric(float64((cpuTime(b)-cpu0).Milliseconds())/float64(n), "cpu-ms/op")
}

// cpuTime returns the process's user+system CPU time so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkAllTimingEntries reads back 10,000 timing rows written as one
// entry each, after the run's unlock compacted them (the normal state).
func BenchmarkAllTimingEntries(b *testing.B) {
	s, err := Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	writeLoose(b, s, timingRows(benchRows))
	unlock, err := s.Lock(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	if err := unlock(); err != nil {
		b.Fatal(err)
	}
	benchAll(b, s)
}

// BenchmarkAllTimingLooseEntries reads back 10,000 timing rows from 10,000
// loose entry files, as a reader without the lock sees a stage that was
// never compacted. It shows why Compact exists.
func BenchmarkAllTimingLooseEntries(b *testing.B) {
	s, err := Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	writeLoose(b, s, timingRows(benchRows))
	benchAll(b, s)
}

// BenchmarkAllTimingOneEntry reads back 10,000 timing rows stored by one Put.
func BenchmarkAllTimingOneEntry(b *testing.B) {
	s, err := Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	key, err := Key(1, "all")
	if err != nil {
		b.Fatal(err)
	}
	if err := Put(s, "timing", key, timingRows(benchRows)); err != nil {
		b.Fatal(err)
	}
	benchAll(b, s)
}

// BenchmarkCompactTiming compacts 10,000 loose timing entries into a pack:
// the one-off cost at the end of a run that wrote them.
func BenchmarkCompactTiming(b *testing.B) {
	rows := timingRows(benchRows)
	for b.Loop() {
		b.StopTimer()
		s, err := Open(b.TempDir())
		if err != nil {
			b.Fatal(err)
		}
		writeLoose(b, s, rows)
		unlock, err := s.Lock(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if err := s.Compact("timing"); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if err := unlock(); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
}
