// Package atomicfile writes files so that a reader sees either the old
// contents or the whole new ones, never a part: the data goes to a synced
// temporary file in the same directory, which is then renamed into place.
package atomicfile

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Write writes path through write, by way of a temporary file named after
// pattern (as os.CreateTemp takes it) in path's directory. On any error the
// temporary file is removed and path is untouched.
func Write(path, pattern string, write func(io.Writer) error) error {
	tmp, err := Temp(filepath.Dir(path), pattern, write)
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return Rename(tmp, path)
}

// Temp writes through write into a new synced temporary file in dir, named
// after pattern, with mode 0644, and returns its name; on error nothing is
// left behind. Rename moves it into place.
func Temp(dir, pattern string, write func(io.Writer) error) (_ string, err error) {
	f, err := os.CreateTemp(dir, pattern)
	if err != nil {
		return "", err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err = write(f); err != nil {
		return "", err
	}
	if err = f.Sync(); err != nil {
		return "", err
	}
	if err = f.Close(); err != nil {
		return "", err
	}
	if err = os.Chmod(tmp, 0o644); err != nil {
		return "", err
	}
	return tmp, nil
}

// Rename moves the temporary file tmp to path and syncs the directory; on
// error tmp is removed.
func Rename(tmp, path string) error {
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	SyncDir(filepath.Dir(path))
	return nil
}

// SyncDir makes a rename in dir durable where the platform allows it; a
// failure only weakens durability after a power loss, never atomicity.
func SyncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	d.Sync()
	d.Close()
}
