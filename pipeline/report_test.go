package main

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestWriteFile: the pipeline's one file writer creates the folder, and a
// failed write leaves the old file whole and no temporary file behind.
func TestWriteFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out", "analysis")
	path := filepath.Join(dir, "t.csv")
	put := func(s string) func(io.Writer) error {
		return func(w io.Writer) error { _, err := io.WriteString(w, s); return err }
	}
	if err := writeFile(path, put("a,b\n1,2\n")); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("encoder failed")
	err := writeFile(path, func(w io.Writer) error {
		io.WriteString(w, "half")
		return boom
	})
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), path) {
		t.Errorf("failed write: %v, want %v naming %s", err, boom, path)
	}
	if b, err := os.ReadFile(path); err != nil || string(b) != "a,b\n1,2\n" {
		t.Errorf("after a failed write: %q, %v; want the old contents", b, err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("folder holds %v, want only t.csv", entries)
	}
	blocked := filepath.Join(path, "x.csv") // t.csv is a file, not a folder
	if err := writeFile(blocked, put("x")); err == nil || !strings.Contains(err.Error(), blocked) {
		t.Errorf("write under a file: %v, want an error naming %s", err, blocked)
	}
}
