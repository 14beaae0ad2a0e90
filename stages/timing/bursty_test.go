package timing

import (
	"context"
	"flag"
	"fmt"
	"maps"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dnnbench/dnnbench/internal/sweep"
	"github.com/dnnbench/dnnbench/stages/models/zoo"
)

// Settings of BenchmarkBurstyLoad; the defaults are configs/default.yaml's
// timing settings and the load (one core, busy 1.5 s, idle 3 s).
var (
	burstyModels  = flag.String("bursty.models", "resnet18,squeezenet1_1,mobilenet_v3_small", "zoo architectures to time")
	burstyBatches = flag.String("bursty.batches", "1,2,4", "batch sizes")
	burstyRuns    = flag.Int("bursty.runs", 10, "timed runs per cell")
	burstyRounds  = flag.Int("bursty.rounds", DefaultRounds, "rounds per cell and process")
	burstyProcs   = flag.Int("bursty.processes", DefaultProcesses, "worker processes per model")
	burstyMinSec  = flag.Float64("bursty.minsec", 0.3, "min_seconds per cell")
	burstyRemeas  = flag.Int("bursty.remeasure", 2, "re-measurements of an unstable cell")
	burstyLoad    = flag.String("bursty.load", "1.5s,3s", "BUSY,IDLE of the one-core load")
)

// BenchmarkBurstyLoad times each model's cells on a quiet machine, then
// again while a separate process loads one core in bursts, then quiet
// again, each time re-measuring unstable cells as the pipeline does; it logs
// per cell both quiet medians and the loaded one (ms per batch), the
// quiet-to-quiet drift, the loaded-to-quiet ratio, the loaded cell's rounds
// and verdict. It fails when a cell judged stable under load is more than
// 10% off the mean of its two quiet values. Run it on an otherwise idle machine:
//
//	go test ./stages/timing -run '^$' -bench BurstyLoad -benchtime 1x
//
// A quick check that it works (seconds, figures meaningless):
//
//	go test ./stages/timing -run '^$' -bench BurstyLoad -benchtime 1x \
//	  -bursty.models squeezenet1_1 -bursty.batches 1 -bursty.minsec 0 -bursty.load 0.2s,0.3s
func BenchmarkBurstyLoad(b *testing.B) {
	cfg := testConfig(b)
	cfg.Session.IntraOpThreads = 0 // the default CPU device: ONNX Runtime's choice
	cfg.Warmup, cfg.Runs, cfg.Rounds, cfg.MinSeconds, cfg.Processes = 3, *burstyRuns, *burstyRounds, *burstyMinSec, *burstyProcs
	if err := cfg.Validate(); err != nil {
		b.Fatal(err)
	}
	var batches []int
	for _, s := range strings.Split(*burstyBatches, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			b.Fatalf("-bursty.batches %q: %v", *burstyBatches, err)
		}
		batches = append(batches, n)
	}
	dir := b.TempDir()
	var ms []Model
	for _, arch := range strings.Split(*burstyModels, ",") {
		path := filepath.Join(dir, arch+".onnx")
		if _, err := zoo.Build(arch, path, zoo.DefaultSeed); err != nil {
			b.Fatal(err)
		}
		ms = append(ms, Model{Name: arch, Path: path})
	}
	for range b.N {
		// Per model: a quiet measurement, one under the load, and a quiet
		// one again, each with the pipeline's re-measurements. The machine
		// drifts (frequency, neighbours on the host) over tens of seconds,
		// so the three are taken close together; the reference is the mean
		// of the two quiet values, with their ratio logged as the
		// quiet-to-quiet noise floor.
		quiet1, loaded, quiet2 := map[cellID]Row{}, map[cellID]Row{}, map[cellID]Row{}
		var canaries []float64 // the run's, as in the pipeline
		for _, m := range ms {
			maps.Copy(quiet1, sweepAll(b, cfg, []Model{m}, batches, *burstyRemeas, &canaries))
			stop := startBurst(b, *burstyLoad)
			maps.Copy(loaded, sweepAll(b, cfg, []Model{m}, batches, *burstyRemeas, &canaries))
			stop()
			maps.Copy(quiet2, sweepAll(b, cfg, []Model{m}, batches, *burstyRemeas, &canaries))
		}

		b.Logf("%-20s %5s %9s %9s %9s %6s %6s %-6s %s", "model", "batch", "quiet1", "quiet2", "loaded", "q2/q1", "ratio", "stable", "attempts; round medians (wait, canary/reference) *used; reason")
		stable, within := 0, 0
		for _, k := range sortedCells(loaded) {
			q1, q2, l := quiet1[k], quiet2[k], loaded[k]
			if q1.Status != sweep.OK || q2.Status != sweep.OK || l.Status != sweep.OK {
				b.Logf("%-20s %5d quiet %s/%s, loaded %s", k.model, k.batch, q1.Status, q2.Status, l.Status)
				continue
			}
			ref := (q1.LatencyMsMedian + q2.LatencyMsMedian) / 2
			ratio := l.LatencyMsMedian / ref
			b.Logf("%-20s %5d %9.3f %9.3f %9.3f %6.3f %6.3f %-6v %d; %s; %s", k.model, k.batch, q1.LatencyMsMedian, q2.LatencyMsMedian,
				l.LatencyMsMedian, q2.LatencyMsMedian/q1.LatencyMsMedian, ratio, l.Stable, l.Attempts, roundsText(l), l.UnstableReason)
			if l.Stable {
				stable++
				if math.Abs(ratio-1) <= 0.10 {
					within++
				} else {
					b.Errorf("%s batch %d: stable under load at %.3f ms, %.1f%% off the quiet mean %.3f ms", k.model, k.batch, l.LatencyMsMedian, 100*(ratio-1), ref)
				}
			}
		}
		var quietLoad, quietWait []float64
		for _, rows := range []map[cellID]Row{quiet1, quiet2} {
			for _, r := range rows {
				quietLoad = append(quietLoad, r.RoundOtherCPU...)
				quietWait = append(quietWait, r.RoundWait...)
			}
		}
		sort.Float64s(quietLoad)
		sort.Float64s(quietWait)
		if n := len(quietLoad); n > 0 {
			b.Logf("other processes during the %d quiet rounds: median %.3f, p90 %.3f, max %.3f cores", n, quietLoad[n/2], quietLoad[n*9/10], quietLoad[n-1])
		}
		if n := len(quietWait); n > 0 {
			b.Logf("run-queue wait during the %d quiet rounds: median %.3f, p90 %.3f, max %.3f thread-s/s", n, quietWait[n/2], quietWait[n*9/10], quietWait[n-1])
		}
		b.ReportMetric(float64(len(loaded)), "cells")
		b.ReportMetric(float64(stable), "stable")
		b.ReportMetric(float64(within), "stable-within-10%")
	}
}

// roundsText lists a row's round medians with the run-queue wait (or,
// without it, other processes' load) and the canary's slowdown against the
// run's reference, the rounds the estimate used starred.
func roundsText(r Row) string {
	used := map[int64]bool{}
	for _, u := range r.UsedRounds {
		used[u] = true
	}
	var parts []string
	for i, m := range r.RoundMedianMs {
		star := ""
		if used[int64(i)] {
			star = "*"
		}
		load, slow := math.NaN(), math.NaN()
		if i < len(r.RoundOtherCPU) {
			load = r.RoundOtherCPU[i]
		}
		if i < len(r.RoundWait) && !math.IsNaN(r.RoundWait[i]) {
			load = r.RoundWait[i]
		}
		if i < len(r.RoundCanaryMs) {
			slow = r.RoundCanaryMs[i] / r.CanaryRefMs
		}
		parts = append(parts, fmt.Sprintf("%s%.3g(%.2f,%.2f×)", star, m, load, slow))
	}
	return strings.Join(parts, " ")
}

type cellID struct {
	model string
	batch int64
}

func sortedCells(rows map[cellID]Row) []cellID {
	var ks []cellID
	for k := range rows {
		ks = append(ks, k)
	}
	sort.Slice(ks, func(i, j int) bool {
		if ks[i].model != ks[j].model {
			return ks[i].model < ks[j].model
		}
		return ks[i].batch < ks[j].batch
	})
	return ks
}

// sweepAll times every model in cfg.Processes worker processes in turn,
// then re-measures unstable cells up to
// remeasure times, pooling the attempts and judging against the canary
// reference of every canary in *canaries, which it extends, as the
// pipeline does over a run.
func sweepAll(b *testing.B, cfg Config, ms []Model, batches []int, remeasure int, canaries *[]float64) map[cellID]Row {
	out := map[cellID]Row{}
	cfg.CanaryRefMs = CanaryReference(*canaries)
	run := func(m Model, bs []int) {
		res, err := Run(context.Background(), cfg, Inputs{Model: m, Batches: bs})
		if err != nil {
			b.Fatal(err)
		}
		for _, r := range res.Rows {
			out[cellID{r.Model, r.Batch}] = r
			*canaries = append(*canaries, r.LatestCanaries()...) // as the pipeline does
			cfg.CanaryRefMs = CanaryReference(*canaries)
		}
	}
	for _, m := range ms {
		for p := 1; p <= cfg.processes(); p++ {
			var prior []Row
			var bs []int
			for _, bt := range batches {
				if r, ok := out[cellID{m.Name, int64(bt)}]; p == 1 || ok && r.Status == sweep.OK {
					bs = append(bs, bt)
					if ok {
						prior = append(prior, r)
					}
				}
			}
			m.Prior = prior
			run(m, bs)
		}
	}
	for range remeasure {
		for _, m := range ms {
			var prior []Row
			var bs []int
			for _, bt := range batches {
				if r := out[cellID{m.Name, int64(bt)}]; r.Status == sweep.OK && !r.Stable {
					prior, bs = append(prior, r), append(bs, bt)
				}
			}
			if len(bs) > 0 {
				m.Prior = prior
				run(m, bs)
			}
		}
	}
	return out
}

// startBurst starts the bursty one-core load in a separate process (this
// test binary, see TestMain) and returns a function that stops it.
func startBurst(b *testing.B, spec string) func() {
	exe, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), envBurst+"="+spec)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond) // let it start its first burst
	return func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}
}
