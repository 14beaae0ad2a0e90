package onnxrt

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"

	"github.com/dnnbench/dnnbench/internal/testmodel"
)

func initRuntime(t *testing.T) {
	t.Helper()
	lib, err := Locate("")
	if err != nil {
		t.Fatalf("ONNX Runtime is needed for this test (make setup): %v", err)
	}
	if _, err := Init(lib); err != nil {
		t.Fatal(err)
	}
}

// TestSession reads the first input and output from the file and runs a
// batch whose size differs from any in the file.
func TestSession(t *testing.T) {
	initRuntime(t)
	path := filepath.Join(t.TempDir(), "m.onnx")
	if err := testmodel.Write(path, testmodel.Spec{Size: 16, Hidden: 8}); err != nil {
		t.Fatal(err)
	}
	s, err := NewSession(path, Options{IntraOpThreads: 1, GraphOptimization: "basic"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got := s.InputShape(); !reflect.DeepEqual(got, []int64{-1, 3, 16, 16}) {
		t.Errorf("input shape %v", got)
	}
	if got := s.OutputShape(); !reflect.DeepEqual(got, []int64{-1, 1000}) {
		t.Errorf("output shape %v", got)
	}
	b, err := s.NewBatch(3)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if len(b.Input()) != 3*3*16*16 {
		t.Fatalf("input buffer %d", len(b.Input()))
	}
	if err := b.Run(); err != nil || len(b.Output()) != 3000 {
		t.Fatalf("run: %v, %d outputs", err, len(b.Output()))
	}
	if _, err := s.NewBatch(0); err == nil {
		t.Error("batch 0 accepted")
	}
}

func TestSessionBadInput(t *testing.T) {
	initRuntime(t)
	dir := t.TempDir()
	junk := filepath.Join(dir, "junk.onnx")
	if err := os.WriteFile(junk, []byte("\xff\xff\xff not protobuf"), 0o644); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "pipe.onnx") // opening it for reading would block
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{junk, filepath.Join(dir, "missing.onnx"), fifo, "/dev/zero"} {
		if _, err := NewSession(p, Options{}); err == nil || !strings.Contains(err.Error(), filepath.Base(p)) {
			t.Errorf("%s: err %v", p, err)
		}
	}
	path := filepath.Join(dir, "m.onnx")
	if err := testmodel.Write(path, testmodel.Spec{Size: 8, Hidden: 4}); err != nil {
		t.Fatal(err)
	}
	for _, o := range []Options{{Provider: "npu"}, {GraphOptimization: "max"}} {
		if _, err := NewSession(path, o); err == nil {
			t.Errorf("options %+v accepted", o)
		}
	}
}

// TestFixedBatchSaysSo: a model exported with batch 1 asked for batch 2
// names the fixed batch dimension and the fix.
func TestFixedBatchSaysSo(t *testing.T) {
	initRuntime(t)
	path := filepath.Join(t.TempDir(), "b1.onnx")
	if err := testmodel.Write(path, testmodel.Spec{Size: 8, Batch: 1}); err != nil {
		t.Fatal(err)
	}
	s, err := NewSession(path, Options{IntraOpThreads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	b, err := s.NewBatch(1)
	if err != nil {
		t.Fatalf("batch 1 on a batch-1 model: %v", err)
	}
	b.Close()
	_, err = s.NewBatch(2)
	want := `input "input" has its batch dimension fixed to 1 (shape [1 3 8 8]), so batch 2 cannot run; use batch_sizes: [1] or export the model with a dynamic batch dimension`
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("batch 2: error %v, want %q", err, want)
	}
}

func TestIsOOM(t *testing.T) {
	for msg, want := range map[string]bool{
		"Failed to allocate memory for requested buffer of size 4398046511104": true,
		"std::bad_alloc":                true,
		"CUDA failure 2: out of memory": true,
		"Invalid input shape: {2,3}":    false,
		"Non-zero status code returned": false,
	} {
		if got := IsOOM(errString(msg)); got != want {
			t.Errorf("IsOOM(%q) = %v", msg, got)
		}
	}
}

type errString string

func (e errString) Error() string { return string(e) }
