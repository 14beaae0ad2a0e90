package childproc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"
)

// Environment variables that turn the test binary into a child.
const (
	envMode = "CHILDPROC_TEST_MODE" // watch, sleep or parent
)

// TestMain lets the test binary play a worker (watch: exits when its stdin
// closes; sleep: ignores stdin) or a pipeline (parent: starts a sleeping
// worker, prints its pid and waits to be killed).
func TestMain(m *testing.M) {
	switch os.Getenv(envMode) {
	case "watch":
		req, err := WatchParent(os.Stdin, func() {
			fmt.Fprintln(os.Stderr, "parent gone")
			os.Exit(3)
		})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		var l line
		if err := ReadRequest(req, &l); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		NewEncoder(os.Stdout).Send(l)
		time.Sleep(time.Minute)
		os.Exit(0)
	case "sleep":
		NewEncoder(os.Stdout).Send(line{N: os.Getpid()})
		time.Sleep(time.Minute)
		os.Exit(0)
	case "parent":
		exe, _ := os.Executable()
		c, err := Start(context.Background(), exe, nil, []string{envMode + "=sleep"}, line{})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		var l line
		if err := c.Next(&l); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Println(l.N)
		time.Sleep(time.Minute)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestWorkerStopsWhenStdinCloses is the watchdog that works on every
// system: closing the parent's end of stdin ends a worker that watches it.
func TestWorkerStopsWhenStdinCloses(t *testing.T) {
	exe, _ := os.Executable()
	c, err := Start(context.Background(), exe, nil, []string{envMode + "=watch"}, line{N: 5})
	if err != nil {
		t.Fatal(err)
	}
	var l line
	if err := c.Next(&l); err != nil || l.N != 5 {
		t.Fatalf("echoed request %+v, %v", l, err)
	}
	start := time.Now()
	c.stdin.Close()
	err = c.Wait()
	if err == nil || !strings.Contains(err.Error(), "exited with status 3: parent gone") {
		t.Errorf("wait: %v, want the watchdog's exit", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("the worker took %s to notice its parent had gone", d)
	}
}

// TestGoOutOfMemoryIsOOM classifies a real Go out-of-memory crash (see
// testdata/README.md): one line naming the failed allocation, no stack.
func TestGoOutOfMemoryIsOOM(t *testing.T) {
	b, err := os.ReadFile("testdata/go_oom.stderr")
	if err != nil {
		t.Fatal(err)
	}
	cause, ok := OutOfMemory(string(b))
	if !ok || cause != "runtime: out of memory: cannot allocate 4932501504-byte block (3932160 in use)" {
		t.Errorf("OutOfMemory = %q, %v", cause, ok)
	}
	for _, s := range []string{"terminate called after throwing an instance of 'std::bad_alloc'", "mmap: cannot allocate memory"} {
		if _, ok := OutOfMemory("noise\n" + s + "\n"); !ok {
			t.Errorf("%q not classified as out of memory", s)
		}
	}
	if cause, ok := OutOfMemory("panic: index out of range\ngoroutine 1 [running]:\n"); ok {
		t.Errorf("a panic classified as out of memory: %q", cause)
	}
}

// TestChildOutOfMemory runs a child that prints the recorded crash, padded
// with more stack than the kept tail holds, and dies: Wait's error is
// ErrOutOfMemory with the one-line cause.
func TestChildOutOfMemory(t *testing.T) {
	script := `read req; cat testdata/go_oom.stderr >&2; i=0; while [ $i -lt 300 ]; do echo "main.f(0x0) /src/x.go:$i +0x1d" >&2; i=$((i+1)); done; exit 2`
	c, err := Start(context.Background(), "/bin/sh", []string{"-c", script}, nil, line{})
	if err != nil {
		t.Fatal(err)
	}
	var l line
	if err := c.Next(&l); err != io.EOF {
		t.Fatalf("next: %v", err)
	}
	err = c.Wait()
	if !errors.Is(err, ErrOutOfMemory) || !strings.HasSuffix(err.Error(), "cannot allocate 4932501504-byte block (3932160 in use)") || strings.Contains(err.Error(), "goroutine") {
		t.Errorf("wait: %v", err)
	}
	if len(c.Stderr()) > stderrKeep || strings.Contains(c.Stderr(), "out of memory") {
		t.Fatalf("the test needs the cause out of the kept tail (%d bytes)", len(c.Stderr()))
	}
}
