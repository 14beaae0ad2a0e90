package timing

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dnnbench/dnnbench/internal/onnxrt"
	"github.com/dnnbench/dnnbench/internal/sweep"
	"github.com/dnnbench/dnnbench/internal/testmodel"
)

// Environment variables that turn the test binary into a worker.
const (
	envWorker  = "DNNBENCH_TIMING_TEST_WORKER"
	envCrashAt = "DNNBENCH_TIMING_TEST_CRASH_AT" // exit abruptly once this batch begins
	envBurst   = "DNNBENCH_TIMING_TEST_BURST"    // "BUSY,IDLE": load one core in bursts until killed
	envOOMAt   = "DNNBENCH_TIMING_TEST_OOM_AT"   // die as Go does out of memory once this batch begins
)

// goOOM is how a Go worker dies when an allocation fails (abridged from a
// real crash under ulimit -v; the stack is much longer).
const goOOM = `runtime: out of memory: cannot allocate 4932501504-byte block (3932160 in use)
fatal error: out of memory

goroutine 1 gp=0x207eba581e0 m=0 mp=0x584f60 [running]:
runtime.throw({0x4c5c35?, 0x9?})
	/usr/local/go/src/runtime/panic.go:1229 +0x48 fp=0x207eba7ae38 sp=0x207eba7ae08 pc=0x46f868
`

// TestMain runs the real Worker when the test binary is re-executed as a
// child, so the tests exercise the process protocol for real.
func TestMain(m *testing.M) {
	if spec := os.Getenv(envBurst); spec != "" {
		if err := burst(spec); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		os.Exit(0)
	}
	if os.Getenv(envWorker) == "1" {
		var out io.Writer = os.Stdout
		if at := os.Getenv(envCrashAt); at != "" {
			n, _ := strconv.Atoi(at)
			out = &crashWriter{w: os.Stdout, at: []byte(fmt.Sprintf(`"kind":"begin","batch":%d}`, n)), says: "simulated crash in the runtime\n", status: 3}
		}
		if at := os.Getenv(envOOMAt); at != "" {
			n, _ := strconv.Atoi(at)
			out = &crashWriter{w: os.Stdout, at: []byte(fmt.Sprintf(`"kind":"begin","batch":%d}`, n)), says: goOOM, status: 2}
		}
		if err := Worker(context.Background(), os.Stdin, out); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// burst keeps one core busy for BUSY, idles for IDLE, and repeats until the
// process is killed: an artificial bursty load for BenchmarkBurstyLoad.
func burst(spec string) error {
	busyS, idleS, ok := strings.Cut(spec, ",")
	busy, err1 := time.ParseDuration(busyS)
	idle, err2 := time.ParseDuration(idleS)
	if !ok || err1 != nil || err2 != nil || busy <= 0 || idle < 0 {
		return fmt.Errorf("%s=%q: want BUSY,IDLE durations such as 1.5s,3s", envBurst, spec)
	}
	runtime.GOMAXPROCS(1)
	x := uint64(1)
	for {
		for t0 := time.Now(); time.Since(t0) < busy; {
			for range 10000 {
				x = x*6364136223846793005 + 1442695040888963407
			}
		}
		if x == 0 {
			fmt.Fprintln(os.Stderr, "unreachable") // keeps the loop from being optimised away
		}
		time.Sleep(idle)
	}
}

// crashWriter passes events through and kills the process right after the
// event that begins the chosen batch, as a crashing runtime would.
type crashWriter struct {
	w      io.Writer
	at     []byte
	says   string // on stderr
	status int
}

func (c *crashWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	if bytes.Contains(p, c.at) {
		fmt.Fprint(os.Stderr, c.says)
		os.Exit(c.status)
	}
	return n, err
}

// testConfig is a quick config that re-executes the test binary.
func testConfig(t testing.TB, env ...string) Config {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	lib, err := onnxrt.Locate("")
	if err != nil {
		t.Fatalf("ONNX Runtime is needed for this test (run 'make setup'): %v", err)
	}
	return Config{
		Worker: sweep.Worker{Exe: exe, Env: append([]string{envWorker + "=1"}, env...), LibPath: lib,
			Session: onnxrt.Options{Provider: "cpu", IntraOpThreads: 1}},
		Device: "cpu", Warmup: 2, Runs: 6, MinSeconds: 0, Rounds: 2,
	}
}

// writeModel writes a test model into a temporary directory.
func writeModel(t *testing.T, s testmodel.Spec) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "m.onnx")
	if err := testmodel.Write(p, s); err != nil {
		t.Fatal(err)
	}
	return p
}
