//go:build unix

package dataset

import (
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestReaderRefusesSpecialFiles: a FIFO named like an image is refused, not read (it would block).
func TestReaderRefusesSpecialFiles(t *testing.T) {
	c := configsFS(t)
	dir := t.TempDir()
	write(t, filepath.Join(dir, "n01440764", "ok.JPEG"), jpegHead)
	if err := syscall.Mkfifo(filepath.Join(dir, "n01440764", "pipe.JPEG"), 0o644); err != nil {
		t.Fatal(err)
	}
	d, err := Open(dir, c)
	if err != nil {
		t.Fatal(err)
	}
	r, _ := d.NewReader()
	_, err = r.ReadFile(Item{Name: "n01440764/pipe.JPEG"})
	if err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("FIFO: error %v, want not a regular file", err)
	}
}
