package cache

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestLockNotifySaysWhoAndHowLong: a second run told about its wait hears
// the holder's process id and how long it has waited, at once.
func TestLockNotifySaysWhoAndHowLong(t *testing.T) {
	s := openTemp(t)
	unlock := lock(t, s)
	defer unlock()
	s2, _ := Open(s.Dir())
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	var waits []LockWait
	_, err := s2.LockNotify(ctx, func(w LockWait) { waits = append(waits, w); cancel() })
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("LockNotify on a held lock: %v", err)
	}
	if len(waits) != 1 {
		t.Fatalf("%d notifications, want 1 as soon as the wait began", len(waits))
	}
	w := waits[0]
	if w.Holder != os.Getpid() || w.HolderGone || w.Dir != s.Dir() || w.Waited < 0 || w.Waited > time.Second {
		t.Errorf("wait %+v, want holder %d alive", w, os.Getpid())
	}
	if got := w.String(); !strings.Contains(got, "process "+itoa(os.Getpid())) {
		t.Errorf("String() = %q", got)
	}
}

// TestLockHeldByLeftoverWorker: a worker that inherited the lock file keeps
// the lock held after its run is gone, and a new run is told that workers
// of an exited run hold it, and which.
func TestLockHeldByLeftoverWorker(t *testing.T) {
	s := openTemp(t)
	unlock := lock(t, s)
	worker := exec.Command("/bin/sleep", "30")
	worker.ExtraFiles = []*os.File{s.LockFile()}
	if err := worker.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { worker.Process.Kill(); worker.Wait() }()
	// The run dies without unlocking: the kernel just closes its files.
	// Record a process id that has exited as the holder.
	dead := exec.Command("/bin/true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(s.Dir()+"/"+lockName, []byte(itoa(dead.Process.Pid)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s.LockFile().Close()
	s.held.Add(-1)
	_ = unlock // not called: the run was killed

	s2, _ := Open(s.Dir())
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	var w LockWait
	_, err := s2.LockNotify(ctx, func(lw LockWait) { w = lw })
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("lock while a leftover worker holds it: %v", err)
	}
	if w.Holder != dead.Process.Pid || !w.HolderGone || !slices.Contains(w.Others, worker.Process.Pid) {
		t.Errorf("wait %+v, want holder %d gone and worker %d listed", w, dead.Process.Pid, worker.Process.Pid)
	}
	for _, want := range []string{"workers left by run " + itoa(dead.Process.Pid), itoa(worker.Process.Pid)} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	// Once the worker is gone, the lock is free.
	worker.Process.Kill()
	worker.Wait()
	unlock2 := lock(t, s2)
	if err := unlock2(); err != nil {
		t.Fatal(err)
	}
}

// TestNotWritableSaysWhy: a read-only or forbidden cache directory is
// reported as such, with the fix, never as locked.
func TestNotWritableSaysWhy(t *testing.T) {
	s := openTemp(t)
	cases := []struct {
		err  error
		want string
	}{
		{&fs.PathError{Op: "open", Path: s.Dir() + "/.lock", Err: syscall.EROFS}, "is on a read-only file system; pass a writable directory with --cache"},
		{&fs.PathError{Op: "open", Path: s.Dir() + "/.lock", Err: syscall.EACCES}, "cannot write in " + s.Dir() + ": permission denied; make it writable (chmod -R u+w " + s.Dir() + ")"},
	}
	for _, c := range cases {
		got := s.notWritable(c.err).Error()
		if !strings.Contains(got, c.want) || strings.Contains(got, "locked") {
			t.Errorf("notWritable(%v) = %q, want %q", c.err, got, c.want)
		}
	}
	// A directory that does not take files: a path under a regular file.
	f := s.Dir() + "/file"
	os.WriteFile(f, nil, 0o644)
	bad := &Store{dir: f + "/sub"}
	if _, err := bad.Lock(context.Background()); err == nil || strings.Contains(err.Error(), "locked") {
		t.Errorf("Lock in an unusable directory: %v", err)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
