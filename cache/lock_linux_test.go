package cache

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"
)

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
