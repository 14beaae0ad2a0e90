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

// TestRemoteCopyDir: an s3:// cache's local copy is a folder per bucket and
// prefix under .dnnbench/s3, the prefix hashed, and the old-location
// fallback never replaces an s3:// --cache.
func TestRemoteCopyDir(t *testing.T) {
	a, err := remoteCopyDir("s3://lab/team/a")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := remoteCopyDir("s3://lab/team/b")
	same, _ := remoteCopyDir("s3://lab//team/a/")
	if filepath.Dir(a) != filepath.Join(remoteCopies, "lab") || a == b {
		t.Errorf("copies %s and %s, want two folders under %s", a, b, filepath.Join(remoteCopies, "lab"))
	}
	if _, err := remoteCopyDir("s3://lab/../../etc"); err == nil {
		t.Error("a prefix with .. accepted")
	}
	if same != a {
		t.Errorf("s3://lab//team/a/ maps to %s, want %s: slashes around the prefix do not count", same, a)
	}
	if _, err := remoteCopyDir("s3://../x"); err == nil {
		t.Error("bucket .. accepted")
	}
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, legacyCache, "timing"), 0o755)
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	fs.String("cache", defaultCache, "")
	if got, notice := cacheDir(fs, "s3://lab/x", root); got != "s3://lab/x" || notice != "" {
		t.Errorf("cacheDir(s3://lab/x) = %q, %q", got, notice)
	}
}
