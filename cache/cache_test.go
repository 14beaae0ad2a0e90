package cache

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dnnbench/dnnbench/stages/accuracy"
	"github.com/dnnbench/dnnbench/stages/flops"
	"github.com/dnnbench/dnnbench/stages/memory"
	"github.com/dnnbench/dnnbench/stages/models"
	"github.com/dnnbench/dnnbench/stages/timing"
)

func mustKey(t testing.TB, schema int, parts ...any) string {
	t.Helper()
	k, err := Key(schema, parts...)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func openTemp(t testing.TB) *Store {
	t.Helper()
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func lock(t testing.TB, s *Store) func() error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	unlock, err := s.Lock(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return unlock
}

type device struct {
	Name    string
	EP      string
	Threads int
	Options map[string]string
}

type settings struct {
	Batches []int
	Warmup  int
	Device  device
	Extra   map[string]any
}

func baseParts() (string, settings, string) {
	return "sha256-of-model", settings{
		Batches: []int{1, 2, 4},
		Warmup:  10,
		Device:  device{Name: "cpu", EP: "cpu", Threads: 2, Options: map[string]string{"a": "1", "b": "2"}},
		Extra:   map[string]any{"x": 1.5, "nested": map[string]any{"p": true, "q": []int{1}}},
	}, "1.24.1"
}

func TestKeyStable(t *testing.T) {
	m, s, v := baseParts()
	k1 := mustKey(t, 1, m, s, v)
	if !validKey(k1) {
		t.Fatalf("key %q is not 64 hex digits", k1)
	}
	// Maps built in another insertion order, and deep copies, give the same key.
	_, s2, _ := baseParts()
	s2.Device.Options = map[string]string{}
	s2.Device.Options["b"] = "2"
	s2.Device.Options["a"] = "1"
	s2.Extra = map[string]any{"nested": map[string]any{"q": []int{1}, "p": true}, "x": 1.5}
	for i := 0; i < 20; i++ {
		if k := mustKey(t, 1, m, s2, v); k != k1 {
			t.Fatalf("same inputs gave key %s, then %s", k1, k)
		}
	}
}

func TestKeyChanges(t *testing.T) {
	m, s, v := baseParts()
	base := mustKey(t, 1, m, s, v)
	change := map[string]func() string{
		"schema":        func() string { return mustKey(t, 2, m, s, v) },
		"model sha":     func() string { return mustKey(t, 1, m+"x", s, v) },
		"runtime":       func() string { return mustKey(t, 1, m, s, "1.24.2") },
		"batch list":    func() string { s := s; s.Batches = []int{1, 2, 8}; return mustKey(t, 1, m, s, v) },
		"warmup":        func() string { s := s; s.Warmup = 11; return mustKey(t, 1, m, s, v) },
		"nested struct": func() string { s := s; s.Device.Threads = 4; return mustKey(t, 1, m, s, v) },
		"map value": func() string {
			s := s
			s.Device.Options = map[string]string{"a": "1", "b": "3"}
			return mustKey(t, 1, m, s, v)
		},
		"map key": func() string {
			s := s
			s.Device.Options = map[string]string{"a": "1", "c": "2"}
			return mustKey(t, 1, m, s, v)
		},
		"nested map": func() string {
			s := s
			s.Extra = map[string]any{"x": 1.5, "nested": map[string]any{"p": false, "q": []int{1}}}
			return mustKey(t, 1, m, s, v)
		},
		"float": func() string {
			s := s
			s.Extra = map[string]any{"x": 1.5000001, "nested": map[string]any{"p": true, "q": []int{1}}}
			return mustKey(t, 1, m, s, v)
		},
		"part order":  func() string { return mustKey(t, 1, s, m, v) },
		"extra part":  func() string { return mustKey(t, 1, m, s, v, "") },
		"fewer parts": func() string { return mustKey(t, 1, m, s) },
	}
	seen := map[string]string{base: "base"}
	names := make([]string, 0, len(change))
	for name := range change {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		k := change[name]()
		if prev, dup := seen[k]; dup {
			t.Errorf("changing %s gives the same key as %s", name, prev)
		}
		seen[k] = name
	}
	// Concatenation does not collide with separate parts.
	if mustKey(t, 1, "ab") == mustKey(t, 1, "a", "b") {
		t.Error(`Key(1, "ab") == Key(1, "a", "b")`)
	}
	if mustKey(t, 1, 1) == mustKey(t, 1, "1") {
		t.Error(`Key(1, 1) == Key(1, "1")`)
	}
}

func TestKeyRejectsUnencodable(t *testing.T) {
	for name, part := range map[string]any{"NaN": math.NaN(), "Inf": math.Inf(1), "func": func() {}, "chan": make(chan int)} {
		if _, err := Key(1, part); err == nil || !strings.HasPrefix(err.Error(), "cache: key:") {
			t.Errorf("Key(%s) error = %v, want a cache: key: error", name, err)
		}
	}
}

// roundTrip puts rows, reads them back loose, packed and through All.
func roundTrip[T any](t *testing.T, stage string, rows []T) {
	t.Helper()
	s := openTemp(t)
	key := mustKey(t, 1, stage)
	if err := Put(s, stage, key, rows); err != nil {
		t.Fatal(err)
	}
	got, ok, err := Get[T](s, stage, key)
	if err != nil || !ok {
		t.Fatalf("Get = ok %v, %v", ok, err)
	}
	if !reflect.DeepEqual(got, rows) {
		t.Fatalf("loose round trip:\n got %+v\nwant %+v", got, rows)
	}
	unlock := lock(t, s)
	if err := s.Compact(stage); err != nil {
		t.Fatal(err)
	}
	if err := unlock(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(s.Dir(), stage, key+entryExt)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("loose entry still there after Compact: %v", err)
	}
	got, ok, err = Get[T](s, stage, key)
	if err != nil || !ok {
		t.Fatalf("Get from pack = ok %v, %v", ok, err)
	}
	if !reflect.DeepEqual(got, rows) {
		t.Fatalf("packed round trip:\n got %+v\nwant %+v", got, rows)
	}
	all, err := All[T](s, stage)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(all, rows) {
		t.Fatalf("All:\n got %+v\nwant %+v", all, rows)
	}
}

func TestRoundTripRowTypes(t *testing.T) {
	t.Run("models", func(t *testing.T) {
		roundTrip(t, "models", []models.Row{{
			Model: "resnet50", Source: "arch", Arch: "resnet50", Path: "cache/models/files/resnet50.onnx",
			SHA256: strings.Repeat("ab", 32), Bytes: 102_000_000, Weights: "random",
			Channels: 3, Height: 224, Width: 224, Resize: 256, Crop: 224, Interpolation: "bilinear",
			Mean: "0.485 0.456 0.406", Std: "0.229 0.224 0.225", ColorOrder: "rgb", Scale: 255,
			Reference: "torchvision:ResNet50_Weights.IMAGENET1K_V1",
		}, {Model: "my net, \"quoted\"", Source: "onnx", Weights: "pretrained", Scale: 1}})
	})
	t.Run("flops", func(t *testing.T) {
		roundTrip(t, "flops", []flops.Row{{
			Model: "resnet50", Params: 25_557_032, FileBytes: 102_000_000, MACs: 4_089_184_256, FLOPs: 8_200_000_000,
			ActivationBytes: 1 << 30, UnknownOps: "Foo Bar", Warnings: []string{"a; with a semicolon", "b"}, PeakActivationBytes: 1 << 24, PaperMACs: 4_000_000_000,
		}})
	})
	t.Run("flops_ops", func(t *testing.T) {
		roundTrip(t, "flops_ops", []flops.OpRow{
			{Model: "resnet50", Op: "Conv", Nodes: 53, Params: 23_000_000, MACs: 4_000_000_000, FLOPs: 8_000_000_000, Counted: true},
			{Model: "resnet50", Op: "com.x.Foo", Nodes: 1},
		})
	})
	t.Run("timing", func(t *testing.T) {
		rows := timingRows(3)
		rows[1].Status, rows[1].Error, rows[1].SamplesMs = "oom", "out of memory", []float64{}
		rows[2].Warnings, rows[2].LatencyMsP99 = []string{"few samples"}, math.MaxFloat64
		// parquet stores an empty list and a nil one alike; compare as read.
		want := slices.Clone(rows)
		roundTripCmp(t, "timing", rows, func(got []timing.Row) []timing.Row {
			for i := range got {
				if len(got[i].SamplesMs) == 0 {
					got[i].SamplesMs = []float64{}
				}
			}
			return got
		}, want)
	})
	t.Run("memory", func(t *testing.T) {
		roundTrip(t, "memory", []memory.Row{{
			Model: "resnet50", Device: "cpu", Batch: 16, BaselineBytes: 50 << 20, StaticBytes: 110 << 20, PeakBytes: 900 << 20,
			Sampler: "proc", Status: "ok", ArenaGrowOnly: true, Samples: 40, Warnings: []string{"w"},
		}, {Model: "vgg16", Device: "cuda", Batch: 64, Status: "oom", Error: "CUDA out of memory", Warnings: []string{}}})
	})
	t.Run("accuracy", func(t *testing.T) {
		roundTrip(t, "accuracy", []accuracy.Row{{
			Model: "resnet50", Dataset: "/data/imagenet/val", Crop: "center", N: 50000, Top1: 76.13, Top5: 92.862,
			Top1CI95: 0.37, Source: "measured", Skipped: 2, Warnings: []string{"2 images unreadable"},
		}})
	})
	t.Run("empty", func(t *testing.T) {
		roundTrip(t, "accuracy", []accuracy.Row{})
	})
}

// roundTripCmp is roundTrip for types whose read-back needs normalising.
func roundTripCmp[T any](t *testing.T, stage string, rows []T, norm func([]T) []T, want []T) {
	t.Helper()
	s := openTemp(t)
	key := mustKey(t, 1, stage)
	if err := Put(s, stage, key, rows); err != nil {
		t.Fatal(err)
	}
	got, ok, err := Get[T](s, stage, key)
	if err != nil || !ok {
		t.Fatalf("Get = ok %v, %v", ok, err)
	}
	if got = norm(got); !reflect.DeepEqual(got, want) {
		t.Fatalf("loose round trip:\n got %+v\nwant %+v", got, want)
	}
	unlock := lock(t, s)
	if err := unlock(); err != nil {
		t.Fatal(err)
	}
	got, ok, err = Get[T](s, stage, key)
	if err != nil || !ok {
		t.Fatalf("Get from pack = ok %v, %v", ok, err)
	}
	if got = norm(got); !reflect.DeepEqual(got, want) {
		t.Fatalf("packed round trip:\n got %+v\nwant %+v", got, want)
	}
}

func TestGetMissing(t *testing.T) {
	s := openTemp(t)
	rows, ok, err := Get[timing.Row](s, "timing", mustKey(t, 1, "absent"))
	if err != nil || ok || rows != nil {
		t.Fatalf("Get of a missing entry = %v, %v, %v; want nil, false, nil", rows, ok, err)
	}
	all, err := All[timing.Row](s, "timing")
	if err != nil || len(all) != 0 {
		t.Fatalf("All of a missing stage = %v, %v", all, err)
	}
}

func TestInvalidStageAndKey(t *testing.T) {
	s := openTemp(t)
	key := mustKey(t, 1)
	for _, stage := range []string{"", "..", "../x", "a/b", "Timing", "1st", "t\x00", strings.Repeat("a", 33)} {
		if err := Put(s, stage, key, []accuracy.Row{}); err == nil || !strings.Contains(err.Error(), "invalid stage name") {
			t.Errorf("Put stage %q: error %v, want invalid stage name", stage, err)
		}
		if _, _, err := Get[accuracy.Row](s, stage, key); err == nil {
			t.Errorf("Get stage %q: no error", stage)
		}
		if _, err := All[accuracy.Row](s, stage); err == nil {
			t.Errorf("All stage %q: no error", stage)
		}
	}
	for _, key := range []string{"", "../../etc/passwd", strings.ToUpper(key), key[:63], key + "0", strings.Repeat("g", 64)} {
		if err := Put(s, "accuracy", key, []accuracy.Row{}); err == nil || !strings.Contains(err.Error(), "invalid key") {
			t.Errorf("Put key %q: error %v, want invalid key", key, err)
		}
	}
	if err := Put(s, "accuracy", key, []int{1}); err == nil || !strings.Contains(err.Error(), "not a struct") {
		t.Errorf("Put of []int: error %v, want not a struct", err)
	}
	entries, err := os.ReadDir(s.Dir())
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 0 {
		t.Errorf("invalid calls created %v", entries)
	}
}

func TestOpenRejectsFile(t *testing.T) {
	f := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(f, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(f); err == nil {
		t.Fatal("Open of a regular file succeeded")
	}
	if _, err := Open(""); err == nil {
		t.Fatal(`Open("") succeeded`)
	}
}

func TestSchemaMismatchIsCorrupt(t *testing.T) {
	s := openTemp(t)
	key := mustKey(t, 1)
	if err := Put(s, "memory", key, []accuracy.Row{{Model: "x"}}); err != nil {
		t.Fatal(err)
	}
	_, _, err := Get[memory.Row](s, "memory", key)
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "columns differ") {
		t.Fatalf("Get as another type: %v, want ErrCorrupt about columns", err)
	}
}

// failAfter is a writer that accepts n bytes and then fails, like a disk
// filling up or a process dying mid-write.
type failAfter struct{ n int }

func (w *failAfter) Write(p []byte) (int, error) {
	if len(p) > w.n {
		k := w.n
		w.n = 0
		return k, errors.New("disk full")
	}
	w.n -= len(p)
	return len(p), nil
}

func TestFailedWriteLeavesNothing(t *testing.T) {
	s := openTemp(t)
	key := mustKey(t, 1)
	old := timingRows(2)
	if err := Put(s, "timing", key, old); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(s.Dir(), "timing", key+entryExt)
	err := writeAtomic(path, func(w io.Writer) error {
		fw := &failAfter{n: 100}
		_, err := io.Copy(io.MultiWriter(w, fw), strings.NewReader(strings.Repeat("x", 1000)))
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("writeAtomic error = %v, want disk full", err)
	}
	got, ok, err := Get[timing.Row](s, "timing", key)
	if err != nil || !ok || !reflect.DeepEqual(got, old) {
		t.Fatalf("after a failed write Get = %v, %v; want the old entry", ok, err)
	}
	names, err := os.ReadDir(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	if len(names) != 1 {
		t.Fatalf("stage directory holds %v, want only the old entry", names)
	}
}

func TestStrayTempAndTruncatedEntry(t *testing.T) {
	s := openTemp(t)
	keep, trunc := mustKey(t, 1, "keep"), mustKey(t, 1, "trunc")
	if err := Put(s, "timing", keep, timingRows(1)); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(s.Dir(), "timing")
	// A write killed before its rename leaves a temporary file.
	stray := filepath.Join(dir, tmpPrefix+"123456")
	if err := os.WriteFile(stray, []byte("PAR1 half an entry"), 0o644); err != nil {
		t.Fatal(err)
	}
	all, err := All[timing.Row](s, "timing")
	if err != nil || len(all) != 1 {
		t.Fatalf("All with a stray temp file = %d rows, %v; want 1 row", len(all), err)
	}
	// The next run's Lock removes it.
	unlock := lock(t, s)
	if _, err := os.Stat(stray); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stray temp file survived Lock: %v", err)
	}
	if err := unlock(); err != nil {
		t.Fatal(err)
	}

	// An entry truncated by something outside the cache (a failed copy) is
	// reported, never returned as rows.
	if err := Put(s, "timing", trunc, timingRows(5)); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, trunc+entryExt)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{0, 4, len(b) / 2, len(b) - 1} {
		if err := os.WriteFile(path, b[:n], 0o644); err != nil {
			t.Fatal(err)
		}
		_, ok, err := Get[timing.Row](s, "timing", trunc)
		if ok || !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "pipeline cache repair") {
			t.Errorf("Get of an entry truncated to %d bytes = ok %v, %v; want ErrCorrupt naming %s and the repair command", n, ok, err, path)
		}
		if _, err := All[timing.Row](s, "timing"); !errors.Is(err, ErrCorrupt) {
			t.Errorf("All with an entry truncated to %d bytes: %v, want ErrCorrupt", n, err)
		}
	}
	// A truncated pack is reported too.
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	unlock = lock(t, s)
	if err := unlock(); err != nil {
		t.Fatal(err)
	}
	packs, err := listPacks(dir)
	if err != nil || len(packs) != 1 {
		t.Fatalf("packs = %v, %v", packs, err)
	}
	pb, err := os.ReadFile(packs[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(packs[0], pb[:len(pb)-10], 0o644); err != nil {
		t.Fatal(err)
	}
	s2, err := Open(s.Dir()) // no cached index
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := Get[timing.Row](s2, "timing", keep); !errors.Is(err, ErrCorrupt) {
		t.Errorf("Get from a truncated pack: %v, want ErrCorrupt", err)
	}
}

func TestCompactMergesAndOverrides(t *testing.T) {
	s := openTemp(t)
	rows := timingRows(40)
	keys := make([]string, len(rows))
	for i := range rows {
		keys[i] = mustKey(t, 1, i)
		if err := Put(s, "timing", keys[i], rows[i:i+1]); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Compact("timing"); err == nil || !strings.Contains(err.Error(), "lock") {
		t.Fatalf("Compact without the lock: %v, want an error about the lock", err)
	}
	unlock := lock(t, s)
	if err := unlock(); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(s.Dir(), "timing")
	if loose, _ := listEntries(dir); len(loose) != 0 {
		t.Fatalf("%d loose entries after unlock, want 0", len(loose))
	}
	// Overwrite a packed entry: the loose one wins in Get and All.
	newer := []timing.Row{{Model: "newer", Status: "ok", Warnings: []string{}, SamplesMs: []float64{1}, SampleRound: []int64{0}, SampleUnixNs: []int64{1},
		RoundAttempt: []int64{1}, RoundMedianMs: []float64{1}, RoundOtherCPU: []float64{0}, UsedRounds: []int64{0}, RoundCanaryMs: []float64{1}, RoundWait: []float64{0.01}}}
	if err := Put(s, "timing", keys[7], newer); err != nil {
		t.Fatal(err)
	}
	got, ok, err := Get[timing.Row](s, "timing", keys[7])
	if err != nil || !ok || !reflect.DeepEqual(got, newer) {
		t.Fatalf("Get after overwrite = %+v, %v, %v", got, ok, err)
	}
	want := wantByKey(keys, rows)
	want[keys[7]] = newer
	checkAll(t, s, want)
	// Compacting again keeps the newer entry and leaves one pack.
	unlock = lock(t, s)
	if err := unlock(); err != nil {
		t.Fatal(err)
	}
	checkAll(t, s, want)
	if packs, _ := listPacks(dir); len(packs) != 1 {
		t.Fatalf("%d packs, want 1", len(packs))
	}

	// A second device's cache, compacted elsewhere and copied in, merges.
	other := openTemp(t)
	orows := timingRows(5)
	for i := range orows {
		orows[i].Device = "jetson"
		k := mustKey(t, 1, "jetson", i)
		if err := Put(other, "timing", k, orows[i:i+1]); err != nil {
			t.Fatal(err)
		}
		want[k] = orows[i : i+1]
	}
	unlock = lock(t, other)
	if err := unlock(); err != nil {
		t.Fatal(err)
	}
	opacks, _ := listPacks(filepath.Join(other.Dir(), "timing"))
	if len(opacks) != 1 {
		t.Fatalf("other store has %d packs", len(opacks))
	}
	b, err := os.ReadFile(opacks[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, packsDir, filepath.Base(opacks[0])), b, 0o644); err != nil {
		t.Fatal(err)
	}
	checkAll(t, s, want)
	unlock = lock(t, s)
	if err := unlock(); err != nil {
		t.Fatal(err)
	}
	checkAll(t, s, want)
	if packs, _ := listPacks(dir); len(packs) != 1 {
		t.Fatalf("%d packs after merging, want 1", len(packs))
	}
}

func wantByKey(keys []string, rows []timing.Row) map[string][]timing.Row {
	m := map[string][]timing.Row{}
	for i, k := range keys {
		m[k] = rows[i : i+1]
	}
	return m
}

// checkAll checks All returns want's rows in key order and Get finds each.
func checkAll(t *testing.T, s *Store, want map[string][]timing.Row) {
	t.Helper()
	keys := make([]string, 0, len(want))
	for k := range want {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var rows []timing.Row
	for _, k := range keys {
		rows = append(rows, want[k]...)
		got, ok, err := Get[timing.Row](s, "timing", k)
		if err != nil || !ok || !reflect.DeepEqual(got, want[k]) {
			t.Fatalf("Get %s = %+v, %v, %v; want %+v", k, got, ok, err, want[k])
		}
	}
	all, err := All[timing.Row](s, "timing")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(all, rows) {
		t.Fatalf("All returned %d rows, not the %d expected in key order", len(all), len(rows))
	}
}

func TestAllCompactsUnderLock(t *testing.T) {
	s := openTemp(t)
	rows := timingRows(autoCompact)
	keys := writeLoose(t, s, rows)
	unlock := lock(t, s)
	defer unlock()
	checkAll(t, s, wantByKey(keys, rows))
	if loose, _ := listEntries(filepath.Join(s.Dir(), "timing")); len(loose) != 0 {
		t.Fatalf("All under the lock left %d loose entries, want 0", len(loose))
	}
}

func TestLockTimeoutNamesHolder(t *testing.T) {
	s := openTemp(t)
	unlock := lock(t, s)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := s.Lock(ctx)
	if err == nil || !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), fmt.Sprintf("process %d", os.Getpid())) {
		t.Fatalf("second Lock = %v, want a deadline error naming process %d", err, os.Getpid())
	}
	if err := unlock(); err != nil {
		t.Fatal(err)
	}
	if err := unlock(); err != nil {
		t.Fatalf("second unlock: %v", err)
	}
	unlock2 := lock(t, s) // free again
	if err := unlock2(); err != nil {
		t.Fatal(err)
	}
}

func TestCompactRejectsMixedColumns(t *testing.T) {
	s := openTemp(t)
	a, b := mustKey(t, 1, "a"), mustKey(t, 1, "b")
	if err := Put(s, "memory", a, []memory.Row{{Model: "a"}}); err != nil {
		t.Fatal(err)
	}
	if err := Put(s, "memory", b, []accuracy.Row{{Model: "b"}}); err != nil {
		t.Fatal(err)
	}
	unlock := lock(t, s)
	err := s.Compact("memory")
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), b+entryExt) {
		t.Errorf("Compact of mixed columns: %v, want ErrCorrupt naming %s", err, b+entryExt)
	}
	if err := unlock(); !errors.Is(err, ErrCorrupt) {
		t.Errorf("unlock: %v, want the compaction's ErrCorrupt", err)
	}
	// Nothing was lost, and the lock was released.
	if got, ok, err := Get[memory.Row](s, "memory", a); err != nil || !ok || got[0].Model != "a" {
		t.Errorf("Get a after a failed compaction = %v, %v, %v", got, ok, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	unlock2, err := s.Lock(ctx)
	if err != nil {
		t.Fatalf("lock not released after a failed compaction: %v", err)
	}
	unlock2() // fails to compact again, as above
}
