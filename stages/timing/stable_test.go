package timing

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dnnbench/dnnbench/internal/sweep"
)

// scripted is a scripted clock and sample source: every Run advances the
// clock by a latency of batch × baseMs (±1% deterministic jitter), slowed
// by burstFactor while a burst is on; a burst is a range of Run calls and
// adds one core of other processes' CPU for the time those calls take.
type scripted struct {
	now      time.Duration
	calls    int
	otherCPU float64 // seconds
	noLoad   bool    // the host does not report load
	// wait, with waitScripted, is the worker's threads' run-queue wait in
	// seconds: a burst makes them wait 0.7 s per second of its Run calls.
	wait  float64
	burst func(call int) bool
	// slow is a slower host that /proc/stat does not show (a range of Run
	// calls slowed by burstFactor without other processes' CPU); with canary
	// set the probe times a 1 ms canary, slowed alike after a slow call.
	slow   func(call int) bool
	canary bool
	// reportWait makes the probe a waitScripted (not with canary).
	reportWait bool
	// ends records the call count when each round of each batch was sent.
	ends map[[2]int]int
}

const (
	baseMs      = 10.0
	burstFactor = 1.6
)

func (s *scripted) Now() time.Time { return time.Unix(1_700_000_000, 0).Add(s.now) }

func (s *scripted) OtherCPU() (float64, bool) { return s.otherCPU, !s.noLoad }

// waitScripted is the scripted source that reports run-queue wait.
type waitScripted struct{ *scripted }

func (s waitScripted) RunWait() (float64, bool) { return s.wait, true }

// canaryScripted is the scripted source with a host canary.
type canaryScripted struct{ *scripted }

func (s canaryScripted) Canary() (time.Duration, bool) {
	d := time.Millisecond
	if s.slow != nil && s.slow(s.calls) {
		d = time.Duration(burstFactor * float64(d))
	}
	return d, true
}

func (s *scripted) prepare(n int) (func() error, error) {
	return func() error {
		s.calls++
		lat := baseMs * float64(n) * (1 + 0.01*math.Sin(float64(s.calls)*1.7))
		if s.burst != nil && s.burst(s.calls) {
			lat *= burstFactor
			s.otherCPU += lat / 1000
			s.wait += 0.7 * lat / 1000
		}
		if s.slow != nil && s.slow(s.calls) {
			lat *= burstFactor
		}
		s.now += time.Duration(lat * float64(time.Millisecond))
		return nil
	}, nil
}

var scriptedBatches = []int{1, 2, 4}

// sweepScripted runs the worker's loop on the scripted source and the
// parent's judgement on its events, as Sweep does across the pipe.
func sweepScripted(t *testing.T, src *scripted, prior []Row) []Row {
	t.Helper()
	return sweepScriptedRef(t, src, prior, 0)
}

// sweepScriptedRef is sweepScripted with the run's fastest canary so far
// (Config.CanaryRefMs); src's canary is timed when src.canary is set.
func sweepScriptedRef(t *testing.T, src *scripted, prior []Row, canaryRefMs float64) []Row {
	t.Helper()
	cfg := Config{Device: "cpu", Warmup: 3, Runs: 12, Rounds: 3, CanaryRefMs: canaryRefMs}
	st := newSweepState(cfg, Model{Name: "m", Prior: prior}, scriptedBatches)
	src.ends = map[[2]int]int{}
	pl := plan{rounds: cfg.Rounds, runs: cfg.Runs}
	var p probe = src
	switch {
	case src.canary:
		p = canaryScripted{src}
	case src.reportWait:
		p = waitScripted{src}
	}
	err := timeAll(context.Background(), scriptedBatches, src.prepare, cfg.Warmup, pl, p, func(ev event) error {
		if ev.Kind == evRound {
			src.ends[[2]int{ev.Batch, ev.Round}] = src.calls
		}
		return st.handle(ev)
	})
	if err != nil {
		t.Fatal(err)
	}
	rows, err := st.rows("ended", sweep.Error)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(scriptedBatches) {
		t.Fatalf("%d rows, want %d", len(rows), len(scriptedBatches))
	}
	return rows
}

// roundCalls returns the Run calls of round r (all batch sizes, re-warm runs
// included), from a clean run of the same script.
func roundCalls(t *testing.T, r int) func(int) bool {
	clean := &scripted{}
	sweepScripted(t, clean, nil)
	last := scriptedBatches[len(scriptedBatches)-1]
	from, to := clean.ends[[2]int{last, r - 1}], clean.ends[[2]int{last, r}]
	if r == 1 || from >= to {
		t.Fatalf("round %d: calls (%d, %d]", r, from, to)
	}
	return func(c int) bool { return c > from && c <= to }
}

func TestBurstInOneRoundIsRejected(t *testing.T) {
	clean := sweepScripted(t, &scripted{}, nil)
	for _, mode := range []string{"/proc/stat", "no load data", "run-queue wait"} {
		src := &scripted{noLoad: mode != "/proc/stat", reportWait: mode == "run-queue wait", burst: roundCalls(t, 2)}
		rows := sweepScripted(t, src, nil)
		for i, r := range rows {
			want := clean[i].LatencyMsMedian
			if !r.Stable || r.UnstableReason != "" {
				t.Errorf("%s, batch %d: unstable (%s); want the burst's round set aside", mode, r.Batch, r.UnstableReason)
			}
			if d := math.Abs(r.LatencyMsMedian/want - 1); d > 0.02 {
				t.Errorf("%s, batch %d: median %.3f ms vs clean %.3f ms (%.1f%% off, want ≤ 2%%)", mode, r.Batch, r.LatencyMsMedian, want, 100*d)
			}
			if r.Rounds != 3 || r.RoundsUsed != 2 || fmt.Sprint(r.UsedRounds) != "[0 2]" {
				t.Errorf("%s, batch %d: rounds %d, used %d %v; want round 2 of 3 set aside", mode, r.Batch, r.Rounds, r.RoundsUsed, r.UsedRounds)
			}
			if src.noLoad != math.IsNaN(r.RoundOtherCPU[1]) || (!src.noLoad && r.RoundOtherCPU[1] < 0.9) {
				t.Errorf("%s, batch %d: round loads %v; want round 2 ≈ 1 core (NaN without data)", mode, r.Batch, r.RoundOtherCPU)
			}
			if src.reportWait != !math.IsNaN(r.RoundWait[1]) || (src.reportWait && (r.RoundWait[1] < 0.6 || r.RoundWait[0] != 0 || !r.LoadedRound(1) || r.LoadedRound(0))) {
				t.Errorf("%s, batch %d: round waits %v; want round 2 ≈ 0.7 and loaded (NaN without data)", mode, r.Batch, r.RoundWait)
			}
		}
	}
}

// The worker's own waiting for a CPU decides, where the host reports it;
// other processes' CPU only where it does not.
func TestLoaded(t *testing.T) {
	nan := math.NaN()
	for _, c := range []struct {
		other, wait float64
		want        bool
	}{
		{0.9, 0.1, false}, // a neighbour used the idle core: no waiting, not loaded
		{0.1, 0.6, true},
		{0.5, nan, true},
		{0.2, nan, false},
		{nan, nan, false},
	} {
		if got := Loaded(c.other, c.wait); got != c.want {
			t.Errorf("Loaded(other %v, wait %v) = %v, want %v", c.other, c.wait, got, c.want)
		}
	}
}

func TestRunWait(t *testing.T) {
	if n, ok := parseSchedstat([]byte("12884 87943 17\n")); !ok || n != 87943 {
		t.Errorf("parseSchedstat = %d %v, want 87943", n, ok)
	}
	if _, ok := parseSchedstat([]byte("12884\n")); ok {
		t.Error("a one-field schedstat was read")
	}
	dir := t.TempDir()
	for tid, line := range map[string]string{"101": "5000000 250000000 9\n", "102": "7000 750000000 3\n"} {
		if err := os.MkdirAll(filepath.Join(dir, tid), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, tid, "schedstat"), []byte(line), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if got, ok := runWait(dir); !ok || math.Abs(got-1) > 1e-9 {
		t.Errorf("runWait = %v %v, want 1 s summed over two threads", got, ok)
	}
	if _, ok := runWait(t.TempDir()); ok {
		t.Error("runWait of no threads: ok")
	}
	if _, ok := (hostProbe{}).RunWait(); !ok {
		t.Error("this host has no /proc/self/task/*/schedstat")
	}
}

func TestBurstInEveryRoundIsUnstable(t *testing.T) {
	clean := sweepScripted(t, &scripted{}, nil)
	src := &scripted{burst: func(int) bool { return true }}
	rows := sweepScripted(t, src, nil)
	for i, r := range rows {
		if r.Stable || !strings.Contains(r.UnstableReason, "host busy in 3 of 3 rounds") {
			t.Errorf("batch %d: stable %v (%q); want unstable because the host was busy", r.Batch, r.Stable, r.UnstableReason)
		}
		// The figure is the loaded one, shown as such, never a silent shift
		// towards the clean value.
		if ratio := r.LatencyMsMedian / clean[i].LatencyMsMedian; math.Abs(ratio-burstFactor) > 0.03 {
			t.Errorf("batch %d: median %.3f ms is %.2f× the clean one; want the loaded %.1f×", r.Batch, r.LatencyMsMedian, ratio, burstFactor)
		}
		if r.Status != "ok" || r.Attempts != 1 || r.RoundsUsed != 3 {
			t.Errorf("batch %d: status %s, attempts %d, rounds used %d", r.Batch, r.Status, r.Attempts, r.RoundsUsed)
		}
	}

	// A re-measurement on a quiet host keeps every attempt and rests on the
	// rounds that agree: the new, clean ones.
	again := sweepScripted(t, &scripted{}, rows)
	for i, r := range again {
		if !r.Stable || r.Attempts != 2 || r.Rounds != 6 || r.RoundsUsed != 3 || len(r.SamplesMs) != len(rows[i].SamplesMs)*2 {
			t.Errorf("batch %d after re-measuring: stable %v (%s), attempts %d, rounds %d (used %d), %d samples",
				r.Batch, r.Stable, r.UnstableReason, r.Attempts, r.Rounds, r.RoundsUsed, len(r.SamplesMs))
		}
		if d := math.Abs(r.LatencyMsMedian/clean[i].LatencyMsMedian - 1); d > 0.02 {
			t.Errorf("batch %d after re-measuring: %.1f%% off the clean value", r.Batch, 100*d)
		}
		if fmt.Sprint(r.UsedRounds) != "[3 4 5]" || fmt.Sprint(r.RoundAttempt) != "[1 1 1 2 2 2]" {
			t.Errorf("batch %d: used rounds %v of attempts %v; want the second attempt's", r.Batch, r.UsedRounds, r.RoundAttempt)
		}
	}
}

// A host that runs slower without any process to show for it in
// /proc/stat (CPU steal below the tick, a neighbour on the memory bus) is
// caught by the canary: its round is set aside like a loaded one.
func TestSlowHostRoundIsRejected(t *testing.T) {
	clean := sweepScripted(t, &scripted{canary: true}, nil)
	rows := sweepScripted(t, &scripted{canary: true, slow: roundCalls(t, 2)}, nil)
	for i, r := range rows {
		if !r.Stable || fmt.Sprint(r.UsedRounds) != "[0 2]" {
			t.Errorf("batch %d: stable %v (%s), used rounds %v; want round 2 set aside", r.Batch, r.Stable, r.UnstableReason, r.UsedRounds)
		}
		if d := math.Abs(r.LatencyMsMedian/clean[i].LatencyMsMedian - 1); d > 0.02 {
			t.Errorf("batch %d: %.1f%% off the clean value, want ≤ 2%%", r.Batch, 100*d)
		}
		if r.RoundOtherCPU[1] != 0 || r.CanaryRefMs != 1 || fmt.Sprint(r.RoundCanaryMs) != "[1 1.6 1]" {
			t.Errorf("batch %d: loads %v, canaries %v (ref %v); want no load and round 2's canary 1.6 ms", r.Batch, r.RoundOtherCPU, r.RoundCanaryMs, r.CanaryRefMs)
		}
	}
}

// A sweep slow from start to end cannot see it in its own canaries; the
// run's fastest canary (from an earlier model) shows it, and the cell is
// unstable with its slow figure, never silently corrected.
func TestSlowHostInEveryRoundIsUnstable(t *testing.T) {
	clean := sweepScripted(t, &scripted{canary: true}, nil)
	all := func(int) bool { return true }
	alone := sweepScripted(t, &scripted{canary: true, slow: all}, nil)
	if !alone[0].Stable {
		t.Errorf("slow in every round, no reference: unstable (%s); the rounds agree", alone[0].UnstableReason)
	}
	var cs []float64
	for _, r := range clean {
		cs = append(cs, r.LatestCanaries()...)
	}
	ref := CanaryReference(cs)
	if ref != 1 || len(cs) != 9 {
		t.Fatalf("canary reference of the clean rows' %d canaries %v ms, want 9 and 1", len(cs), ref)
	}
	rows := sweepScriptedRef(t, &scripted{canary: true, slow: all}, nil, ref)
	blind := sweepScriptedRef(t, &scripted{slow: all}, nil, ref)
	if !blind[0].Stable {
		t.Errorf("without canaries a slow sweep was caught (%s): the test does not test the canary", blind[0].UnstableReason)
	}
	for i, r := range rows {
		if r.Stable || !strings.Contains(r.UnstableReason, "host slow in 3 of 3 rounds (canary up to 1.60× the run's reference > 1.5)") {
			t.Errorf("batch %d: stable %v (%q); want unstable, host slow", r.Batch, r.Stable, r.UnstableReason)
		}
		if ratio := r.LatencyMsMedian / clean[i].LatencyMsMedian; math.Abs(ratio-burstFactor) > 0.03 {
			t.Errorf("batch %d: %.2f× the clean median; want the slow %.1f× shown as measured", r.Batch, ratio, burstFactor)
		}
	}
	// Re-measured once the host is back to speed, the new rounds carry it.
	again := sweepScriptedRef(t, &scripted{canary: true}, rows, ref)
	for i, r := range again {
		if !r.Stable || fmt.Sprint(r.UsedRounds) != "[3 4 5]" || math.Abs(r.LatencyMsMedian/clean[i].LatencyMsMedian-1) > 0.02 {
			t.Errorf("batch %d re-measured: stable %v (%s), used %v, median %.3f vs clean %.3f", r.Batch, r.Stable, r.UnstableReason, r.UsedRounds, r.LatencyMsMedian, clean[i].LatencyMsMedian)
		}
	}
}

func TestCanaryRef(t *testing.T) {
	rs := []Round{{CanaryMs: 2}, {CanaryMs: math.NaN()}, {CanaryMs: 1.5}}
	if got := CanaryRef(rs, 0); math.Abs(got-1.55) > 1e-12 {
		t.Errorf("CanaryRef without a run reference = %v, want the lower decile of 1.5 and 2, 1.55", got)
	}
	if got := CanaryRef(rs, 1.2); got != 1.2 {
		t.Errorf("CanaryRef with the run's 1.2 = %v", got)
	}
	if got := CanaryRef([]Round{{CanaryMs: math.NaN()}}, 0); !math.IsInf(got, 1) {
		t.Errorf("CanaryRef without any canary = %v, want +Inf (no round slow)", got)
	}
	// One lucky fast canary among many does not set the reference.
	cs := []float64{0.6, math.NaN(), 0}
	for i := range 20 {
		cs = append(cs, 1+0.01*float64(i))
	}
	if got := CanaryReference(cs); got < 0.99 || got > 1.02 {
		t.Errorf("CanaryReference = %v, want the lower decile near 1.0, not the outlier 0.6", got)
	}
	r := Row{Attempts: 2, RoundAttempt: []int64{1, 1, 2, 2}, RoundCanaryMs: []float64{1, 2, 3, 4}}
	if got := fmt.Sprint(r.LatestCanaries()); got != "[3 4]" {
		t.Errorf("LatestCanaries = %s, want the second attempt's [3 4]", got)
	}
}

func TestCanaryRuns(t *testing.T) {
	c := newCanary(2)
	d, ok := c.Canary()
	if !ok || d <= 0 || d > 5*time.Second {
		t.Errorf("canary took %v (ok %v)", d, ok)
	}
	if len(c.bufs) != 2 {
		t.Errorf("%d canary threads, want 2", len(c.bufs))
	}
}

func TestJudgeDisagreeingRounds(t *testing.T) {
	mk := func(med float64) Round {
		return Round{Attempt: 1, OtherCPU: math.NaN(), SamplesMs: []float64{med * 0.99, med, med, med * 1.01}}
	}
	e, err := Judge([]Round{mk(10), mk(13), mk(16)}, Rule{MinAgree: 2})
	if err != nil {
		t.Fatal(err)
	}
	if e.Stable || !strings.Contains(e.Reason, "rounds disagree: at most 1 of 3") || e.Stats.Median != 10 {
		t.Errorf("stable %v (%q), median %v; want unstable, resting on the lowest round", e.Stable, e.Reason, e.Stats.Median)
	}
	wide := Round{Attempt: 1, OtherCPU: 0.1, SamplesMs: []float64{8, 9, 10, 10, 11, 12}}
	e, err = Judge([]Round{wide, wide}, Rule{MinAgree: 2})
	if err != nil {
		t.Fatal(err)
	}
	if e.Stable || !strings.Contains(e.Reason, "wider than ±5%") {
		t.Errorf("wide interval: stable %v (%q)", e.Stable, e.Reason)
	}
	if _, err := Judge(nil, Rule{MinAgree: 2}); err == nil {
		t.Error("Judge of no rounds: no error")
	}
}

func TestParseBusy(t *testing.T) {
	got, ok := parseBusy([]byte("cpu  100 20 30 4000 50 6 7 8 9 10"))
	if !ok || math.Abs(got-(100+20+30+6+7+8)/100.0) > 1e-12 {
		t.Errorf("busy %v %v; want 1.71 s", got, ok)
	}
	if _, ok := parseBusy([]byte("cpu0 1 2 3 4 5 6 7 8")); ok {
		t.Error("a per-CPU line was read as the total")
	}
	if _, ok := hostBusySeconds("/proc/stat"); !ok {
		t.Error("cannot read /proc/stat on this host")
	}
}

// A worker process can settle in a slow state for its life: its rounds
// agree with each other, so a stable cell needs agreeing rounds from two
// processes.
func TestJudgeNeedsTwoProcesses(t *testing.T) {
	mk := func(attempt int, med float64) Round {
		return Round{Attempt: attempt, OtherCPU: 0, CanaryMs: math.NaN(), SamplesMs: []float64{med * 0.995, med, med, med * 1.005, med, med}}
	}
	rule := Rule{MinAgree: 2, MinProcesses: 2}
	slowFirst := []Round{mk(1, 11.1), mk(1, 11.2), mk(1, 11.0), mk(2, 7.6), mk(2, 7.7), mk(2, 7.6)}
	e, err := Judge(slowFirst, rule)
	if err != nil {
		t.Fatal(err)
	}
	if e.Stable || !strings.Contains(e.Reason, "processes disagree: the 3 agreeing rounds come from 1 process, 2 needed") {
		t.Errorf("one fast process, one slow: stable %v (%q); want unstable, processes disagree", e.Stable, e.Reason)
	}
	if one, _ := Judge(slowFirst, Rule{MinAgree: 2, MinProcesses: 1}); !one.Stable {
		t.Errorf("with one process required: unstable (%s)", one.Reason)
	}
	// A third process that agrees with the fast one makes the cell stable
	// at the fast figure, from rounds of processes 2 and 3.
	e, err = Judge(append(slowFirst, mk(3, 7.65), mk(3, 7.6)), rule)
	if err != nil {
		t.Fatal(err)
	}
	if !e.Stable || math.Abs(e.Stats.Median-7.6) > 0.05 || fmt.Sprint(e.Used) != "[false false false true true true true true]" {
		t.Errorf("third process agrees: stable %v (%s), median %.3f, used %v", e.Stable, e.Reason, e.Stats.Median, e.Used)
	}
}

func TestPlanSplitsProcessShare(t *testing.T) {
	for _, c := range []struct {
		runs, rounds, procs int
		want                string
	}{
		{10, 2, 2, "[3 3]"},   // 5 runs a process, as 3 and 2, raised to 3
		{10, 3, 2, "[3 3 3]"}, // 2, 2, 1, raised to MinRoundRuns
		{20, 2, 2, "[5 5]"},
		{2, 2, 1, "[2 2]"}, // never more than runs
		{1, 1, 1, "[1]"},
	} {
		pl := request{Runs: c.runs, Rounds: c.rounds, MinSeconds: 1, Processes: c.procs}.plan()
		var got []int
		for r := 1; r <= c.rounds; r++ {
			n, d := pl.perRound(r)
			got = append(got, n)
			if want := time.Second / time.Duration(c.procs*c.rounds); d != want {
				t.Errorf("%+v round %d: min duration %v, want %v", c, r, d, want)
			}
		}
		if fmt.Sprint(got) != c.want || pl.warmup() != time.Second {
			t.Errorf("%+v: runs per round %v, warm-up %v; want %s and the full second", c, got, pl.warmup(), c.want)
		}
	}
}

// The agreeing rounds are the cell's floor: a lone lucky round does not
// block two that agree just above it, but a slow group far above a lone
// fast round does not pass for the cell's time.
func TestJudgeFloorGroup(t *testing.T) {
	mk := func(attempt int, med float64) Round {
		return Round{Attempt: attempt, OtherCPU: 0, Wait: math.NaN(), CanaryMs: math.NaN(), SamplesMs: []float64{med * 0.995, med, med, med * 1.005, med}}
	}
	rule := Rule{MinAgree: 2, MinProcesses: 2}
	e, err := Judge([]Round{mk(1, 9.0), mk(1, 9.4), mk(2, 9.8), mk(2, 12)}, rule)
	if err != nil {
		t.Fatal(err)
	}
	if !e.Stable || fmt.Sprint(e.Used) != "[false true true false]" || e.Stats.Median < 9.4 || e.Stats.Median > 9.8 {
		t.Errorf("lucky lowest round: stable %v (%s), used %v, median %.3f; want rounds 2 and 3, 9.4–9.8", e.Stable, e.Reason, e.Used, e.Stats.Median)
	}
	e, err = Judge([]Round{mk(1, 9.0), mk(1, 12), mk(2, 12.1), mk(2, 12.2)}, rule)
	if err != nil {
		t.Fatal(err)
	}
	if e.Stable || !strings.Contains(e.Reason, "rounds disagree: at most 1 of 4") || e.Stats.Median != 9.0 {
		t.Errorf("slow group above a fast round: stable %v (%s), median %.3f; want unstable at the fast round", e.Stable, e.Reason, e.Stats.Median)
	}
}
