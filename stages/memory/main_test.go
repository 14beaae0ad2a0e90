package memory

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/dnnbench/dnnbench/internal/onnxrt"
	"github.com/dnnbench/dnnbench/internal/sweep"
	"github.com/dnnbench/dnnbench/internal/testmodel"
)

// Environment variables that turn the test binary into a worker.
const (
	envWorker  = "DNNBENCH_MEMORY_TEST_WORKER"
	envCrashAt = "DNNBENCH_MEMORY_TEST_CRASH_AT" // die on this batch size
	envOOMAt   = "DNNBENCH_MEMORY_TEST_OOM_AT"   // die as Go does out of memory on this batch size
)

// TestMain runs the real Worker when the test binary is re-executed as a
// child, so the tests exercise the process protocol for real.
func TestMain(m *testing.M) {
	if os.Getenv(envWorker) == "1" {
		// The parent keeps stdin open (see childproc.WatchParent): read one line.
		in, err := bufio.NewReader(os.Stdin).ReadBytes('\n')
		if err != nil {
			os.Exit(1)
		}
		if at := os.Getenv(envCrashAt); at != "" && bytes.Contains(in, []byte(`"batch":`+at+`}`)) {
			fmt.Fprintln(os.Stderr, "simulated crash in the runtime")
			os.Exit(3)
		}
		if at := os.Getenv(envOOMAt); at != "" && bytes.Contains(in, []byte(`"batch":`+at+`}`)) {
			fmt.Fprint(os.Stderr, "runtime: out of memory: cannot allocate 4932501504-byte block (3932160 in use)\nfatal error: out of memory\n\ngoroutine 1 [running]:\nruntime.throw({0x4c5c35?, 0x9?})\n")
			os.Exit(2)
		}
		if err := Worker(context.Background(), bytes.NewReader(in), os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// testConfig is a config that re-executes the test binary.
func testConfig(t *testing.T, env ...string) Config {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	lib, err := onnxrt.Locate("")
	if err != nil {
		t.Fatalf("ONNX Runtime is needed for this test (run 'make setup'): %v", err)
	}
	return Config{Worker: sweep.Worker{Exe: exe, Env: append([]string{envWorker + "=1"}, env...), LibPath: lib,
		Session: onnxrt.Options{Provider: "cpu", IntraOpThreads: 1}}, Device: "cpu", Sampler: SamplerProc}
}

func writeModel(t *testing.T, s testmodel.Spec) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "m.onnx")
	if err := testmodel.Write(p, s); err != nil {
		t.Fatal(err)
	}
	return p
}
