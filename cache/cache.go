// Package cache stores the pipeline's stage outputs as content-addressed
// Parquet files and exports tables as CSV.
//
// # Layout
//
// A store is a directory with one subdirectory per stage:
//
//	<dir>/.lock                            the run lock (see Lock)
//	<dir>/<stage>/<key>.parquet            a loose entry, one per Put
//	<dir>/<stage>/packs/pack-<sha>.parquet many entries compacted into one file
//	<dir>/<stage>/files/…                  artifacts such as ONNX files (see Path)
//	<dir>/<stage>/quarantine/…             damaged files moved aside (see Repairs)
//
// The key is the hash Key returns over everything that determines the entry.
// Put writes an entry to a temporary file in the stage directory, syncs it and
// renames it into place, so a reader sees the whole entry or none, and a run
// killed mid-write leaves at most a stray temporary file (".tmp-…") that
// readers ignore and the next Lock removes.
//
// # Compaction
//
// Reading one small Parquet file costs a few hundred microseconds, so a stage
// with thousands of loose entries would take seconds to read back. Compact
// merges a stage's loose entries and packs into a single pack, whose footer
// lists each entry's key and row count; Get and All read packs and loose
// entries alike, and a loose entry wins over a packed one with the same key.
// Compact runs only under the lock: unlock compacts every stage, and All
// compacts first when the store holds the lock and finds many loose entries.
//
// # Damage
//
// Parquet checks each page against its CRC, and a pack is checked against
// the sha256 in its name when it is first read. A run (which holds the lock)
// moves a damaged file into the stage's quarantine directory and goes on
// without it, so only that file's rows are recomputed; Verify and Repair do
// the same for the whole store without a run.
//
// # Merging devices
//
// Entries and packs copied from another machine's cache (a Jetson, say) are
// ordinary files, so All merges them: it returns every entry of a stage, each
// key once, in key order.
//
// # Locking model
//
// One pipeline run holds the store's lock (Lock) for its whole run, so two
// concurrent runs never measure at the same time, never overwrite each other's
// entries and never compact under each other; the second run waits until the
// first finishes or its context ends (LockNotify reports the wait). Worker
// processes of a run inherit the lock file (LockFile), so a worker that
// outlives its run still keeps others out. Within a process, Get, Put and All may
// run concurrently; Compact excludes them for its duration. Readers that do not
// take the lock still never see a partial entry, because every write is a
// rename.
package cache

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/dnnbench/dnnbench/internal/atomicfile"
	"github.com/parquet-go/parquet-go"
)

// ErrCorrupt marks an entry or pack file that exists but cannot be read as
// the requested row type: truncated, not Parquet, or written with other
// columns by another version of the program.
var ErrCorrupt = errors.New("cache: corrupt entry")

const (
	entryExt   = ".parquet"
	tmpPrefix  = ".tmp-"
	packsDir   = "packs"
	packPrefix = "pack-"
	filesDir   = "files"
	lockName   = ".lock"
)

// Store is a cache directory. Its methods and the package's functions may be
// called from several goroutines.
type Store struct {
	dir string
	// mu is held shared by Get, Put and All and exclusively by Compact, so a
	// compaction never deletes an entry written while it ran.
	mu sync.RWMutex
	// held counts the locks this Store holds (Lock), which Compact requires.
	held atomic.Int32
	// lockFile is the open lock file while held (see LockFile).
	lockMu   sync.Mutex
	lockFile *os.File
	// repairs are the damaged files moved aside (see Repairs).
	repairsMu sync.Mutex
	repairs   []Repair
	// packs caches pack indexes by path; packs are immutable.
	packsMu sync.Mutex
	packs   map[string]*packIndex
	// remote is the bucket this Store is a copy of, or nil (see SetRemote).
	remote *remoteState
}

// Open returns the store in dir, creating the directory if needed.
func Open(dir string) (*Store, error) {
	if dir == "" {
		return nil, errors.New("cache: empty cache directory; pass a directory such as --cache cache")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, (&Store{dir: dir}).notWritable(err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("cache: %w", err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("cache: %s is not a directory; pass a directory with --cache", dir)
	}
	return &Store{dir: filepath.Clean(dir), packs: map[string]*packIndex{}}, nil
}

// Dir returns the store's directory.
func (s *Store) Dir() string { return s.dir }

// stageDir validates stage and returns its directory (which may not exist).
func (s *Store) stageDir(stage string) (string, error) {
	if !validStage(stage) {
		return "", fmt.Errorf("cache: invalid stage name %q: want 1-32 characters of a-z, 0-9, '_' or '-', starting with a letter", stage)
	}
	return filepath.Join(s.dir, stage), nil
}

func validStage(stage string) bool {
	if len(stage) == 0 || len(stage) > 32 || stage[0] < 'a' || stage[0] > 'z' {
		return false
	}
	for i := 0; i < len(stage); i++ {
		c := stage[i]
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '_' && c != '-' {
			return false
		}
	}
	return true
}

// entryPath validates stage and key and returns the stage directory and the
// loose entry's file name.
func (s *Store) entryPath(stage, key string) (dir, path string, err error) {
	dir, err = s.stageDir(stage)
	if err != nil {
		return "", "", err
	}
	if !validKey(key) {
		return "", "", fmt.Errorf("cache: %s: invalid key %q: want the 64 hex digits Key returns", stage, key)
	}
	return dir, filepath.Join(dir, key+entryExt), nil
}

// Get reads entry key of stage as rows of T. It returns ok=false and no error
// when the entry does not exist. An entry that exists but cannot be read as T
// is an error wrapping ErrCorrupt that names the file, unless this Store
// holds the lock and the file is damaged: then it is moved aside (see
// Repairs) and Get answers as if it were missing.
func Get[T any](s *Store, stage, key string) (rows []T, ok bool, err error) {
	dir, path, err := s.entryPath(stage, key)
	if err != nil {
		return nil, false, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	rows, err = readEntry[T](path)
	if err == nil {
		return rows, true, nil
	}
	if !s.setAside(path, err) {
		return nil, false, err
	}
	packs, err := listPacks(dir)
	if err != nil {
		return nil, false, err
	}
	// The last pack in name order wins, as in All.
	for i := len(packs) - 1; i >= 0; i-- {
		idx, err := s.packIndex(packs[i])
		if err != nil {
			if s.setAside(packs[i], err) {
				continue
			}
			return nil, false, err
		}
		if e, ok := idx.find(key); ok {
			rows, err := readPackRows[T](packs[i], e.start, e.rows)
			if err != nil {
				if s.setAside(packs[i], err) {
					continue
				}
				return nil, false, err
			}
			return rows, true, nil
		}
	}
	return nil, false, nil
}

// Put writes rows as entry key of stage, replacing any previous entry. The
// write is atomic: rows go to a temporary file in the stage directory, which
// is synced and renamed over the entry, so an interrupted Put leaves the old
// entry or none, never a partial one. A Store with a remote (SetRemote) then
// uploads the entry; an upload that fails is retried by Flush and Sync, so
// Put reports only local errors.
func Put[T any](s *Store, stage, key string, rows []T) error {
	dir, path, err := s.entryPath(stage, key)
	if err != nil {
		return err
	}
	if err := checkRowType[T](); err != nil {
		return fmt.Errorf("cache: %s: %w", stage, err)
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	err = writeAtomic(path, func(w io.Writer) error {
		return parquet.Write(w, rows, parquet.MaxRowsPerRowGroup(packRowGroup))
	})
	if err != nil {
		return fmt.Errorf("cache: %s: %w", stage, err)
	}
	if s.remote != nil {
		s.upload(stage+"/"+key+entryExt, path)
	}
	return nil
}

// All reads every entry of stage and returns their rows concatenated in key
// order, each key once (a loose entry wins over a packed one; among packs,
// the last in name order wins): the merge of every run and device whose
// entries are in the store. A missing stage directory gives no rows.
// Temporary and unrelated files are ignored; an unreadable entry is an error
// wrapping ErrCorrupt, or under the lock moved aside (see Repairs). When this Store holds the lock and the stage has many
// loose entries, All compacts the stage first.
func All[T any](s *Store, stage string) ([]T, error) {
	dir, err := s.stageDir(stage)
	if err != nil {
		return nil, err
	}
	if s.held.Load() > 0 {
		loose, err := listEntries(dir)
		if err != nil {
			return nil, err
		}
		if len(loose) >= autoCompact {
			if err := s.Compact(stage); err != nil {
				return nil, err
			}
		}
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	loose, packs, err := listStage(dir)
	if err != nil {
		return nil, err
	}
	// Gather every entry; on equal keys the later source wins.
	type ref struct {
		key  string
		rows []T
	}
	var refs []ref
	var only []T // the rows when a single pack holds everything
	indexed, err := s.packIndexes(packs)
	if err != nil {
		return nil, err
	}
	for _, ip := range indexed {
		p, idx := ip.path, ip.idx
		rows, err := readPack[T](p, idx)
		if err != nil {
			if s.setAside(p, err) {
				continue
			}
			return nil, err
		}
		only = rows
		for _, e := range idx.entries {
			refs = append(refs, ref{e.key, rows[e.start : e.start+e.rows : e.start+e.rows]})
		}
	}
	if len(packs) == 1 && len(loose) == 0 {
		return only, nil // a pack is in key order, each key once
	}
	for _, key := range loose {
		path := filepath.Join(dir, key+entryExt)
		rows, err := readEntry[T](path)
		if err != nil {
			// Gone: merged into a pack since the listing (the pack was read
			// first), or damaged and moved aside.
			if s.setAside(path, err) {
				continue
			}
			return nil, err
		}
		refs = append(refs, ref{key, rows})
	}
	slices.SortStableFunc(refs, func(a, b ref) int { return strings.Compare(a.key, b.key) })
	n := 0
	for i := range refs {
		n += len(refs[i].rows)
	}
	out := make([]T, 0, n)
	for i, r := range refs {
		if i+1 < len(refs) && refs[i+1].key == r.key {
			continue // overridden by a later source
		}
		out = append(out, r.rows...)
	}
	return out, nil
}

// autoCompact is the number of loose entries from which All compacts a stage
// (when the store holds the lock): reading that many small files costs about
// as much as reading a pack of thousands of rows.
const autoCompact = 64

// listStage returns a stage directory's loose entry keys and pack paths.
func listStage(dir string) (loose, packs []string, err error) {
	if loose, err = listEntries(dir); err != nil {
		return nil, nil, err
	}
	if packs, err = listPacks(dir); err != nil {
		return nil, nil, err
	}
	return loose, packs, nil
}

// readDir lists dir, sorted by name; a missing directory is empty.
func readDir(dir string) ([]os.DirEntry, error) {
	des, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("cache: %w", err)
	}
	return des, nil
}

// listEntries returns the keys of a stage directory's loose entries, sorted.
func listEntries(dir string) ([]string, error) { return listKeys(dir, "") }

// listPacks returns the paths of a stage directory's packs, sorted by name.
func listPacks(dir string) ([]string, error) {
	pdir := filepath.Join(dir, packsDir)
	sums, err := listKeys(pdir, packPrefix)
	if err != nil {
		return nil, err
	}
	var paths []string
	for _, sum := range sums {
		paths = append(paths, filepath.Join(pdir, packPrefix+sum+entryExt))
	}
	return paths, nil
}

// listKeys returns the valid keys of the regular files in dir named
// prefix+key+entryExt, sorted.
func listKeys(dir, prefix string) ([]string, error) {
	des, err := readDir(dir)
	if err != nil {
		return nil, err
	}
	var keys []string
	for _, de := range des {
		key, ok := strings.CutPrefix(de.Name(), prefix)
		if ok {
			key, ok = strings.CutSuffix(key, entryExt)
		}
		if !ok || !de.Type().IsRegular() || !validKey(key) {
			continue
		}
		keys = append(keys, key)
	}
	return keys, nil // os.ReadDir sorts by name, and every name has the same prefix
}

// writeAtomic writes path through write, atomically (see atomicfile.Write).
func writeAtomic(path string, write func(io.Writer) error) error {
	return atomicfile.Write(path, tmpPrefix+"*", write)
}
