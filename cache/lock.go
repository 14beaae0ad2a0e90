package cache

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// lockPoll is how often Lock retries a lock another run holds.
const lockPoll = 20 * time.Millisecond

// lockNotifyEvery is how often LockNotify reports a wait that goes on.
const lockNotifyEvery = 10 * time.Second

// LockWait describes a wait for the store's lock, for the caller to report.
type LockWait struct {
	// Dir is the store's directory.
	Dir string
	// Holder is the process id the holding run recorded; 0 if none was.
	Holder int
	// HolderGone reports that Holder has exited: the lock is held by the
	// worker processes it left behind (see Others).
	HolderGone bool
	// Others are the other processes that have the lock file open, such as
	// the holder's workers; known on Linux only.
	Others []int
	// Waited is how long this call has waited so far.
	Waited time.Duration
}

// String says who holds the lock, for messages.
func (w LockWait) String() string {
	who := "another run"
	if w.Holder > 0 {
		who = fmt.Sprintf("another run (process %d)", w.Holder)
	}
	if w.HolderGone {
		who = fmt.Sprintf("workers left by run %d, which has exited", w.Holder)
		if len(w.Others) > 0 {
			who = fmt.Sprintf("%s (processes %s; they stop by themselves, or kill them)", who, pids(w.Others))
		}
	} else if len(w.Others) > 0 {
		who = fmt.Sprintf("%s and its workers (processes %s)", who, pids(w.Others))
	}
	return who
}

func pids(ps []int) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = strconv.Itoa(p)
	}
	return strings.Join(s, ", ")
}

// Lock takes the store's exclusive lock, an advisory flock on <dir>/.lock
// that the operating system releases when the last process holding the lock
// file open exits, however it exits. It waits while another run (another
// process, or another Lock call in this one) holds the lock, until ctx ends;
// the error then names the holder's process id. One pipeline run holds the
// lock for its whole run, and passes LockFile to its worker processes, so
// that the lock also covers workers that outlive their run.
//
// After taking the lock, Lock removes temporary files that interrupted writes
// left in the stage directories. The returned unlock compacts every stage that
// has loose entries or several packs (see Compact) and releases the lock; it returns the first
// error and may be called more than once.
//
// A directory the process cannot write is an error that says so (permission
// denied, read-only file system), never a wait.
func (s *Store) Lock(ctx context.Context) (unlock func() error, err error) {
	return s.LockNotify(ctx, nil)
}

// LockNotify is Lock that calls wait, when not nil, as soon as it finds the
// lock held by another and then every ten seconds while it waits.
func (s *Store) LockNotify(ctx context.Context, wait func(LockWait)) (unlock func() error, err error) {
	path := filepath.Join(s.dir, lockName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, s.notWritable(err)
	}
	if err := s.probeWrite(); err != nil {
		f.Close()
		return nil, err
	}
	t := time.NewTicker(lockPoll)
	defer t.Stop()
	start := time.Now()
	var notified time.Time
	for {
		busy, err := tryLock(f)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("cache: lock %s: %w", path, err)
		}
		if !busy {
			break
		}
		if wait != nil && (notified.IsZero() || time.Since(notified) >= lockNotifyEvery) {
			notified = time.Now()
			wait(s.lockWait(path, time.Since(start)))
		}
		select {
		case <-ctx.Done():
			w := s.lockWait(path, time.Since(start))
			f.Close()
			return nil, fmt.Errorf("cache: %s is locked by %s; gave up after %s: wait for it to finish or use another --cache: %w",
				s.dir, w, w.Waited.Round(time.Second), ctx.Err())
		case <-t.C:
		}
	}
	// Record the holder for the message above; the flock is what excludes.
	if err := f.Truncate(0); err == nil {
		f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	s.held.Add(1)
	s.lockMu.Lock()
	s.lockFile = f
	s.lockMu.Unlock()
	release := func() error {
		s.lockMu.Lock()
		if s.lockFile == f {
			s.lockFile = nil
		}
		s.lockMu.Unlock()
		s.held.Add(-1)
		err := unlockFile(f)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("cache: unlock %s: %w", path, err)
		}
		return nil
	}
	if err := s.removeTemps(); err != nil {
		release()
		return nil, err
	}
	var once sync.Once
	var uerr error
	return func() error {
		once.Do(func() {
			uerr = s.compactAll()
			if err := release(); err != nil && uerr == nil {
				uerr = err
			}
		})
		return uerr
	}, nil
}

// LockFile is the open lock file while this Store holds the lock, else nil.
// A worker process that inherits it keeps the lock held while it lives,
// even when the run that started it was killed.
func (s *Store) LockFile() *os.File {
	s.lockMu.Lock()
	defer s.lockMu.Unlock()
	return s.lockFile
}

// lockWait reads who holds the lock at path.
func (s *Store) lockWait(path string, waited time.Duration) LockWait {
	w := LockWait{Dir: s.dir, Waited: waited}
	if b, err := os.ReadFile(path); err == nil {
		if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && pid > 0 {
			w.Holder = pid
			w.HolderGone = !processAlive(pid)
		}
	}
	for _, pid := range openers(path) {
		if pid != w.Holder && pid != os.Getpid() {
			w.Others = append(w.Others, pid)
		}
	}
	return w
}

// notWritable explains why the lock file could not be opened.
func (s *Store) notWritable(err error) error {
	switch {
	case errors.Is(err, syscall.EROFS):
		return fmt.Errorf("cache: %s is on a read-only file system; pass a writable directory with --cache (copy the cache there to reuse its results)", s.dir)
	case errors.Is(err, fs.ErrPermission):
		return fmt.Errorf("cache: cannot write in %s: permission denied; make it writable (chmod -R u+w %s) or pass another --cache", s.dir, s.dir)
	}
	return fmt.Errorf("cache: %w", err)
}

// probeWrite checks that the store's directory takes new files, which
// every run needs, so that a read-only cache is reported up front.
func (s *Store) probeWrite() error {
	f, err := os.CreateTemp(s.dir, tmpPrefix+"probe-*")
	if err != nil {
		return s.notWritable(err)
	}
	f.Close()
	os.Remove(f.Name())
	return nil
}

// stages lists the store's stage directories, sorted.
func (s *Store) stages() ([]string, error) {
	des, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, fmt.Errorf("cache: %w", err)
	}
	var out []string
	for _, de := range des {
		if de.IsDir() && validStage(de.Name()) {
			out = append(out, de.Name())
		}
	}
	return out, nil
}

// removeTemps deletes temporary files left by interrupted writes. Only the
// lock holder writes through Put and Compact, so none of them is in flight.
func (s *Store) removeTemps() error {
	stages, err := s.stages()
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var errs []error
	for _, st := range stages {
		for _, dir := range []string{filepath.Join(s.dir, st), filepath.Join(s.dir, st, packsDir)} {
			des, err := os.ReadDir(dir)
			if err != nil {
				continue
			}
			for _, de := range des {
				if strings.HasPrefix(de.Name(), tmpPrefix) && de.Type().IsRegular() {
					if err := os.Remove(filepath.Join(dir, de.Name())); err != nil && !errors.Is(err, os.ErrNotExist) {
						errs = append(errs, err)
					}
				}
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("cache: removing temporary files: %w", err)
	}
	return nil
}

// compactAll compacts every stage with loose entries or several packs.
func (s *Store) compactAll() error {
	stages, err := s.stages()
	if err != nil {
		return err
	}
	var errs []error
	for _, st := range stages {
		if err := s.Compact(st); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
