package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/dnnbench/dnnbench/cache"
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
	if explicit || cache.IsS3URL(dir) {
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

// remoteCopies is where the local copies of s3:// caches live, one folder
// per bucket and prefix: a sibling of defaultCache, so that a copy is
// never taken for a stage of the default cache.
const remoteCopies = ".dnnbench/s3"

// remoteCache resolves an s3://BUCKET/PREFIX --cache: it returns the bucket
// prefix, configured from the standard AWS_* variables and files, and the
// local directory that is its read-through copy,
// .dnnbench/s3/<bucket>/<first 16 hex digits of sha256(prefix)>. A --cache
// that is not an s3:// URL is returned as it is, with no remote.
func remoteCache(ctx context.Context, spec string, opt cache.S3Options) (dir string, remote *cache.S3, err error) {
	if !cache.IsS3URL(spec) {
		return spec, nil, nil
	}
	dir, err = remoteCopyDir(spec)
	if err != nil {
		return "", nil, err
	}
	remote, err = cache.OpenS3(ctx, spec, opt)
	if err != nil {
		return "", nil, err
	}
	return dir, remote, nil
}

// remoteCopyDir is the local copy's directory for an s3:// URL. The bucket
// name is a valid S3 name (lowercase letters, digits, '.' and '-', no
// "..") and so a safe folder name; the prefix is hashed.
func remoteCopyDir(spec string) (string, error) {
	bucket, prefix, err := cache.ParseS3URL(spec)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256([]byte(prefix))
	return filepath.Join(remoteCopies, bucket, hex.EncodeToString(sum[:8])), nil
}
