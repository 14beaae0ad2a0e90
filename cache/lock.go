package cache

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// lockPoll is how often Lock retries a lock another run holds.
const lockPoll = 20 * time.Millisecond

// Lock takes the store's exclusive lock, an advisory flock on <dir>/.lock
// that the operating system releases when the holding process exits, however
// it exits. It waits while another run (another process, or another Lock call
// in this one) holds the lock, until ctx ends; the error then names the
// holder's process id. One pipeline run holds the lock for its whole run.
//
// After taking the lock, Lock removes temporary files that interrupted writes
// left in the stage directories. The returned unlock compacts every stage that
// has loose entries or several packs (see Compact) and releases the lock; it returns the first
// error and may be called more than once.
func (s *Store) Lock(ctx context.Context) (unlock func() error, err error) {
	path := filepath.Join(s.dir, lockName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("cache: lock: %w", err)
	}
	t := time.NewTicker(lockPoll)
	defer t.Stop()
	for {
		busy, err := tryLock(f)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("cache: lock %s: %w", path, err)
		}
		if !busy {
			break
		}
		select {
		case <-ctx.Done():
			holder := "another run"
			if b, err := os.ReadFile(path); err == nil {
				if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
					holder = fmt.Sprintf("another run (process %d)", pid)
				}
			}
			f.Close()
			return nil, fmt.Errorf("cache: %s is locked by %s; wait for it to finish or use another --cache: %w", s.dir, holder, ctx.Err())
		case <-t.C:
		}
	}
	// Record the holder for the message above; the flock is what excludes.
	if err := f.Truncate(0); err == nil {
		f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	s.held.Add(1)
	if err := s.removeTemps(); err != nil {
		s.held.Add(-1)
		unlockFile(f)
		f.Close()
		return nil, err
	}
	var once sync.Once
	var uerr error
	return func() error {
		once.Do(func() {
			uerr = s.compactAll()
			s.held.Add(-1)
			if err := unlockFile(f); err != nil && uerr == nil {
				uerr = fmt.Errorf("cache: unlock %s: %w", path, err)
			}
			if err := f.Close(); err != nil && uerr == nil {
				uerr = fmt.Errorf("cache: unlock %s: %w", path, err)
			}
		})
		return uerr
	}, nil
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
