package accuracy

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/dnnbench/dnnbench/stages/accuracy/dataset"
)

// copyDataset copies a flat dataset folder, keeping each file's modification
// time, so only the location differs.
func copyDataset(t *testing.T, from string) string {
	t.Helper()
	to := t.TempDir()
	entries, err := os.ReadDir(from)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		src, dst := filepath.Join(from, e.Name()), filepath.Join(to, e.Name())
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		st, _ := os.Stat(src)
		if err := os.WriteFile(dst, b, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(dst, st.ModTime(), st.ModTime()); err != nil {
			t.Fatal(err)
		}
	}
	return to
}

// TestCheckpointKeysFollowImagesAndLocation checks that checkpointed chunks
// are reused only for the same image files in the same place: an image
// repaired in place recomputes its chunk (and only it), a copy of the folder
// elsewhere recomputes everything, a symbolic link to the same folder
// reuses everything.
func TestCheckpointKeysFollowImagesAndLocation(t *testing.T) {
	classes := loadClasses(t)
	lib := libraryPath(t)
	modelPath := filepath.Join(t.TempDir(), "colour.onnx")
	buildColourModel(t, modelPath, classes.Len())
	dir := buildDataset(t, dataset.ValTxt, testImages(), classes)
	m := Model{Name: "colour", Path: modelPath, Weights: "pretrained", Preprocess: testPreprocess}
	cfg := Config{Dataset: dir, BatchSize: 3, Workers: 1, ChunkSize: 4, Library: lib}
	cp := &mapCheckpoint{m: map[string]ChunkResult{}}
	first, _, err := runModel(context.Background(), cfg, m, cp, nil)
	if err != nil {
		t.Fatal(err)
	}
	if first[0].N != 9 || first[0].Skipped != 3 || cp.saves != 3 {
		t.Fatalf("first run: %+v, %d chunks saved; want n=9 skipped=3 and 3 chunks", first[0], cp.saves)
	}

	// Repair image 10 (text, in the last chunk) in place: a red JPEG.
	fixed := filepath.Join(dir, fileName("10"))
	if err := os.WriteFile(fixed, encodeJPEG(t, solidRGB(red)), 0o644); err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(time.Minute)
	if err := os.Chtimes(fixed, later, later); err != nil {
		t.Fatal(err)
	}
	cp.saves, cp.hits = 0, 0
	second, _, err := runModel(context.Background(), cfg, m, cp, nil)
	if err != nil {
		t.Fatal(err)
	}
	if cp.hits != 2 || cp.saves != 1 {
		t.Errorf("after the repair: %d chunks reused, %d recomputed; want 2 and 1", cp.hits, cp.saves)
	}
	if second[0].N != 10 || second[0].Skipped != 2 {
		t.Errorf("after the repair: %+v, want n=10 skipped=2", second[0])
	}

	// The same file names (and contents, and times) in another folder.
	cfg.Dataset = copyDataset(t, dir)
	cp.saves, cp.hits = 0, 0
	if _, _, err := runModel(context.Background(), cfg, m, cp, nil); err != nil {
		t.Fatal(err)
	}
	if cp.hits != 0 || cp.saves != 3 {
		t.Errorf("another folder: %d chunks reused, %d computed; want 0 and 3", cp.hits, cp.saves)
	}

	// A symbolic link to the first folder is the same dataset.
	link := filepath.Join(t.TempDir(), "val")
	if err := os.Symlink(dir, link); err != nil {
		t.Fatal(err)
	}
	cfg.Dataset = link
	cp.saves, cp.hits = 0, 0
	if _, _, err := runModel(context.Background(), cfg, m, cp, nil); err != nil {
		t.Fatal(err)
	}
	if cp.hits != 3 || cp.saves != 0 {
		t.Errorf("symbolic link to the same folder: %d chunks reused, %d computed; want 3 and 0", cp.hits, cp.saves)
	}
}

// TestCheckpointKeysFollowLabelList changes only the label list's file (a
// blank line added; same labels): its identity is part of the key.
func TestCheckpointKeysFollowLabelList(t *testing.T) {
	classes := loadClasses(t)
	lib := libraryPath(t)
	modelPath := filepath.Join(t.TempDir(), "colour.onnx")
	buildColourModel(t, modelPath, classes.Len())
	dir := buildDataset(t, dataset.ValTxt, testImages()[:4], classes)
	m := Model{Name: "colour", Path: modelPath, Weights: "pretrained", Preprocess: testPreprocess}
	cfg := Config{Dataset: dir, BatchSize: 3, Workers: 1, Library: lib}
	cp := &mapCheckpoint{m: map[string]ChunkResult{}}
	if _, _, err := runModel(context.Background(), cfg, m, cp, nil); err != nil {
		t.Fatal(err)
	}
	list := filepath.Join(dir, dataset.CaffeList)
	b, _ := os.ReadFile(list)
	if err := os.WriteFile(list, append(b, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
	cp.hits = 0
	if _, _, err := runModel(context.Background(), cfg, m, cp, nil); err != nil {
		t.Fatal(err)
	}
	if cp.hits != 0 {
		t.Errorf("a changed label list reused %d chunks", cp.hits)
	}
}
