package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dnnbench/dnnbench/cache"
)

// procChildren lists the processes whose parent is pid, with their command
// lines, from /proc.
func procChildren(pid int) map[int]string {
	out := map[int]string{}
	dirs, _ := os.ReadDir("/proc")
	for _, d := range dirs {
		child, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", d.Name(), "stat"))
		if err != nil {
			continue
		}
		f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
		if len(f) > 1 && f[1] == strconv.Itoa(pid) {
			cmd, _ := os.ReadFile(filepath.Join("/proc", d.Name(), "cmdline"))
			out[child] = strings.ReplaceAll(string(cmd), "\x00", " ")
		}
	}
	return out
}

// exited reports whether pid is gone or a zombie nobody has reaped yet.
func exited(pid int) bool {
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return true
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	return len(f) > 0 && (f[0] == "Z" || f[0] == "X")
}

// TestKilledRunLeavesNoWorker kills the pipeline (SIGKILL) while its timing
// worker measures: the worker must be gone within a second, and the cache
// free for the next run.
func TestKilledRunLeavesNoWorker(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "orphan.yaml")
	os.WriteFile(cfg, []byte(`name: orphan
models:
  - {name: a, arch: squeezenet1_1}
timing: {batch_sizes: [1], warmup: 1, runs: 3, min_seconds: 60}
memory: {batch_sizes: [1]}
`), 0o644)
	cacheDir := filepath.Join(dir, "cache")
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	wd, _ := os.Getwd()
	cmd := exec.Command(exe, "--config", cfg, "--out", filepath.Join(dir, "out"), "--cache", cacheDir, "--quiet", "--stage", "timing")
	cmd.Dir = wd
	cmd.Env = append(os.Environ(), "DNNBENCH_TEST_PIPELINE=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	worker := 0
	for deadline := time.Now().Add(2 * time.Minute); worker == 0; time.Sleep(20 * time.Millisecond) {
		for pid, line := range procChildren(cmd.Process.Pid) {
			if strings.Contains(line, "worker timing") {
				worker = pid
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no timing worker started within two minutes\n%s", stderr.String())
		}
	}
	defer syscall.Kill(worker, syscall.SIGKILL)
	// Let it create its session and get into the 60 s warm-up, where it
	// writes nothing: an orphan would not even meet a broken pipe there.
	time.Sleep(3 * time.Second)
	if exited(worker) {
		t.Fatalf("the worker ended before the kill\n%s", stderr.String())
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	killed := time.Now()
	for !exited(worker) {
		if time.Since(killed) > time.Second {
			t.Fatalf("worker %d still runs a second after its pipeline was killed", worker)
		}
		time.Sleep(10 * time.Millisecond)
	}
	store, err := cache.Open(cacheDir)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	unlock, err := store.Lock(ctx)
	if err != nil {
		t.Fatalf("the cache is still locked after the run and its worker died: %v", err)
	}
	unlock()
}
