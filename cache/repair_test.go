package cache

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dnnbench/dnnbench/stages/accuracy"
	"github.com/dnnbench/dnnbench/stages/timing"
)

// twoPacks makes a store whose timing stage has two packs, as after copying
// another machine's pack in: keys[0:2] in one, keys[2:4] in the other. It
// returns the second pack's path.
func twoPacks(t *testing.T) (s *Store, keys []string, second string) {
	t.Helper()
	s = openTemp(t)
	other := openTemp(t)
	rows := timingRows(4)
	for i := range rows {
		keys = append(keys, mustKey(t, 1, "repair", i))
		dst := s
		if i >= 2 {
			dst = other
		}
		if err := Put(dst, "timing", keys[i], rows[i:i+1]); err != nil {
			t.Fatal(err)
		}
	}
	for _, st := range []*Store{s, other} {
		unlock := lock(t, st)
		if err := unlock(); err != nil {
			t.Fatal(err)
		}
	}
	packs, _ := listPacks(filepath.Join(other.Dir(), "timing"))
	if len(packs) != 1 {
		t.Fatalf("other store has packs %v", packs)
	}
	second = filepath.Join(s.Dir(), "timing", packsDir, filepath.Base(packs[0]))
	copyFile(t, packs[0], second)
	return s, keys, second
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// flip inverts four bytes of a file at the given fraction of its length,
// as a bad disk or copy does.
func flip(t *testing.T, path string, at float64) {
	t.Helper()
	flipN(t, path, at, 4)
}

// flipN inverts n bytes of the file at path from fraction at of its length.
func flipN(t *testing.T, path string, at float64, n int) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	start := int(float64(len(b)) * at)
	for i := start; i < start+n; i++ {
		b[i] ^= 0xff
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestDamagedPackQuarantined: under the lock, a pack with flipped bytes is
// moved aside and reported, its entries read as missing, and the entries of
// the other pack are kept; without the lock it is an error naming the file
// and the repair command.
func TestDamagedPackQuarantined(t *testing.T) {
	s, keys, bad := twoPacks(t)
	flip(t, bad, 0.5)

	reader, _ := Open(s.Dir())
	_, _, err := Get[timing.Row](reader, "timing", keys[2])
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), bad) || !strings.Contains(err.Error(), "pipeline cache repair") {
		t.Fatalf("Get without the lock: %v, want ErrCorrupt naming %s and the repair", err, bad)
	}

	unlock := lock(t, s)
	for i, key := range keys {
		_, ok, err := Get[timing.Row](s, "timing", key)
		if err != nil || ok != (i < 2) {
			t.Errorf("Get key %d = ok %v, %v; want ok %v", i, ok, err, i < 2)
		}
	}
	reps := s.Repairs()
	if len(reps) != 1 || reps[0].File != bad || reps[0].Stage != "timing" || filepath.Dir(reps[0].To) != filepath.Join(s.Dir(), "timing", quarantineDir) {
		t.Fatalf("repairs %+v, want the damaged pack moved to timing/quarantine", reps)
	}
	if msg := reps[0].String(); !strings.Contains(msg, bad) || !strings.Contains(msg, reps[0].To) || !strings.Contains(msg, "checksum") {
		t.Errorf("repair message %q", msg)
	}
	if _, err := os.Stat(reps[0].To); err != nil {
		t.Errorf("the damaged pack is not kept in quarantine: %v", err)
	}
	if s.Repairs() != nil {
		t.Error("Repairs repeats what it returned")
	}
	all, err := All[timing.Row](s, "timing")
	if err != nil || len(all) != 2 {
		t.Errorf("All after the quarantine = %d rows, %v; want the other pack's 2", len(all), err)
	}
	if err := unlock(); err != nil {
		t.Fatalf("unlock (compaction) after the quarantine: %v", err)
	}
}

// TestDamagedEntryQuarantinedByAll: All under the lock moves a damaged loose
// entry aside and returns every other row.
func TestDamagedEntryQuarantinedByAll(t *testing.T) {
	s := openTemp(t)
	rows := timingRows(3)
	var keys []string
	for i := range rows {
		keys = append(keys, mustKey(t, 1, "loose", i))
		if err := Put(s, "timing", keys[i], rows[i:i+1]); err != nil {
			t.Fatal(err)
		}
	}
	bad := filepath.Join(s.Dir(), "timing", keys[1]+entryExt)
	// 64 bytes early in the file: in the first columns' pages, whatever the
	// row layout (a 4-byte flip can land on a header field nothing checks).
	flipN(t, bad, 0.03, 64)
	unlock := lock(t, s)
	defer unlock()
	all, err := All[timing.Row](s, "timing")
	if err != nil || len(all) != 2 {
		t.Fatalf("All = %d rows, %v; want 2", len(all), err)
	}
	if reps := s.Repairs(); len(reps) != 1 || reps[0].File != bad {
		t.Errorf("repairs %+v, want %s", reps, bad)
	}
}

// TestForeignColumnsNotQuarantined: an intact file read as another row type
// is an error and stays where it is.
func TestForeignColumnsNotQuarantined(t *testing.T) {
	s := openTemp(t)
	key := mustKey(t, 1, "foreign")
	if err := Put(s, "timing", key, timingRows(1)); err != nil {
		t.Fatal(err)
	}
	unlock := lock(t, s)
	defer unlock()
	if _, _, err := Get[accuracy.Row](s, "timing", key); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "columns differ") {
		t.Errorf("Get as another type: %v", err)
	}
	if reps := s.Repairs(); len(reps) != 0 {
		t.Errorf("an intact file was moved aside: %+v", reps)
	}
}

// TestVerifyAndRepair: Verify lists a damaged pack and a damaged entry and
// changes nothing; Repair moves exactly those aside; Verify is then clean.
func TestVerifyAndRepair(t *testing.T) {
	s, keys, bad := twoPacks(t)
	flip(t, bad, 0.5)
	extra := mustKey(t, 1, "extra")
	if err := Put(s, "memory", extra, timingRows(2)); err != nil {
		t.Fatal(err)
	}
	badEntry := filepath.Join(s.Dir(), "memory", extra+entryExt)
	b, _ := os.ReadFile(badEntry)
	os.WriteFile(badEntry, b[:len(b)-8], 0o644)

	damaged, err := s.Verify()
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, d := range damaged {
		files = append(files, d.File)
		if !errors.Is(d.Cause, ErrCorrupt) {
			t.Errorf("%s: cause %v does not wrap ErrCorrupt", d.File, d.Cause)
		}
	}
	if strings.Join(files, " ") != badEntry+" "+bad {
		t.Fatalf("Verify found %v, want %s and %s", files, badEntry, bad)
	}
	if _, err := os.Stat(bad); err != nil {
		t.Fatalf("Verify changed the cache: %v", err)
	}
	if _, err := s.Repair(); err == nil {
		t.Error("Repair without the lock: want an error")
	}
	unlock := lock(t, s)
	reps, err := s.Repair()
	if err != nil || len(reps) != 2 {
		t.Fatalf("Repair = %+v, %v", reps, err)
	}
	if err := unlock(); err != nil {
		t.Fatal(err)
	}
	if damaged, err := s.Verify(); err != nil || len(damaged) != 0 {
		t.Errorf("Verify after Repair = %+v, %v", damaged, err)
	}
	if got, ok, err := Get[timing.Row](s, "timing", keys[0]); err != nil || !ok || len(got) != 1 {
		t.Errorf("an intact entry was lost: %v, %v", ok, err)
	}
}
