package cache

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/parquet-go/parquet-go"
)

// A Store with a remote (SetRemote) is a read-through copy of an S3 bucket
// prefix shared by many machines. The local directory stays the working
// store: Get, All and Compact read and write only local files. Sync, run
// once the lock is held, downloads the bucket's entries the copy lacks and
// uploads the copy's entries the bucket lacks; Put uploads each new entry
// as soon as it is written locally. Entries are content-addressed and never
// change, so machines writing into one bucket at once need no lock: two
// writers of one key wrote the same measurement inputs. Packs, quarantine
// and the lock stay local; only loose entries and documents travel.

// remoteWorkers is how many requests Sync has in flight at once: S3
// answers a small GET in tens of milliseconds, so many in flight keep a
// first sync of a large lab short.
const remoteWorkers = 32

// remoteTimeout bounds one upload from Put, which has no context.
const remoteTimeout = 2 * time.Minute

// maxObject bounds the size of an object Sync downloads: entries and
// documents are kilobytes, so anything near this is not the pipeline's.
const maxObject = 64 << 20

// docExt ends the names of documents (see PutDoc).
const docExt = ".json"

// remoteState is a Store's remote and what it knows of the bucket.
type remoteState struct {
	s3 *S3
	mu sync.Mutex
	// failed are the entries ("<stage>/<key>") whose upload failed, with why.
	failed map[string]error
}

// SetRemote makes the Store a copy of the bucket prefix r: see Sync. Call it
// once, before the Store is used.
func (s *Store) SetRemote(r *S3) {
	s.remote = &remoteState{s3: r, failed: map[string]error{}}
}

// Remote returns the Store's remote, or nil.
func (s *Store) Remote() *S3 {
	if s.remote == nil {
		return nil
	}
	return s.remote.s3
}

// SyncReport says what Sync did.
type SyncReport struct {
	// Remote is the bucket prefix's URL.
	Remote string
	// Listed counts the bucket's entries and documents; Ignored the other
	// objects under the prefix.
	Listed, Ignored int
	// Downloaded and Uploaded count entries and documents copied each way.
	Downloaded, Uploaded int
}

func (r SyncReport) String() string {
	return fmt.Sprintf("cache %s: %d entries and documents in the bucket, %d downloaded, %d uploaded", r.Remote, r.Listed, r.Downloaded, r.Uploaded)
}

// Sync makes the local copy and the bucket hold the same entries: it lists
// the bucket prefix, downloads every entry the copy has neither loose nor in
// a pack, and uploads every local entry the bucket lacks (one whose upload
// failed before). A document (PutDoc) is downloaded when the bucket's copy
// differs from the local one (its ETag is not the local file's MD5), and
// uploaded when the bucket has none. Objects with other names are ignored.
// Downloads are written like Put's, atomically. A Store without a remote
// has nothing to do.
func (s *Store) Sync(ctx context.Context) (SyncReport, error) {
	if s.remote == nil {
		return SyncReport{}, nil
	}
	r := s.remote.s3
	rep := SyncReport{Remote: r.URL()}
	objs, err := r.list(ctx)
	if err != nil {
		return rep, err
	}
	remote := map[string]object{}
	for _, o := range objs {
		if _, _, _, ok := splitRemote(o.name); !ok {
			rep.Ignored++
			continue
		}
		if o.size > maxObject {
			return rep, fmt.Errorf("cache: %s: object %s is %d bytes, more than any cache entry (%d); remove it from the bucket", r.URL(), o.name, o.size, maxObject)
		}
		remote[o.name] = o
	}
	rep.Listed = len(remote)
	local, err := s.localNames()
	if err != nil {
		return rep, err
	}
	var down, up []string
	for name, o := range remote {
		sum, ok := local[name]
		switch {
		case !ok:
			down = append(down, name)
		case sum != "" && sum != o.etag:
			down = append(down, name) // a document changed in the bucket
		}
	}
	for name := range local {
		if _, ok := remote[name]; !ok {
			up = append(up, name)
		}
	}
	slices.Sort(down)
	slices.Sort(up)
	s.mu.RLock()
	defer s.mu.RUnlock()
	err = parallel(ctx, down, func(ctx context.Context, name string) error {
		b, err := r.get(ctx, name)
		if err != nil {
			return err
		}
		return s.writeRemote(name, b)
	})
	if err != nil {
		return rep, err
	}
	rep.Downloaded = len(down)
	packed := &packRows{s: s, raw: map[string]*rawPack{}}
	err = parallel(ctx, up, func(ctx context.Context, name string) error {
		b, err := packed.bytes(name)
		if err != nil {
			return err
		}
		return r.put(ctx, name, b)
	})
	if err != nil {
		return rep, err
	}
	rep.Uploaded = len(up)
	s.remote.mu.Lock()
	clear(s.remote.failed)
	s.remote.mu.Unlock()
	return rep, nil
}

// splitRemote parses an object name relative to the prefix:
// <stage>/<key>.parquet (an entry) or <kind>/<name>.json (a document).
func splitRemote(name string) (dir, base string, entry, ok bool) {
	dir, base, found := strings.Cut(name, "/")
	if !found || !validStage(dir) || strings.Contains(base, "/") {
		return "", "", false, false
	}
	if key, isEntry := strings.CutSuffix(base, entryExt); isEntry {
		return dir, base, true, validKey(key)
	}
	return dir, base, false, validDocName(base)
}

// validDocName reports whether name can name a document: a plain file name
// of [A-Za-z0-9._-] ending in .json and not starting with a dot.
func validDocName(name string) bool {
	if len(name) <= len(docExt) || len(name) > maxNameLen || !strings.HasSuffix(name, docExt) || name[0] == '.' {
		return false
	}
	safe, err := safeName(name)
	return err == nil && safe == name
}

// localNames returns the copy's entries and documents by remote name. An
// entry maps to "" and a document to the MD5 of its content.
func (s *Store) localNames() (map[string]string, error) {
	stages, err := s.stages()
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, st := range stages {
		dir := filepath.Join(s.dir, st)
		des, err := readDir(dir)
		if err != nil {
			return nil, err
		}
		for _, de := range des {
			name := de.Name()
			if !de.Type().IsRegular() {
				continue
			}
			if key, ok := strings.CutSuffix(name, entryExt); ok && validKey(key) {
				out[st+"/"+name] = ""
			} else if validDocName(name) {
				b, err := os.ReadFile(filepath.Join(dir, name))
				if err != nil {
					return nil, fmt.Errorf("cache: %w", err)
				}
				sum := md5.Sum(b)
				out[st+"/"+name] = hex.EncodeToString(sum[:])
			}
		}
		packs, err := listPacks(dir)
		if err != nil {
			return nil, err
		}
		indexed, err := s.packIndexes(packs)
		if err != nil {
			return nil, err
		}
		for _, ip := range indexed {
			for _, e := range ip.idx.entries {
				out[st+"/"+e.key+entryExt] = ""
			}
		}
	}
	return out, nil
}

// writeRemote writes a downloaded entry or document into the copy,
// atomically. An entry must be Parquet; a damaged download is an error.
func (s *Store) writeRemote(name string, b []byte) error {
	dir, base, entry, ok := splitRemote(name)
	if !ok {
		return fmt.Errorf("cache: %s: unexpected object name %q", s.remote.s3.URL(), name)
	}
	path := filepath.Join(s.dir, dir, base)
	if entry {
		if _, err := openParquet(s.remote.s3.URL()+"/"+name, bytes.NewReader(b), int64(len(b))); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(filepath.Join(s.dir, dir), 0o755); err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	return writeAtomic(path, func(w io.Writer) error { _, err := w.Write(b); return err })
}

// upload sends a just-written local file to the bucket; a failure is kept
// for Flush, never lost: the entry stays in the copy and Sync uploads it.
func (s *Store) upload(name, path string) {
	b, err := os.ReadFile(path)
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), remoteTimeout)
		err = s.remote.s3.put(ctx, name, b)
		cancel()
	}
	if err != nil {
		s.remote.mu.Lock()
		s.remote.failed[name] = err
		s.remote.mu.Unlock()
	}
}

// Flush uploads again the entries whose upload failed in Put. The error
// counts those that still fail and says why; they stay in the local copy,
// and the next Sync uploads them.
func (s *Store) Flush(ctx context.Context) error {
	if s.remote == nil {
		return nil
	}
	s.remote.mu.Lock()
	var names []string
	for n := range s.remote.failed {
		names = append(names, n)
	}
	s.remote.mu.Unlock()
	if len(names) == 0 {
		return nil
	}
	slices.Sort(names)
	s.mu.RLock()
	defer s.mu.RUnlock()
	packed := &packRows{s: s, raw: map[string]*rawPack{}}
	var mu sync.Mutex
	var errs []error
	_ = parallel(ctx, names, func(ctx context.Context, name string) error {
		b, err := packed.bytes(name)
		if err == nil {
			err = s.remote.s3.put(ctx, name, b)
		}
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			errs = append(errs, err)
			return nil
		}
		s.remote.mu.Lock()
		delete(s.remote.failed, name)
		s.remote.mu.Unlock()
		return nil
	})
	if len(errs) > 0 {
		return fmt.Errorf("cache: %d entries were not uploaded to %s; they stay in the local copy %s and the next run with this --cache uploads them: %w",
			len(errs), s.remote.s3.URL(), s.dir, errs[0])
	}
	return nil
}

// PutDoc writes a small document, <dir>/<kind>/<name>, atomically, and
// uploads it when the Store has a remote. Unlike entries, a document may
// change (a device's latest measurement conditions, say): Sync downloads
// the bucket's version when it differs. name is a plain file name ending in
// .json.
func (s *Store) PutDoc(kind, name string, data []byte) error {
	dir, err := s.stageDir(kind)
	if err != nil {
		return err
	}
	if !validDocName(name) {
		return fmt.Errorf("cache: %s: invalid document name %q: want [A-Za-z0-9._-] ending in .json", kind, name)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	path := filepath.Join(dir, name)
	if err := writeAtomic(path, func(w io.Writer) error { _, err := w.Write(data); return err }); err != nil {
		return fmt.Errorf("cache: %s: %w", kind, err)
	}
	if s.remote != nil {
		s.upload(kind+"/"+name, path)
	}
	return nil
}

// Doc reads a document written by PutDoc (here or, through Sync, on another
// machine); ok is false when there is none.
func (s *Store) Doc(kind, name string) (data []byte, ok bool, err error) {
	dir, err := s.stageDir(kind)
	if err != nil {
		return nil, false, err
	}
	if !validDocName(name) {
		return nil, false, fmt.Errorf("cache: %s: invalid document name %q: want [A-Za-z0-9._-] ending in .json", kind, name)
	}
	b, err := os.ReadFile(filepath.Join(dir, name))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("cache: %w", err)
	}
	return b, true, nil
}

// packRows gives the bytes to upload for a local entry: the loose file, or
// for an entry compacted into a pack, a Parquet file of its rows alone.
type packRows struct {
	s   *Store
	mu  sync.Mutex
	raw map[string]*rawPack
}

// rawPack is a pack's rows read once for many entries.
type rawPack struct {
	once   sync.Once
	rows   []rowsOf
	schema *parquet.Schema
	err    error
}

type rowsOf struct {
	key  string
	rows []parquet.Row
}

func (p *packRows) bytes(name string) ([]byte, error) {
	dir, base, entry, ok := splitRemote(name)
	if !ok {
		return nil, fmt.Errorf("cache: unexpected entry name %q", name)
	}
	b, err := os.ReadFile(filepath.Join(p.s.dir, dir, base))
	if err == nil || !entry || !errors.Is(err, fs.ErrNotExist) {
		if err != nil {
			return nil, fmt.Errorf("cache: %w", err)
		}
		return b, nil
	}
	key := strings.TrimSuffix(base, entryExt)
	packs, err := listPacks(filepath.Join(p.s.dir, dir))
	if err != nil {
		return nil, err
	}
	for i := len(packs) - 1; i >= 0; i-- {
		idx, err := p.s.packIndex(packs[i])
		if err != nil {
			return nil, err
		}
		if _, ok := idx.find(key); !ok {
			continue
		}
		p.mu.Lock()
		rp := p.raw[packs[i]]
		if rp == nil {
			rp = &rawPack{}
			p.raw[packs[i]] = rp
		}
		p.mu.Unlock()
		rp.once.Do(func() {
			var rows []parquet.Row
			rows, rp.schema, rp.err = readRaw(packs[i], nil)
			if rp.err == nil && len(rows) != idx.total {
				rp.err = corrupt(packs[i], fmt.Errorf("read %d rows, index lists %d", len(rows), idx.total))
			}
			if rp.err != nil {
				return
			}
			for _, e := range idx.entries {
				rp.rows = append(rp.rows, rowsOf{e.key, rows[e.start : e.start+e.rows]})
			}
		})
		if rp.err != nil {
			return nil, rp.err
		}
		i, _ := slices.BinarySearchFunc(rp.rows, key, func(r rowsOf, k string) int { return strings.Compare(r.key, k) })
		var buf bytes.Buffer
		w := parquet.NewWriter(&buf, rp.schema, parquet.MaxRowsPerRowGroup(packRowGroup))
		if _, err := w.WriteRows(rp.rows[i].rows); err != nil {
			return nil, fmt.Errorf("cache: %s: %w", name, err)
		}
		if err := w.Close(); err != nil {
			return nil, fmt.Errorf("cache: %s: %w", name, err)
		}
		return buf.Bytes(), nil
	}
	return nil, fmt.Errorf("cache: %s: the entry is neither loose nor in a pack", name)
}

// parallel calls fn for every name with up to remoteWorkers at once and
// returns the first error; once one fails, names not yet started are skipped.
func parallel(ctx context.Context, names []string, fn func(context.Context, string) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	work := make(chan string)
	var wg sync.WaitGroup
	var once sync.Once
	var first error
	for range min(remoteWorkers, len(names)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for name := range work {
				if err := fn(ctx, name); err != nil {
					once.Do(func() { first = err; cancel() })
				}
			}
		}()
	}
feed:
	for _, n := range names {
		select {
		case work <- n:
		case <-ctx.Done():
			break feed
		}
	}
	close(work)
	wg.Wait()
	if first == nil {
		first = ctx.Err()
	}
	return first
}
