package cache

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/dnnbench/dnnbench/internal/atomicfile"
	"github.com/parquet-go/parquet-go"
)

const (
	// indexMeta is the pack footer's key-value metadata key holding the
	// entries, one "<key> <rows>" line each, in key order.
	indexMeta = "dnnbench.cache.entries"
	// packRowGroup bounds a pack's row groups; small row groups read faster.
	packRowGroup = 1024
)

// packEntry locates one entry's rows in a pack.
type packEntry struct {
	key         string
	start, rows int
}

// packIndex is a pack's entry list, in key order.
type packIndex struct {
	size    int64
	entries []packEntry
	total   int
}

func (x *packIndex) find(key string) (packEntry, bool) {
	i, ok := slices.BinarySearchFunc(x.entries, key, func(e packEntry, k string) int { return strings.Compare(e.key, k) })
	if !ok {
		return packEntry{}, false
	}
	return x.entries[i], true
}

// indexedPack is a readable pack and its index.
type indexedPack struct {
	path string
	idx  *packIndex
}

// packIndexes reads the index of each of packs, in order. A damaged pack
// is moved aside and left out (see setAside); one that cannot be is an
// error.
func (s *Store) packIndexes(packs []string) ([]indexedPack, error) {
	var out []indexedPack
	for _, p := range packs {
		idx, err := s.packIndex(p)
		if err != nil {
			if s.setAside(p, err) {
				continue
			}
			return nil, err
		}
		out = append(out, indexedPack{p, idx})
	}
	return out, nil
}

// packIndex returns the index of the pack at path, from the Store's memory
// when the file is unchanged. Read from disk, the pack must match the
// checksum in its name (Compact names a pack by its content's sha256), so
// any damage is found before a row is read.
func (s *Store) packIndex(path string) (*packIndex, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("cache: %w", err)
	}
	s.packsMu.Lock()
	idx := s.packs[path]
	s.packsMu.Unlock()
	if idx != nil && idx.size == fi.Size() {
		return idx, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cache: %w", err)
	}
	if err := checkPackSum(path, b); err != nil {
		return nil, corrupt(path, err)
	}
	pf, err := openParquet(path, bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return nil, err
	}
	idx, err = parseIndex(pf)
	if err != nil {
		return nil, corrupt(path, err)
	}
	idx.size = int64(len(b))
	s.packsMu.Lock()
	s.packs[path] = idx
	s.packsMu.Unlock()
	return idx, nil
}

// checkPackSum compares a pack's content with the sha256 in its name.
func checkPackSum(path string, b []byte) error {
	want := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(path), packPrefix), entryExt)
	sum := sha256.Sum256(b)
	if got := hex.EncodeToString(sum[:]); got != want {
		return fmt.Errorf("its content does not match the checksum in its name (sha256 %s…)", got[:12])
	}
	return nil
}

// parseIndex reads and checks a pack's entry list.
func parseIndex(f *parquet.File) (*packIndex, error) {
	text, ok := f.Lookup(indexMeta)
	if !ok {
		return nil, fmt.Errorf("no %s metadata: not a cache pack", indexMeta)
	}
	idx := &packIndex{}
	for line := range strings.Lines(text) {
		key, n, ok := strings.Cut(strings.TrimSuffix(line, "\n"), " ")
		rows, err := strconv.Atoi(n)
		if !ok || err != nil || rows < 0 || !validKey(key) {
			return nil, fmt.Errorf("bad index line %q", line)
		}
		if len(idx.entries) > 0 && idx.entries[len(idx.entries)-1].key >= key {
			return nil, fmt.Errorf("index keys out of order at %s", key)
		}
		idx.entries = append(idx.entries, packEntry{key: key, start: idx.total, rows: rows})
		idx.total += rows
	}
	if int64(idx.total) != f.NumRows() {
		return nil, fmt.Errorf("index counts %d rows, file has %d", idx.total, f.NumRows())
	}
	return idx, nil
}

// readEntry reads a whole loose entry file. A missing file is an error
// satisfying errors.Is(err, fs.ErrNotExist).
func readEntry[T any](path string) ([]T, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cache: %w", err)
	}
	return decode[T](path, b)
}

// readPack reads all rows of a pack.
func readPack[T any](path string, idx *packIndex) ([]T, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cache: %w", err)
	}
	rows, err := decode[T](path, b)
	if err != nil {
		return nil, err
	}
	if len(rows) != idx.total {
		return nil, corrupt(path, fmt.Errorf("read %d rows, index lists %d", len(rows), idx.total))
	}
	return rows, nil
}

// readPackRows reads rows [start, start+n) of a pack.
func readPackRows[T any](path string, start, n int) (rows []T, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("cache: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("cache: %w", err)
	}
	pf, err := openRows[T](path, f, fi.Size())
	if err != nil {
		return nil, err
	}
	defer func() {
		if r := recover(); r != nil {
			rows, err = nil, corrupt(path, fmt.Errorf("%v", r))
		}
	}()
	rows = make([]T, n)
	if n == 0 {
		return rows, nil
	}
	r := parquet.NewGenericReader[T](pf)
	defer r.Close()
	if err := r.SeekToRow(int64(start)); err != nil {
		return nil, corrupt(path, err)
	}
	got, err := r.Read(rows)
	if got != n {
		if err == nil || err == io.EOF {
			err = fmt.Errorf("read %d of %d rows", got, n)
		}
		return nil, corrupt(path, err)
	}
	return rows, nil
}

// openParquet opens a Parquet file's footer, reporting damage as ErrCorrupt.
func openParquet(path string, r io.ReaderAt, size int64) (f *parquet.File, err error) {
	defer func() {
		if r := recover(); r != nil {
			f, err = nil, corrupt(path, fmt.Errorf("%v", r))
		}
	}()
	f, err = parquet.OpenFile(r, size, parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true))
	if err != nil {
		return nil, corrupt(path, err)
	}
	return f, nil
}

// openRows opens a Parquet file whose schema must be T's.
func openRows[T any](path string, r io.ReaderAt, size int64) (*parquet.File, error) {
	f, err := openParquet(path, r, size)
	if err != nil {
		return nil, err
	}
	if err := checkSchema[T](f.Schema()); err != nil {
		return nil, foreign(path, err)
	}
	return f, nil
}

// decode parses a whole Parquet file's bytes as rows of T.
func decode[T any](path string, b []byte) (rows []T, err error) {
	f, err := openRows[T](path, bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return nil, err
	}
	defer func() {
		// A damaged file can make the Parquet reader panic; report it as corrupt.
		if r := recover(); r != nil {
			rows, err = nil, corrupt(path, fmt.Errorf("%v", r))
		}
	}()
	rows = make([]T, f.NumRows())
	if ok, err := decodeColumns(f, rows); ok {
		if err != nil {
			return nil, corrupt(path, err)
		}
		return rows, nil
	}
	return decodeRows(path, f, rows)
}

// decodeRows fills rows through parquet-go's generic row reader.
func decodeRows[T any](path string, f *parquet.File, rows []T) ([]T, error) {
	start := 0
	for _, g := range f.RowGroups() {
		n := int(g.NumRows())
		if n > len(rows)-start {
			return nil, corrupt(path, errors.New("row groups hold more rows than the file"))
		}
		r := parquet.NewGenericRowGroupReader[T](g)
		got, err := r.Read(rows[start : start+n])
		r.Close()
		if got != n {
			if err == nil || err == io.EOF {
				err = fmt.Errorf("read %d of %d rows", got, n)
			}
			return nil, corrupt(path, err)
		}
		start += n
	}
	if start != len(rows) {
		return nil, corrupt(path, fmt.Errorf("read %d of %d rows", start, len(rows)))
	}
	return rows, nil
}

// corrupt wraps ErrCorrupt naming the file and the fix. A run (which holds
// the lock) moves such a file aside by itself; see Store.Quarantine.
func corrupt(path string, err error) error {
	return fmt.Errorf("%w %s (%w): a run moves it aside and recomputes its rows, or run 'pipeline cache repair'", ErrCorrupt, path, err)
}

// foreignError is an intact file whose columns are not the expected ones;
// it wraps ErrCorrupt but is never moved aside.
type foreignError struct{ error }

func (e foreignError) Unwrap() error { return e.error }

// foreign reports such a file, for the user to move.
func foreign(path string, err error) error {
	return foreignError{fmt.Errorf("%w %s (%w): move it out of the cache directory", ErrCorrupt, path, err)}
}

// checkRowType rejects row types Parquet cannot store as a table.
func checkRowType[T any]() error {
	t := reflect.TypeFor[T]()
	if t.Kind() != reflect.Struct {
		return fmt.Errorf("row type %s is not a struct", t)
	}
	return nil
}

// checkSchema reports whether a file's columns are exactly those of T.
func checkSchema[T any](got *parquet.Schema) error {
	if err := checkRowType[T](); err != nil {
		return err
	}
	var zero T
	want := parquet.SchemaOf(zero)
	if !parquet.EqualNodes(want, got) {
		return fmt.Errorf("its columns differ from %s's; it was written by another version", reflect.TypeFor[T]())
	}
	return nil
}

// Compact merges the loose entries and packs of stage into one pack and
// removes what it merged, so that All reads the stage from a single file. The
// caller must hold the store's lock (Lock). A stage with nothing to merge is
// left as it is. A damaged file is moved aside (see Repairs). Every merged
// file must have the same columns; a file from another version is an error
// wrapping ErrCorrupt naming it.
func (s *Store) Compact(stage string) error {
	dir, err := s.stageDir(stage)
	if err != nil {
		return err
	}
	if s.held.Load() == 0 {
		return fmt.Errorf("cache: compact %s: the store's lock is not held; call Lock first", stage)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	loose, packs, err := listStage(dir)
	if err != nil {
		return err
	}
	if len(loose) == 0 && len(packs) <= 1 {
		return nil
	}
	var schema *parquet.Schema
	byKey := map[string][]parquet.Row{}
	indexed, err := s.packIndexes(packs)
	if err != nil {
		return err
	}
	for _, ip := range indexed {
		p, idx := ip.path, ip.idx
		rows, sch, err := readRaw(p, schema)
		if err == nil && len(rows) != idx.total {
			err = corrupt(p, fmt.Errorf("read %d rows, index lists %d", len(rows), idx.total))
		}
		if err != nil {
			if s.setAside(p, err) {
				continue
			}
			return err
		}
		schema = sch
		for _, e := range idx.entries {
			byKey[e.key] = rows[e.start : e.start+e.rows]
		}
	}
	for _, key := range loose {
		path := filepath.Join(dir, key+entryExt)
		rows, sch, err := readRaw(path, schema)
		if err != nil {
			if s.setAside(path, err) {
				continue
			}
			return err
		}
		schema = sch
		byKey[key] = rows
	}
	if schema == nil {
		return nil // everything was damaged and is now aside
	}
	keys := make([]string, 0, len(byKey))
	for k := range byKey {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var index strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&index, "%s %d\n", k, len(byKey[k]))
	}
	pdir := filepath.Join(dir, packsDir)
	if err := os.MkdirAll(pdir, 0o755); err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	h := sha256.New()
	tmp, err := atomicfile.Temp(pdir, tmpPrefix+"*", func(w io.Writer) error {
		pw := parquet.NewWriter(io.MultiWriter(w, h), schema,
			parquet.KeyValueMetadata(indexMeta, index.String()),
			parquet.MaxRowsPerRowGroup(packRowGroup),
			parquet.CreatedBy("dnnbench", "cache", "1"))
		for _, k := range keys {
			if _, err := pw.WriteRows(byKey[k]); err != nil {
				return err
			}
		}
		return pw.Close()
	})
	if err != nil {
		return fmt.Errorf("cache: compact %s: %w", stage, err)
	}
	pack := filepath.Join(pdir, packPrefix+hex.EncodeToString(h.Sum(nil))+entryExt)
	if err := atomicfile.Rename(tmp, pack); err != nil {
		return fmt.Errorf("cache: compact %s: %w", stage, err)
	}
	// The new pack holds everything; a crash from here on leaves duplicates
	// with equal contents, which readers resolve and the next Compact removes.
	var errs []error
	for _, p := range packs {
		if p == pack {
			continue
		}
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
		s.packsMu.Lock()
		delete(s.packs, p)
		s.packsMu.Unlock()
	}
	for _, key := range loose {
		if err := os.Remove(filepath.Join(dir, key+entryExt)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	atomicfile.SyncDir(dir)
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("cache: compact %s: %w", stage, err)
	}
	return nil
}

// readRaw reads every row of a Parquet file without a Go row type. When want
// is not nil the file's columns must equal it.
func readRaw(path string, want *parquet.Schema) (rows []parquet.Row, schema *parquet.Schema, err error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("cache: %w", err)
	}
	f, err := openParquet(path, bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return nil, nil, err
	}
	if want != nil && !parquet.EqualNodes(want, f.Schema()) {
		return nil, nil, foreign(path, errors.New("its columns differ from the stage's other entries; it was written by another version"))
	}
	defer func() {
		if r := recover(); r != nil {
			rows, err = nil, corrupt(path, fmt.Errorf("%v", r))
		}
	}()
	r := parquet.NewReader(f)
	defer r.Close()
	// The row reader prepares every slot of buf, so size it to the file.
	buf := make([]parquet.Row, max(1, min(256, int(f.NumRows()))))
	for {
		n, err := r.ReadRows(buf)
		for _, row := range buf[:n] {
			rows = append(rows, row.Clone())
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, corrupt(path, err)
		}
		if n == 0 {
			break
		}
	}
	if int64(len(rows)) != f.NumRows() {
		return nil, nil, corrupt(path, fmt.Errorf("read %d of %d rows", len(rows), f.NumRows()))
	}
	return rows, f.Schema(), nil
}
