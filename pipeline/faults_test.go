package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dnnbench/dnnbench/cache"
	"github.com/dnnbench/dnnbench/stages/timing"
)

// syncBuffer is a bytes.Buffer safe for a writer and a reader goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestWaitingRunSaysSo: a run that finds the cache locked prints that it
// waits, on which process, and for how long; given up, it names the holder.
func TestWaitingRunSaysSo(t *testing.T) {
	cacheDir := t.TempDir()
	store, err := cache.Open(cacheDir)
	if err != nil {
		t.Fatal(err)
	}
	unlock, err := store.Lock(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stderr syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, &stderr, &stderr, []string{"--config", "configs/quick.yaml", "--cache", cacheDir, "--out", t.TempDir(), "--stage", "models"})
	}()
	want := fmt.Sprintf("cache %s is in use by another run (process %d); waiting for it (0s so far)", cacheDir, os.Getpid())
	for deadline := time.Now().Add(30 * time.Second); !strings.Contains(stderr.String(), want); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("no waiting line %q in:\n%s", want, stderr.String())
		}
	}
	cancel()
	err = <-done
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("is locked by another run (process %d); gave up after", os.Getpid())) {
		t.Errorf("cancelled wait: %v", err)
	}
}

// flipPack inverts four bytes in the middle of a pack file.
func flipPack(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for i := len(b) / 2; i < len(b)/2+4; i++ {
		b[i] ^= 0xff
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func timingPacks(t *testing.T, cacheDir string) []string {
	t.Helper()
	p, _ := filepath.Glob(filepath.Join(cacheDir, timing.Entries, "packs", "pack-*.parquet"))
	return p
}

// timingRows reads every timing row in the cache at cacheDir.
func timingRows(t *testing.T, cacheDir string) []timing.Row {
	t.Helper()
	store, err := cache.Open(cacheDir)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := cache.All[timing.Row](store, timing.Entries)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func cachedTiming(t *testing.T, cacheDir string) map[string][]float64 {
	t.Helper()
	out := map[string][]float64{}
	for _, r := range timingRows(t, cacheDir) {
		out[fmt.Sprintf("%s/%d", r.Model, r.Batch)] = r.SamplesMs
	}
	return out
}

// TestDamagedPackRecomputesOnlyItsRows: model b's timing pack, copied in
// from another cache, gets flipped bytes. verify names it; a rerun moves it
// aside, says so, and remeasures b's two rows only, keeping a's; --force
// works on a damaged cache; repair leaves a clean one.
func TestDamagedPackRecomputesOnlyItsRows(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "damage.yaml")
	os.WriteFile(cfg, []byte(`name: damage
models:
  - {name: a, arch: squeezenet1_1}
  - {name: b, arch: shufflenet_v2_x0_5}
timing: {batch_sizes: [1, 2], warmup: 1, runs: 3, min_seconds: 0.02}
memory: {batch_sizes: [1]}
`), 0o644)
	cacheDir, other := filepath.Join(dir, "cache"), filepath.Join(dir, "other")
	base := []string{"--config", cfg, "--out", filepath.Join(dir, "out"), "--stage", "timing"}
	for _, c := range []struct{ cache, model string }{{cacheDir, "a"}, {other, "b"}} {
		if log, err := runArgs(t, append(base, "--cache", c.cache, "--models", c.model)...); err != nil {
			t.Fatalf("%v\n%s", err, log)
		}
	}
	bPack := timingPacks(t, other)
	if len(bPack) != 1 || len(timingPacks(t, cacheDir)) != 1 {
		t.Fatalf("packs: %v and %v", timingPacks(t, cacheDir), bPack)
	}
	bad := filepath.Join(cacheDir, timing.Entries, "packs", filepath.Base(bPack[0]))
	b, _ := os.ReadFile(bPack[0])
	os.WriteFile(bad, b, 0o644)
	before := cachedTiming(t, cacheDir)
	if len(before) != 4 {
		t.Fatalf("%d timing rows before the damage, want 4", len(before))
	}
	flipPack(t, bad)

	out, err := runArgs(t, "cache", "verify", "--cache", cacheDir)
	if err == nil || !strings.Contains(out, "damaged: "+bad) || !strings.Contains(err.Error(), "1 damaged files") {
		t.Fatalf("verify of a damaged cache: %v\n%s", err, out)
	}

	log, err := runArgs(t, append(base, "--cache", cacheDir)...)
	if err != nil {
		t.Fatalf("rerun on a damaged cache: %v\n%s", err, log)
	}
	if !strings.Contains(log, bad+" is damaged") || !strings.Contains(log, filepath.Join(cacheDir, timing.Entries, "quarantine")) {
		t.Errorf("the rerun did not say it moved %s aside:\n%s", bad, log)
	}
	after := cachedTiming(t, cacheDir)
	recomputed := 0
	for k, samples := range after {
		if fmt.Sprint(samples) != fmt.Sprint(before[k]) {
			recomputed++
			if !strings.HasPrefix(k, "b/") {
				t.Errorf("row %s was remeasured, though its pack was intact", k)
			}
		}
	}
	if len(after) != 4 || recomputed != 2 {
		t.Errorf("%d rows after the rerun, %d remeasured; want 4 and b's 2", len(after), recomputed)
	}

	// --force works on a damaged cache.
	packs := timingPacks(t, cacheDir)
	if len(packs) != 1 {
		t.Fatalf("packs after the rerun: %v", packs)
	}
	flipPack(t, packs[0])
	if log, err := runArgs(t, append(base, "--cache", cacheDir, "--force", "--models", "a")...); err != nil {
		t.Fatalf("--force on a damaged cache: %v\n%s", err, log)
	}

	// repair moves damage aside; verify is then clean.
	flipPack(t, timingPacks(t, cacheDir)[0])
	if out, err := runArgs(t, "cache", "repair", "--cache", cacheDir); err != nil || !strings.Contains(out, "1 damaged files moved aside") {
		t.Errorf("repair: %v\n%s", err, out)
	}
	if out, err := runArgs(t, "cache", "verify", "--cache", cacheDir); err != nil || !strings.Contains(out, "no damaged files") {
		t.Errorf("verify after repair: %v\n%s", err, out)
	}
}
