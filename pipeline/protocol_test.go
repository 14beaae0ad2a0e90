package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dnnbench/dnnbench/stages/timing"
)

// TestWarmupZeroRunsNone: warmup: 0 with min_seconds: 0 runs no warm-up
// and exactly the runs asked for in one round of one process, through the worker to the
// row (with no re-measurement, which would add an attempt's runs; more
// rounds would each take at least min(3, runs)).
func TestWarmupZeroRunsNone(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "zero.yaml")
	os.WriteFile(cfg, []byte("name: zero\nmodels:\n  - {name: sq, arch: squeezenet1_1}\ntiming: {batch_sizes: [1], warmup: 0, runs: 3, rounds: 1, processes: 1, min_seconds: 0, max_remeasure: 0}\n"), 0o644)
	out, cacheDir := filepath.Join(dir, "out"), filepath.Join(dir, "cache")
	if log, err := runArgs(t, "--config", cfg, "--out", out, "--cache", cacheDir, "--quiet", "--stage", "timing"); err != nil {
		t.Fatalf("%v\n%s", err, log)
	}
	path := filepath.Join(out, "zero", "timing.csv")
	if w, r := column(t, path, "warmup"), column(t, path, "runs"); len(w) != 1 || w[0] != "0" || r[0] != "3" {
		t.Errorf("timing.csv warmup %v runs %v, want 0 and 3", w, r)
	}
	rows := timingRows(t, cacheDir)
	if len(rows) != 1 || rows[0].Warmup != 0 || len(rows[0].SamplesMs) != 3 || rows[0].FirstRunMs != rows[0].SamplesMs[0] {
		t.Errorf("cached rows %+v, want one with no warm-up, 3 samples, the first of them the first run", rows)
	}
}

// TestModelsSubsetHasItsOwnFolder: --models writes beside the full report,
// never over it; a model listed twice is an error.
func TestModelsSubsetHasItsOwnFolder(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "sub.yaml")
	os.WriteFile(cfg, []byte("name: sub\nmodels:\n  - {name: a, arch: squeezenet1_1}\n  - {name: b, arch: squeezenet1_0}\n"), 0o644)
	out, cacheDir := filepath.Join(dir, "out"), filepath.Join(dir, "cache")
	args := []string{"--config", cfg, "--out", out, "--cache", cacheDir, "--quiet", "--stage", "models"}
	if log, err := runArgs(t, append(args, "--models", "a")...); err != nil {
		t.Fatalf("%v\n%s", err, log)
	}
	if got := column(t, filepath.Join(out, "sub-models-a", "models.csv"), "model"); strings.Join(got, ",") != "a" {
		t.Errorf("subset models.csv: %v, want a", got)
	}
	if _, err := os.Stat(filepath.Join(out, "sub")); !os.IsNotExist(err) {
		t.Errorf("a --models run wrote the full config's folder: %v", err)
	}
	if log, err := runArgs(t, append(args, "--models", "b,a")...); err != nil {
		t.Fatalf("%v\n%s", err, log)
	}
	if _, err := os.Stat(filepath.Join(out, "sub", "models.csv")); err != nil {
		t.Errorf("every model named: want the config's own folder: %v", err)
	}
	if _, err := runArgs(t, append(args, "--models", "a,a")...); err == nil || !strings.Contains(err.Error(), `"a" is listed twice`) {
		t.Errorf("--models a,a: %v, want an error", err)
	}
}

// TestShrunkFormatsRemoveOldReports: after formats shrinks, the reports
// this run did not write are removed; other files are left alone.
func TestShrunkFormatsRemoveOldReports(t *testing.T) {
	dir := t.TempDir()
	cacheDir := filepath.Join(dir, "cache")
	write := func(formats string) {
		cfg := filepath.Join(dir, "fmt.yaml")
		os.WriteFile(cfg, []byte("name: fmt\nmodels:\n  - {name: sq, arch: squeezenet1_1}\ntiming: {batch_sizes: [1], warmup: 1, runs: 2, min_seconds: 0.01}\nmemory: {batch_sizes: [1]}\nreport: {formats: "+formats+"}\n"), 0o644)
		if log, err := runArgs(t, "--config", cfg, "--out", filepath.Join(dir, "out"), "--cache", cacheDir, "--quiet"); err != nil {
			t.Fatalf("%v\n%s", err, log)
		}
	}
	res := filepath.Join(dir, "out", "fmt")
	write("[md, html]")
	notes := filepath.Join(res, "notes.txt")
	os.WriteFile(notes, []byte("mine"), 0o644)
	write("[md]")
	if _, err := os.Stat(filepath.Join(res, "report.md")); err != nil {
		t.Errorf("report.md: %v", err)
	}
	if _, err := os.Stat(filepath.Join(res, "report.html")); !os.IsNotExist(err) {
		t.Errorf("report.html from the earlier run is still there: %v", err)
	}
	if _, err := os.Stat(notes); err != nil {
		t.Errorf("a user's file was removed: %v", err)
	}
}

// cancelOn cancels a run once its log shows a line containing mark.
type cancelOn struct {
	mark   string
	cancel context.CancelFunc
	buf    bytes.Buffer
}

func (c *cancelOn) Write(p []byte) (int, error) {
	c.buf.Write(p)
	if strings.Contains(c.buf.String(), c.mark) {
		c.cancel()
	}
	return len(p), nil
}

// TestTimingPassesAndResume: with two processes each model is timed once
// per pass over the models, so a cell's two processes are a pass apart;
// a run stopped in its second pass leaves one-process rows that the next
// run completes with a second process, pooling the first's rounds.
func TestTimingPassesAndResume(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "two.yaml")
	os.WriteFile(cfg, []byte("name: two\nmodels:\n  - {name: a, arch: squeezenet1_1}\n  - {name: b, arch: squeezenet1_0}\n"+
		"timing: {batch_sizes: [1], warmup: 1, runs: 2, rounds: 1, processes: 2, min_seconds: 0, max_remeasure: 0}\n"), 0o644)
	out, cacheDir := filepath.Join(dir, "out"), filepath.Join(dir, "cache")
	args := []string{"--config", cfg, "--out", out, "--cache", cacheDir, "--stage", "timing"}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stop := &cancelOn{mark: "[2/2] b (process 2/2)", cancel: cancel}
	if err := run(ctx, io.Discard, stop, args); err == nil {
		t.Fatalf("the run was not stopped in its second pass:\n%s", stop.buf.String())
	}
	log := stop.buf.String()
	if i, j := strings.Index(log, "[2/2] b (process 1/2)"), strings.Index(log, "[1/2] a (process 2/2)"); i < 0 || j < i {
		t.Errorf("model b's first process does not come before model a's second:\n%s", log)
	}
	log, err := runArgs(t, args...)
	if err != nil {
		t.Fatalf("%v\n%s", err, log)
	}
	if strings.Contains(log, "(process 1/2)") || strings.Contains(log, "[1/2] a (process 2/2)") || !strings.Contains(log, "[2/2] b (process 2/2)") {
		t.Errorf("the resumed run should time only b's second process:\n%s", log)
	}
	rows := timingRows(t, cacheDir)
	if len(rows) != 2 {
		t.Fatalf("%d cached rows, want 2", len(rows))
	}
	for _, r := range rows {
		if r.Attempts != 2 || fmt.Sprint(r.RoundAttempt) != "[1 2]" {
			t.Errorf("%s: attempts %d, round attempts %v; want one round from each of 2 processes", r.Model, r.Attempts, r.RoundAttempt)
		}
	}
}

// The re-measurement budget goes to the cheapest cells first.
func TestCheapestFirst(t *testing.T) {
	row := func(ms float64) timing.Row { return timing.Row{LatencyMsMedian: ms} }
	got := cheapestFirst(map[int][]timing.Row{
		0: {row(400), row(800)}, // vgg: 1.2 s
		3: {row(5)},
		5: {row(2), row(3)}, // 5 ms, ties with 3: index order
		7: nil,
		9: {row(60)},
	})
	if fmt.Sprint(got) != "[3 5 9 0]" {
		t.Errorf("order %v, want [3 5 9 0]", got)
	}
}
