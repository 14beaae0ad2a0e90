package dataset

import (
	"fmt"
	"os"
	"path/filepath"
)

// Identity names where the dataset's images and labels come from, for cache
// keys: its layout, the image folder's location after symbolic links, and
// the label list's location, size and modification time (ImageFolder labels
// come from the class folders, which are part of each item's name).
func (d *Dataset) Identity() (string, error) {
	dir, err := filepath.EvalSymlinks(d.ImageDir)
	if err != nil {
		return "", fmt.Errorf("dataset: %w", err)
	}
	if dir, err = filepath.Abs(dir); err != nil {
		return "", fmt.Errorf("dataset: %w", err)
	}
	id := fmt.Sprintf("layout %s images %s", d.Layout, dir)
	list := ""
	switch d.Layout {
	case Kaggle:
		list = filepath.Join(d.Dir, KaggleSolution)
	case ValTxt:
		list = filepath.Join(d.Dir, CaffeList)
	}
	if list != "" {
		id += " labels " + fileIdentity(list)
	}
	return id, nil
}

// ItemIdentity is one image file's content identity, for cache keys: its
// size and modification time (of the file a symbolic link points at), or
// why it has none. An image replaced or repaired in place changes it.
func (d *Dataset) ItemIdentity(it Item) string {
	st, err := os.Stat(filepath.Join(d.ImageDir, filepath.FromSlash(it.Name)))
	if err != nil {
		return "unreadable: " + err.Error()
	}
	return fmt.Sprintf("size %d mtime %d", st.Size(), st.ModTime().UnixNano())
}

// fileIdentity is path's resolved location, size and modification time, or
// the error that stops reading them.
func fileIdentity(path string) string {
	resolved, err := filepath.EvalSymlinks(path)
	if err != nil {
		return "unreadable: " + err.Error()
	}
	st, err := os.Stat(resolved)
	if err != nil {
		return "unreadable: " + err.Error()
	}
	return fmt.Sprintf("%s size %d mtime %d", resolved, st.Size(), st.ModTime().UnixNano())
}
