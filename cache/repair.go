package cache

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"

	"github.com/dnnbench/dnnbench/internal/atomicfile"
)

// quarantineDir is where a stage's damaged files are moved, in its directory.
const quarantineDir = "quarantine"

// Repair is a damaged entry or pack moved aside into the stage's
// quarantine directory; the rows it held are missing from then on, so the
// pipeline recomputes them.
type Repair struct {
	// Stage is the stage directory's name.
	Stage string
	// File is where the file was; To is where it is now.
	File, To string
	// Cause is what is wrong with it.
	Cause error
}

func (r Repair) String() string {
	return fmt.Sprintf("cache: %s is damaged (%v); moved it aside to %s, its rows will be recomputed", r.File, r.Cause, r.To)
}

// Damage is a file Verify found unreadable.
type Damage struct {
	// Stage is the stage directory's name; File the damaged file.
	Stage, File string
	// Cause is what is wrong with it (wraps ErrCorrupt).
	Cause error
}

// Repairs returns the files this Store moved aside since the last call.
//
// While a Store holds the lock (Lock), a damaged entry or pack met by Get,
// All or Compact is moved into <dir>/<stage>/quarantine/ instead of failing
// the call: Get and All then answer without its rows, so they are
// recomputed, and every other entry is kept. Without the lock such a file is
// an error wrapping ErrCorrupt.
func (s *Store) Repairs() []Repair {
	s.repairsMu.Lock()
	defer s.repairsMu.Unlock()
	out := s.repairs
	s.repairs = nil
	return out
}

// setAside moves path aside when err says it is damaged and this Store
// holds the lock; it reports whether the caller may go on without it (also
// when the file has gone meanwhile). An intact file with other columns is
// never moved.
func (s *Store) setAside(path string, err error) bool {
	if errors.Is(err, fs.ErrNotExist) {
		return true
	}
	if !errors.Is(err, ErrCorrupt) || errors.As(err, new(foreignError)) || s.held.Load() == 0 {
		return false
	}
	r, qerr := s.quarantine(path, cause(err))
	if qerr != nil {
		return false
	}
	s.repairsMu.Lock()
	s.repairs = append(s.repairs, r)
	s.repairsMu.Unlock()
	return true
}

// cause strips the advice from a corrupt() error for a Repair's message.
func cause(err error) error {
	if u, ok := err.(interface{ Unwrap() []error }); ok {
		if errs := u.Unwrap(); len(errs) == 2 && errs[0] == ErrCorrupt {
			return errs[1]
		}
	}
	return err
}

// quarantine moves a stage's file (a loose entry or a pack) into the
// stage's quarantine directory, under a name not yet taken there.
func (s *Store) quarantine(path string, why error) (Repair, error) {
	stageDir := filepath.Dir(path)
	if filepath.Base(stageDir) == packsDir {
		stageDir = filepath.Dir(stageDir)
	}
	qdir := filepath.Join(stageDir, quarantineDir)
	if err := os.MkdirAll(qdir, 0o755); err != nil {
		return Repair{}, fmt.Errorf("cache: %w", err)
	}
	to := filepath.Join(qdir, filepath.Base(path))
	for i := 1; ; i++ {
		if _, err := os.Lstat(to); errors.Is(err, fs.ErrNotExist) {
			break
		}
		to = filepath.Join(qdir, filepath.Base(path)+"."+strconv.Itoa(i))
	}
	if err := os.Rename(path, to); err != nil {
		return Repair{}, fmt.Errorf("cache: moving %s aside: %w", path, err)
	}
	atomicfile.SyncDir(filepath.Dir(path))
	s.packsMu.Lock()
	delete(s.packs, path)
	s.packsMu.Unlock()
	return Repair{Stage: filepath.Base(stageDir), File: path, To: to, Cause: why}, nil
}

// Verify reads every entry and pack of every stage, checks each pack
// against the checksum in its name, and lists the files that are damaged.
// It changes nothing.
func (s *Store) Verify() ([]Damage, error) {
	stages, err := s.stages()
	if err != nil {
		return nil, err
	}
	var out []Damage
	for _, st := range stages {
		dir := filepath.Join(s.dir, st)
		loose, packs, err := listStage(dir)
		if err != nil {
			return nil, err
		}
		for _, p := range packs {
			if err := verifyPack(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
				out = append(out, Damage{Stage: st, File: p, Cause: err})
			}
		}
		for _, key := range loose {
			p := filepath.Join(dir, key+entryExt)
			if _, _, err := readRaw(p, nil); err != nil && !errors.Is(err, fs.ErrNotExist) {
				out = append(out, Damage{Stage: st, File: p, Cause: err})
			}
		}
	}
	return out, nil
}

// verifyPack checks a pack's checksum, index and rows.
func verifyPack(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	if err := checkPackSum(path, b); err != nil {
		return corrupt(path, err)
	}
	rows, _, err := readRaw(path, nil)
	if err != nil {
		return err
	}
	pf, err := openParquet(path, bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return err
	}
	idx, err := parseIndex(pf)
	if err != nil {
		return corrupt(path, err)
	}
	if idx.total != len(rows) {
		return corrupt(path, fmt.Errorf("read %d rows, index lists %d", len(rows), idx.total))
	}
	return nil
}

// Repair moves every file Verify finds damaged into its stage's quarantine
// directory and returns what it moved. The caller must hold the lock.
func (s *Store) Repair() ([]Repair, error) {
	if s.held.Load() == 0 {
		return nil, errors.New("cache: repair: the store's lock is not held; call Lock first")
	}
	damaged, err := s.Verify()
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Repair
	for _, d := range damaged {
		r, err := s.quarantine(d.File, cause(d.Cause))
		if err != nil {
			return out, err
		}
		out = append(out, r)
	}
	return out, nil
}
