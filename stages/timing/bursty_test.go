package timing

import (
	"context"
	"flag"
	"fmt"
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
	burstyVerbose = flag.Bool("bursty.v", false, "log the quiet cells' rounds too")
)

// BenchmarkBurstyLoad times the models' cells on a quiet machine, then
// again while a separate process loads one core in bursts, then quiet
// again, each time as the pipeline does (a pass over the models per
// process, then re-measurements of unstable cells); it logs
// per cell both quiet medians and the loaded one (ms per batch), the
// quiet-to-quiet drift, the loaded-to-quiet ratio, the loaded cell's rounds
// and verdict. It fails when a cell judged stable under load is more than
// 10% off the mean of its stable quiet values (a quiet value marked † is
// unstable; a cell with no stable quiet value is not checked, and counted).
// It also logs how well the host reproduces its own quiet timings (the two
// quiet sweeps, and each quiet cell's two processes), the precondition of
// any comparison within 10 %.
// Run it on an otherwise idle machine:
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
		// Quiet sweeps before and after the loaded one: the machine drifts
		// (frequency, neighbours on the host), and the reference is their
		// mean (of the stable ones), with their ratio logged as the
		// quiet-to-quiet noise floor. Each sweep is what the pipeline does:
		// a pass over the models per process, then re-measurements.
		var canaries []float64 // the run's, as in the pipeline
		quiet1 := sweepAll(b, cfg, ms, batches, *burstyRemeas, &canaries)
		stop := startBurst(b, *burstyLoad)
		loaded := sweepAll(b, cfg, ms, batches, *burstyRemeas, &canaries)
		stop()
		quiet2 := sweepAll(b, cfg, ms, batches, *burstyRemeas, &canaries)

		b.Logf("%-20s %5s %9s %9s %9s %6s %6s %-6s %s", "model", "batch", "quiet1", "quiet2", "loaded", "q2/q1", "ratio", "stable", "attempts; round medians (wait, canary/reference) *used; reason")
		stable, within, noRef := 0, 0, 0
		for _, k := range sortedCells(loaded) {
			q1, q2, l := quiet1[k], quiet2[k], loaded[k]
			if q1.Status != sweep.OK || q2.Status != sweep.OK || l.Status != sweep.OK {
				b.Logf("%-20s %5d quiet %s/%s, loaded %s", k.model, k.batch, q1.Status, q2.Status, l.Status)
				continue
			}
			// The reference is the mean of the quiet values that are
			// themselves stable: an unstable quiet value (the host slow
			// through a whole quiet measurement) is no yardstick. A cell
			// with neither is logged against the mean of both and not
			// checked.
			ref, refd := quietRef(q1, q2)
			ratio := l.LatencyMsMedian / ref
			b.Logf("%-20s %5d %8.3f%s %8.3f%s %9.3f %6.3f %6.3f %-6v %d; %s; %s", k.model, k.batch, q1.LatencyMsMedian, mark(q1), q2.LatencyMsMedian, mark(q2),
				l.LatencyMsMedian, q2.LatencyMsMedian/q1.LatencyMsMedian, ratio, l.Stable, l.Attempts, roundsText(l), l.UnstableReason)
			if *burstyVerbose {
				b.Logf("    quiet1 %s; %s", roundsText(q1), q1.UnstableReason)
				b.Logf("    quiet2 %s; %s", roundsText(q2), q2.UnstableReason)
			}
			if l.Stable {
				stable++
				if !refd {
					noRef++
					b.Logf("%s batch %d: stable under load, but neither quiet measurement was stable: not checked", k.model, k.batch)
					continue
				}
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
		// How well the host reproduces its own quiet timings: the two quiet
		// sweeps' medians, and each quiet cell's two processes. Where these
		// disagree by more than 10 %, no rule can put a loaded cell within
		// 10 % of "the" quiet value.
		sweepsAgree, pairs, procsAgree := 0, 0, 0
		var spreads []float64
		for k, q1 := range quiet1 {
			q2, ok := quiet2[k]
			if ok && q1.LatencyMsMedian > 0 && q2.LatencyMsMedian > 0 {
				pairs++
				if r := q2.LatencyMsMedian / q1.LatencyMsMedian; r <= 1.10 && r >= 1/1.10 {
					sweepsAgree++
				}
			}
			for _, q := range []Row{q1, q2} {
				if sp, ok := q.ProcessSpread(); ok {
					spreads = append(spreads, sp)
					if sp <= 0.10 {
						procsAgree++
					}
				}
			}
		}
		sort.Float64s(spreads)
		if n := len(spreads); n > 0 {
			b.Logf("host reproducibility: the two quiet sweeps agreed within 10%% in %d of %d cells; a quiet cell's two processes in %d of %d (median %.1f%% apart, max %.1f%%)",
				sweepsAgree, pairs, procsAgree, n, 100*spreads[n/2], 100*spreads[n-1])
		}
		b.ReportMetric(float64(sweepsAgree), "quiet-sweeps-within-10%")
		b.ReportMetric(float64(len(loaded)), "cells")
		b.ReportMetric(float64(stable), "stable")
		b.ReportMetric(float64(within), "stable-within-10%")
		b.ReportMetric(float64(noRef), "stable-without-quiet-reference")
	}
}

// quietRef is the mean of the stable ones of the two quiet values, and
// true; the mean of both and false when neither is stable.
func quietRef(q1, q2 Row) (float64, bool) {
	switch {
	case q1.Stable && q2.Stable:
		return (q1.LatencyMsMedian + q2.LatencyMsMedian) / 2, true
	case q1.Stable:
		return q1.LatencyMsMedian, true
	case q2.Stable:
		return q2.LatencyMsMedian, true
	}
	return (q1.LatencyMsMedian + q2.LatencyMsMedian) / 2, false
}

// mark is "†" for an unstable row, else " ".
func mark(r Row) string {
	if r.Stable {
		return " "
	}
	return "†"
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

// sweepAll times every model in cfg.Processes passes over the models, one
// worker process per model and pass, then re-measures unstable cells up to
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
	for p := 1; p <= cfg.processes(); p++ {
		for _, m := range ms {
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
