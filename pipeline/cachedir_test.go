package main

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCacheDirFallsBackToOldLocation(t *testing.T) {
	parse := func(args ...string) (*flag.FlagSet, string) {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		dir := fs.String("cache", defaultCache, "")
		if err := fs.Parse(args); err != nil {
			t.Fatal(err)
		}
		return fs, *dir
	}
	root := t.TempDir()
	// Only the package's testdata in cache/: the new default is used.
	if err := os.MkdirAll(filepath.Join(root, legacyCache, "testdata"), 0o755); err != nil {
		t.Fatal(err)
	}
	fs, d := parse()
	if got, notice := cacheDir(fs, d, root); got != defaultCache || notice != "" {
		t.Errorf("fresh checkout: %q, %q; want %q and no notice", got, notice, defaultCache)
	}
	// Stage folders in cache/ and no .dnnbench/cache: the old location, with a notice.
	if err := os.MkdirAll(filepath.Join(root, legacyCache, "timing"), 0o755); err != nil {
		t.Fatal(err)
	}
	got, notice := cacheDir(fs, d, root)
	if got != legacyCache || !strings.Contains(notice, "old location cache/") || strings.Contains(notice, "\n") {
		t.Errorf("old cache: %q, %q; want %q and a one-line notice", got, notice, legacyCache)
	}
	// An explicit --cache is used as given.
	fs, d = parse("--cache", defaultCache)
	if got, notice := cacheDir(fs, d, root); got != defaultCache || notice != "" {
		t.Errorf("explicit --cache: %q, %q", got, notice)
	}
	// Once the new directory exists, it wins.
	if err := os.MkdirAll(filepath.Join(root, defaultCache), 0o755); err != nil {
		t.Fatal(err)
	}
	fs, d = parse()
	if got, notice := cacheDir(fs, d, root); got != defaultCache || notice != "" {
		t.Errorf("both exist: %q, %q; want %q", got, notice, defaultCache)
	}
}
