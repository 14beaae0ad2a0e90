package childproc

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// gone reports whether process pid has exited (a zombie nobody reaped
// counts as exited).
func gone(pid int) bool {
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return true
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return os.IsNotExist(err)
	}
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	return len(f) > 0 && (f[0] == "Z" || f[0] == "X")
}

func waitGone(t *testing.T, pid int, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !gone(pid) {
		if time.Now().After(deadline) {
			syscall.Kill(pid, syscall.SIGKILL)
			t.Fatalf("worker %d still runs %s after its parent died", pid, within)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestWorkerDiesWithKilledParent kills (SIGKILL) a process that started a
// worker which does not watch its stdin: the kernel's parent-death signal
// must end the worker within a second.
func TestWorkerDiesWithKilledParent(t *testing.T) {
	exe, _ := os.Executable()
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), envMode+"=parent")
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var pid int
	if _, err := fmt.Fscan(out, &pid); err != nil || pid <= 0 {
		cmd.Process.Kill()
		t.Fatalf("worker pid: %d, %v", pid, err)
	}
	if gone(pid) {
		t.Fatalf("worker %d is not running before the kill", pid)
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	waitGone(t, pid, time.Second)
}

// TestInheritedFiles checks that a worker holds the files it is given (the
// cache lock) as descriptors 3, 4, ….
func TestInheritedFiles(t *testing.T) {
	f, err := os.CreateTemp(t.TempDir(), "lock")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	c, err := Start(context.Background(), "/bin/sh", []string{"-c", `read req; readlink /proc/self/fd/3 >&2`}, nil, line{}, f)
	if err != nil {
		t.Fatal(err)
	}
	c.Wait()
	if got := c.Stderr(); got != f.Name() {
		t.Errorf("descriptor 3 of the worker is %q, want %s", got, f.Name())
	}
}
