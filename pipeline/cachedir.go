package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
)

// defaultCache is where results are cached unless --cache says otherwise:
// a hidden data folder, apart from the Go sources of the cache package.
const defaultCache = ".dnnbench/cache"

// legacyCache is where results were cached before: the cache package's own
// folder, next to its Go sources. It is still read when it holds entries and
// defaultCache does not exist yet.
const legacyCache = "cache"

// cacheDir returns the cache directory to use, relative to root ("" for the
// working directory), and a one-line notice when it falls back to the old
// location. A --cache given on the command line is always used as given.
func cacheDir(fs *flag.FlagSet, dir, root string) (string, string) {
	explicit := false
	fs.Visit(func(f *flag.Flag) { explicit = explicit || f.Name == "cache" })
	if explicit {
		return dir, ""
	}
	if _, err := os.Stat(filepath.Join(root, defaultCache)); err == nil {
		return dir, ""
	}
	if !hasStageDirs(filepath.Join(root, legacyCache)) {
		return dir, ""
	}
	return legacyCache, fmt.Sprintf("pipeline: using the cache at its old location %s/ because %s/ does not exist; move the stage folders of %s/ (all but testdata) into %s/ to switch",
		legacyCache, defaultCache, legacyCache, defaultCache)
}

// hasStageDirs reports whether dir holds cache entries: any folder other
// than the cache package's testdata.
func hasStageDirs(dir string) bool {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	for _, e := range entries {
		if e.IsDir() && e.Name() != "testdata" {
			return true
		}
	}
	return false
}
