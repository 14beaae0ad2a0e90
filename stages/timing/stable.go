package timing

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// The stability rule (stated in the report's method section; keep them in
// step). A round is clean when it was not loaded (see Loaded) and the host
// canary timed after it took at most 1+MaxCanarySlowdown times the run's
// canary reference, the lower decile of its canaries (or there is no
// canary). The agreeing rounds are the lowest group of clean rounds whose
// medians lie within MaxCIFraction above the group's smallest, that
// smallest itself within MaxCIFraction of the lowest clean round median:
// the cell's floor, which one round slowed without a trace cannot raise
// and one lucky round cannot block. The cell's estimate pools their
// samples. The cell is stable when at least two rounds agree (one when a
// single round is configured), they come from at least two worker
// processes (one when a single process is configured), and the 95%
// interval of the pooled median lies within ±MaxCIFraction of it.
const (
	// MaxCIFraction is the widest accepted 95% interval of the median, as a
	// fraction of it on either side, and the agreement band of round medians.
	MaxCIFraction = 0.05
	// MaxRunWait is the most time the worker's threads may have waited for
	// a CPU during a clean round, in thread-seconds per second (see
	// hostProbe.RunWait): more than half a thread on average, as in a round
	// half covered by a one-core burst. On the 2-core development VM, 50 ms
	// windows of two spinning threads waited a median 0.05 (p90 0.16) quiet
	// and a median 0.74 (p10 0.51) beside one busy core; quiet rounds of
	// BenchmarkBurstyLoad waited a median 0.09–0.16, p90 0.35–0.38, at most
	// 0.48–0.76.
	MaxRunWait = 0.5
	// MaxOtherCPU is the most CPU, in cores, that other processes may use
	// during a clean round where the host does not report waiting. On the
	// 2-core development VM, quiet rounds read at most 0.17 cores (162
	// rounds, BenchmarkBurstyLoad), while rounds that a one-core burst
	// overlapped by 0.42–0.46 cores ran twice as slow; 0.5 let those
	// through. /proc/stat counts whole ticks, so short rounds misread.
	MaxOtherCPU = 0.25
	// MaxCanarySlowdown is how much slower than the run's reference the
	// host canary may run after a clean round, as a fraction. On the 2-core
	// development VM, canaries after quiet rounds spread to 1.3–1.4× their
	// lower decile, while the host's slow spells run a fixed loop 2× slower.
	MaxCanarySlowdown = 0.5
)

// Loaded reports whether a round ran beside outside load: the worker's
// threads waited for a CPU more than MaxRunWait thread-seconds per second
// (wait), or, where the host does not report waiting (wait NaN), other
// processes used more than MaxOtherCPU cores (otherCPU; NaN: not known,
// not loaded).
func Loaded(otherCPU, wait float64) bool {
	if !math.IsNaN(wait) {
		return wait > MaxRunWait
	}
	return otherCPU > MaxOtherCPU
}

// Round is one round of a cell: consecutive timed runs of one batch size.
type Round struct {
	// Attempt is 1 for the cell's first measurement, 2… for re-measurements.
	Attempt int
	// SamplesMs are the latencies in milliseconds; StartsNs each run's start
	// as Unix nanoseconds.
	SamplesMs []float64
	StartsNs  []int64
	// OtherCPU is other processes' CPU use during the round, in cores; NaN
	// when not recorded.
	OtherCPU float64
	// Wait is how long the worker's threads waited for a CPU during the
	// round, in thread-seconds per second; NaN when not recorded.
	Wait float64
	// CanaryMs is the host canary's time right after the round, in
	// milliseconds; NaN when not recorded.
	CanaryMs float64
}

// Estimate is a cell's latency from its rounds and whether it is stable.
type Estimate struct {
	// Stats summarise the pooled samples of the rounds used.
	Stats Stats
	// Used marks the rounds the estimate rests on; Medians are every round's
	// median in milliseconds.
	Used    []bool
	Medians []float64
	// Stable is the rule's verdict; Reason says why not.
	Stable bool
	Reason string
	// CanaryRefMs is the canary reference the rounds were judged against;
	// +Inf when there was none.
	CanaryRefMs float64
}

// Rule is what Judge needs beyond the rounds.
type Rule struct {
	// MinAgree is the number of agreeing rounds a stable cell needs (two, or
	// one when a single round per process is configured).
	MinAgree int
	// MinProcesses is the number of worker processes (attempts) the
	// agreeing rounds must come from (two, or one when a single process is
	// configured).
	MinProcesses int
	// CanaryRefMs is the run's canary reference (CanaryReference of every
	// canary so far); 0 when none, and then the rounds' own canaries give it.
	CanaryRefMs float64
}

// Judge applies the stability rule to a cell's rounds. When no round is
// clean, every round is used and the cell is unstable: the figure is
// shown, marked, never silently replaced.
func Judge(rounds []Round, rule Rule) (Estimate, error) {
	if len(rounds) == 0 {
		return Estimate{}, fmt.Errorf("timing: no rounds to judge")
	}
	minAgree, minProcs, canaryRefMs := max(rule.MinAgree, 1), max(rule.MinProcesses, 1), rule.CanaryRefMs
	e := Estimate{Used: make([]bool, len(rounds)), Medians: make([]float64, len(rounds))}
	ref := CanaryRef(rounds, canaryRefMs)
	e.CanaryRefMs = ref
	clean := make([]bool, len(rounds))
	lowest := math.Inf(1)
	var loaded []Round
	var slow []float64
	for i, r := range rounds {
		if len(r.SamplesMs) == 0 {
			return Estimate{}, fmt.Errorf("timing: round %d has no samples", i+1)
		}
		e.Medians[i] = median(r.SamplesMs)
		if Loaded(r.OtherCPU, r.Wait) {
			loaded = append(loaded, r)
			continue
		}
		if r.CanaryMs > ref*(1+MaxCanarySlowdown) {
			slow = append(slow, r.CanaryMs/ref)
			continue
		}
		clean[i] = true
		lowest = min(lowest, e.Medians[i])
	}
	group := agreeing(rounds, e.Medians, clean, lowest, minAgree, minProcs)
	agree := len(group)
	procs := map[int]bool{}
	for _, i := range group {
		e.Used[i] = true
		procs[rounds[i].Attempt] = true
	}
	if agree == 0 {
		for i := range e.Used {
			e.Used[i] = true
		}
	}
	var pooled []float64
	for i, r := range rounds {
		if e.Used[i] {
			pooled = append(pooled, r.SamplesMs...)
		}
	}
	st, err := Summarize(pooled)
	if err != nil {
		return Estimate{}, err
	}
	e.Stats = st
	var why []string
	if len(loaded) > 0 {
		why = append(why, fmt.Sprintf("host busy in %d of %d rounds (%s)", len(loaded), len(rounds), loadText(loaded)))
	}
	if len(slow) > 0 {
		why = append(why, fmt.Sprintf("host slow in %d of %d rounds (canary up to %.2f× the run's reference > %s)",
			len(slow), len(rounds), slices.Max(slow), strconv.FormatFloat(1+MaxCanarySlowdown, 'f', -1, 64)))
	}
	switch {
	case len(rounds) < minAgree:
		why = append(why, fmt.Sprintf("only %d round measured, %d needed", len(rounds), minAgree))
	case agree == 0:
		why = append(why, "no clean round; the figure pools every round")
	case agree < minAgree:
		why = append(why, fmt.Sprintf("rounds disagree: at most %d of %d round medians within %.0f%% of each other near the lowest clean one (%s ms)",
			agree, len(rounds), 100*MaxCIFraction, medianRange(e.Medians)))
	case len(procs) < minProcs:
		why = append(why, fmt.Sprintf("processes disagree: the %d agreeing rounds come from %d process, %d needed (round medians %s ms)",
			agree, len(procs), minProcs, medianRange(e.Medians)))
	case math.IsNaN(st.CILow) || math.IsNaN(st.CIHigh):
		why = append(why, fmt.Sprintf("too few samples for a 95%% interval of the median (%d)", st.N))
	case st.CILow < st.Median*(1-MaxCIFraction) || st.CIHigh > st.Median*(1+MaxCIFraction):
		why = append(why, fmt.Sprintf("95%% interval of the median %+.1f%%/%+.1f%% is wider than ±%.0f%%",
			100*(st.CILow/st.Median-1), 100*(st.CIHigh/st.Median-1), 100*MaxCIFraction))
	default:
		e.Stable = true
		return e, nil
	}
	e.Reason = strings.Join(why, "; ")
	return e, nil
}

// agreeing returns the indices of the agreeing rounds: for each clean
// round whose median is within MaxCIFraction of lowest, in ascending order
// of median, the group of clean rounds from its median up to MaxCIFraction
// above it; the first group with minAgree rounds from minProcs attempts,
// else the largest group (the lowest of equals). Nil when no round is clean.
func agreeing(rounds []Round, medians []float64, clean []bool, lowest float64, minAgree, minProcs int) []int {
	var anchors []int
	for i := range rounds {
		if clean[i] && medians[i] <= lowest*(1+MaxCIFraction) {
			anchors = append(anchors, i)
		}
	}
	sort.SliceStable(anchors, func(a, b int) bool { return medians[anchors[a]] < medians[anchors[b]] })
	var best []int
	for _, a := range anchors {
		var g []int
		procs := map[int]bool{}
		for i := range rounds {
			if clean[i] && medians[i] >= medians[a] && medians[i] <= medians[a]*(1+MaxCIFraction) {
				g = append(g, i)
				procs[rounds[i].Attempt] = true
			}
		}
		if len(g) >= minAgree && len(procs) >= minProcs {
			return g
		}
		if len(g) > len(best) {
			best = g
		}
	}
	return best
}

// loadText says how loaded the loaded rounds were: the most their threads
// waited for a CPU, or where that is not recorded the most other processes
// used.
func loadText(loaded []Round) string {
	wait, other := math.Inf(-1), math.Inf(-1)
	for _, r := range loaded {
		if !math.IsNaN(r.Wait) {
			wait = max(wait, r.Wait)
		} else {
			other = max(other, r.OtherCPU)
		}
	}
	var parts []string
	if !math.IsInf(wait, -1) {
		parts = append(parts, fmt.Sprintf("the worker's threads waited for a CPU up to %.2f thread-s/s > %.2g", wait, MaxRunWait))
	}
	if !math.IsInf(other, -1) {
		parts = append(parts, fmt.Sprintf("other processes up to %.2f cores > %.2g", other, MaxOtherCPU))
	}
	return strings.Join(parts, "; ")
}

// CanaryRef is the canary time slow rounds are judged against: refMs (the
// run's reference, see CanaryReference) when positive, else the reference
// of the rounds' own canaries; +Inf when there is none, so that no round is
// slow.
func CanaryRef(rounds []Round, refMs float64) float64 {
	if refMs > 0 {
		return refMs
	}
	cs := make([]float64, len(rounds))
	for i, r := range rounds {
		cs[i] = r.CanaryMs
	}
	if ref := CanaryReference(cs); ref > 0 {
		return ref
	}
	return math.Inf(1)
}

// medianRange formats the lowest and highest of the medians.
func medianRange(ms []float64) string {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, m := range ms {
		lo, hi = min(lo, m), max(hi, m)
	}
	return fmt.Sprintf("%.3g–%.3g", lo, hi)
}
