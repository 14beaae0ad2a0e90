package timing

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/dnnbench/dnnbench/internal/energy"
	"github.com/dnnbench/dnnbench/internal/sweep"
	"github.com/dnnbench/dnnbench/internal/testmodel"
)

// scriptedMeter is an energy meter on the scripted clock: a constant power
// over the time between Start and Stop. Stop number failStop (from 1) fails.
type scriptedMeter struct {
	src      *scripted
	watts    float64
	t0       time.Duration
	stops    int
	failStop int
}

func (m *scriptedMeter) Source() string { return "scripted: " + fmt.Sprint(m.watts) + " W" }
func (m *scriptedMeter) Start() error   { m.t0 = m.src.now; return nil }
func (m *scriptedMeter) Stop() (float64, error) {
	m.stops++
	if m.stops == m.failStop {
		return 0, errors.New("energy: counter vanished")
	}
	return m.watts * (m.src.now - m.t0).Seconds(), nil
}
func (m *scriptedMeter) Close() error { return nil }

// metered is the scripted probe with a meter.
type metered struct {
	*scripted
	m *scriptedMeter
}

func (p metered) meter() energy.Meter { return p.m }

// sweepMetered runs the worker's loop and the parent's judgement, as
// sweepScripted does, with a meter read around each round's timed runs.
func sweepMetered(t *testing.T, src *scripted, m *scriptedMeter, prior []Row) []Row {
	t.Helper()
	cfg := Config{Device: "cpu", Warmup: 3, Runs: 12, Rounds: 3}
	st := newSweepState(cfg, Model{Name: "m", Prior: prior}, scriptedBatches)
	if err := st.handle(event{Kind: evSession, SessionMs: 1, EnergySource: m.Source()}); err != nil {
		t.Fatal(err)
	}
	pl := plan{rounds: cfg.Rounds, runs: cfg.Runs}
	if err := timeAll(context.Background(), scriptedBatches, src.prepare, cfg.Warmup, pl, metered{src, m}, st.handle); err != nil {
		t.Fatal(err)
	}
	rows, err := st.rows("ended", sweep.Error)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(scriptedBatches) {
		t.Fatalf("%d rows", len(rows))
	}
	return rows
}

// usedJoulesPerImage is the energy per image a constant power gives over
// the timed runs of a row's used rounds: the meter is read around the timed
// runs only, so it is the power times their summed latency.
func usedJoulesPerImage(r Row, watts float64) float64 {
	used := map[int64]bool{}
	for _, u := range r.UsedRounds {
		used[u] = true
	}
	var ms float64
	var n int
	for i, x := range r.SamplesMs {
		if used[r.SampleRound[i]] {
			ms += x
			n++
		}
	}
	return watts * ms / 1000 / float64(n*int(r.Batch))
}

// TestEnergyPerImageFromUsedRounds: joules per image rest on the rounds the
// latency estimate uses; a burst round, slower and so costlier, is left out.
func TestEnergyPerImageFromUsedRounds(t *testing.T) {
	src := &scripted{burst: roundCalls(t, 2)}
	rows := sweepMetered(t, src, &scriptedMeter{src: src, watts: 40}, nil)
	for _, r := range rows {
		if r.EnergySource != "scripted: 40 W" || fmt.Sprint(r.UsedRounds) != "[0 2]" {
			t.Fatalf("batch %d: source %q, used rounds %v", r.Batch, r.EnergySource, r.UsedRounds)
		}
		want := usedJoulesPerImage(r, 40)
		if math.Abs(r.JoulesPerImage-want) > 1e-9*want {
			t.Errorf("batch %d: %v J per image, want %v (40 W over the used rounds' timed runs)", r.Batch, r.JoulesPerImage, want)
		}
		// Each image takes baseMs ±1%: 0.4 J at 40 W; with the burst round it would be 20% more.
		if d := math.Abs(r.JoulesPerImage/(40*baseMs/1000) - 1); d > 0.02 {
			t.Errorf("batch %d: %v J per image is %.1f%% off 0.4 J", r.Batch, r.JoulesPerImage, 100*d)
		}
	}

	// A re-measurement whose rounds are all loaded rests on the earlier
	// attempt's rounds, and so keeps its energy figure.
	busy := &scripted{burst: func(int) bool { return true }}
	again := sweepMetered(t, busy, &scriptedMeter{src: busy, watts: 100}, rows)
	for i, r := range again {
		if r.Attempts != 2 || r.JoulesPerImage != rows[i].JoulesPerImage || r.EnergySource != rows[i].EnergySource {
			t.Errorf("batch %d re-measured under load: attempts %d, %v J from %q; want the first attempt's %v J",
				r.Batch, r.Attempts, r.JoulesPerImage, r.EnergySource, rows[i].JoulesPerImage)
		}
	}
}

// TestEnergyReadingFails: a cell with a failed reading has no figure, and
// its source says why; the other cells keep theirs.
func TestEnergyReadingFails(t *testing.T) {
	src := &scripted{}
	// Stops go batch 1, 2, 4 in round 1: the second is batch 2's.
	rows := sweepMetered(t, src, &scriptedMeter{src: src, watts: 40, failStop: 2}, nil)
	for _, r := range rows {
		failed := r.Batch == 2
		if failed != math.IsNaN(r.JoulesPerImage) {
			t.Errorf("batch %d: %v J per image", r.Batch, r.JoulesPerImage)
		}
		if failed && r.EnergySource != "none: energy: counter vanished" {
			t.Errorf("batch 2: source %q, want the reading's error", r.EnergySource)
		}
	}
	// Without a meter (a probe that has none) there is no figure.
	plain := sweepScripted(t, &scripted{}, nil)
	for _, r := range plain {
		if !math.IsNaN(r.JoulesPerImage) {
			t.Errorf("batch %d without a meter: %v J", r.Batch, r.JoulesPerImage)
		}
	}
}

// TestSweepRecordsEnergySource runs the real worker: its rows name the
// meter energy.Open finds on this host, with a figure exactly when it is
// a sensor.
func TestSweepRecordsEnergySource(t *testing.T) {
	want := energy.Open(context.Background(), energy.Options{})
	defer want.Close()
	cfg := testConfig(t)
	rows, _, err := collect(t, cfg, Model{Name: "tiny", Path: writeModel(t, testmodel.Spec{})}, []int{1})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 {
		t.Fatalf("%d rows, want 1", len(rows))
	}
	t.Logf("energy on this host: %v J per image from %q", rows[0].JoulesPerImage, rows[0].EnergySource)
	for _, r := range rows {
		none := strings.HasPrefix(r.EnergySource, "none: ")
		if r.Status != sweep.OK || r.EnergySource != want.Source() || none != math.IsNaN(r.JoulesPerImage) || (!none && !(r.JoulesPerImage > 0)) {
			t.Errorf("batch %d: %s, %v J per image from %q; want the source %q", r.Batch, r.Status, r.JoulesPerImage, r.EnergySource, want.Source())
		}
	}
}
