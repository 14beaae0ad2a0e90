package sweep

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/dnnbench/dnnbench/internal/childproc"
	"github.com/dnnbench/dnnbench/internal/onnxrt"
)

func TestBatchesSortsAndDeduplicates(t *testing.T) {
	got, err := Batches([]int{16, 1, 4, 16, 2, 1})
	if err != nil {
		t.Fatal(err)
	}
	if want := []int{1, 2, 4, 16}; !reflect.DeepEqual(got, want) {
		t.Errorf("Batches = %v, want %v", got, want)
	}
	if got, err := Batches(nil); err != nil || len(got) != 0 {
		t.Errorf("Batches(nil) = %v, %v; want none and no error", got, err)
	}
	for _, bad := range [][]int{{0}, {4, -2}} {
		if _, err := Batches(bad); err == nil || !strings.Contains(err.Error(), "must be at least 1") {
			t.Errorf("Batches(%v): err %v, want one saying a batch size must be at least 1", bad, err)
		}
	}
}

func TestDeviceErrorWrapsBoth(t *testing.T) {
	cause := errors.New("no such library")
	err := DeviceError("timing", "cuda", cause)
	if !errors.Is(err, ErrDevice) || !errors.Is(err, cause) {
		t.Errorf("%v: want it to wrap ErrDevice and its cause", err)
	}
	if got, want := err.Error(), "timing: device unusable: cuda: no such library"; got != want {
		t.Errorf("message %q, want %q", got, want)
	}
	if got, want := DeviceError("memory", "", cause).Error(), "memory: device unusable: no such library"; got != want {
		t.Errorf("without a device: %q, want %q", got, want)
	}
}

func TestWorkerProblems(t *testing.T) {
	ok := Worker{Exe: "/bin/true", Session: onnxrt.Options{ProviderOptions: map[string]string{"device_id": "1"}}}
	if p := ok.Problems(); len(p) != 0 {
		t.Errorf("usable settings: %v", p)
	}
	if n, err := ok.GPU(); n != 1 || err != nil {
		t.Errorf("GPU() = %d, %v; want 1", n, err)
	}
	if n, err := (Worker{}).GPU(); n != 0 || err != nil {
		t.Errorf("no device_id: GPU() = %d, %v; want 0", n, err)
	}
	bad := Worker{Session: onnxrt.Options{IntraOpThreads: -1, ProviderOptions: map[string]string{"device_id": "first"}}}
	got := strings.Join(bad.Problems(), "; ")
	for _, want := range []string{"Config.Exe", `device_id "first"`, "thread counts"} {
		if !strings.Contains(got, want) {
			t.Errorf("problems %q do not mention %s", got, want)
		}
	}
	if _, err := bad.GPU(); err == nil {
		t.Error("GPU() accepted device_id first")
	}
}

// TestLibraryChecksTheProvider: the CUDA provider's libraries must be beside
// the runtime library; without them the error is the stage's device error.
func TestLibraryChecksTheProvider(t *testing.T) {
	dir := t.TempDir()
	lib := filepath.Join(dir, "libonnxruntime.so.1")
	if err := os.WriteFile(lib, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	w := Worker{LibPath: lib}
	if got, err := w.Library("timing", "cpu"); err != nil || got != lib {
		t.Errorf("cpu: %q, %v; want the given library", got, err)
	}
	w.Session.Provider = "cuda"
	_, err := w.Library("memory", "gpu0")
	if !errors.Is(err, ErrDevice) || !strings.HasPrefix(err.Error(), "memory: device unusable: gpu0: ") {
		t.Errorf("cuda without its libraries: %v; want a memory device error naming gpu0", err)
	}
	_, missing, err := Request{LibPath: lib, Session: w.Session}.Init()
	if !missing || err == nil {
		t.Errorf("worker prologue: missing %v, err %v; want the provider reported missing", missing, err)
	}
}

// TestRequestIsFlat: a stage's request that embeds Request keeps the
// common fields as top-level keys, the wire format workers read.
func TestRequestIsFlat(t *testing.T) {
	type stageRequest struct {
		Request
		Batch int `json:"batch"`
	}
	b, err := json.Marshal(stageRequest{Request: Request{Model: "m", Path: "m.onnx", LibPath: "lib.so"}, Batch: 4})
	if err != nil {
		t.Fatal(err)
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(b, &keys); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"model", "path", "lib_path", "session", "batch"} {
		if _, ok := keys[k]; !ok {
			t.Errorf("%s: no top-level key %q", b, k)
		}
	}
	if len(keys) != 5 {
		t.Errorf("%s: %d keys, want 5", b, len(keys))
	}
}

// TestInitLoadsTheRuntime: with the real library the prologue returns its version.
func TestInitLoadsTheRuntime(t *testing.T) {
	lib, err := onnxrt.Locate("")
	if err != nil {
		t.Fatalf("ONNX Runtime is needed for this test (run 'make setup'): %v", err)
	}
	version, missing, err := Request{LibPath: lib}.Init()
	if err != nil || missing || version == "" {
		t.Errorf("Init: version %q, missing %v, err %v", version, missing, err)
	}
}

func TestEnded(t *testing.T) {
	cases := []struct {
		werr         error
		status, want string
	}{
		{nil, Error, "no result"},
		{errors.New("worker exit status 3: boom"), Error, "worker exit status 3: boom"},
		{fmt.Errorf("worker %w: cannot allocate", childproc.ErrOutOfMemory), OOM, "cannot allocate"},
	}
	for _, c := range cases {
		status, msg := Ended(c.werr, "no result")
		if status != c.status || !strings.Contains(msg, c.want) {
			t.Errorf("Ended(%v) = %q, %q; want %q and a message with %q", c.werr, status, msg, c.status, c.want)
		}
	}
}

func TestSessionFailed(t *testing.T) {
	if status, msg := SessionFailed("Load model failed: bad graph"); status != Error || msg != "session: Load model failed: bad graph" {
		t.Errorf("bad model: %q, %q", status, msg)
	}
	if status, _ := SessionFailed("Failed to allocate memory for requested buffer of size 123"); status != OOM {
		t.Errorf("allocation failure: status %q, want %q", status, OOM)
	}
}

// TestPrepare: the parent's prologue orders the batch sizes, names stage
// and model on a bad one, looks for the library only when there is work,
// and always hands back a progress callback.
func TestPrepare(t *testing.T) {
	dir := t.TempDir()
	lib := filepath.Join(dir, "libonnxruntime.so.1")
	if err := os.WriteFile(lib, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	w := Worker{LibPath: lib, Session: onnxrt.Options{ProviderOptions: map[string]string{"device_id": "2"}}}
	var got []Progress
	p, err := w.Prepare("timing", "cpu", "m", []int{8, 1, 8, 2}, func(pr Progress) { got = append(got, pr) })
	if err != nil || !slices.Equal(p.Batches, []int{1, 2, 8}) || p.Lib != lib || p.GPU != 2 {
		t.Fatalf("Prepare = %+v, %v; want batches [1 2 8], the library, GPU 2", p, err)
	}
	p.Progress(Progress{Model: "m"})
	if len(got) != 1 || got[0].Model != "m" {
		t.Errorf("progress calls %+v; want the caller's callback", got)
	}
	if _, err := w.Prepare("memory", "cpu", "m", []int{4, 0}, nil); err == nil || err.Error() != "memory: m: batch size 0 must be at least 1" {
		t.Errorf("batch 0: %v; want an error naming stage and model", err)
	}
	w.Session.Provider = "cuda" // its libraries are not beside lib
	if _, err := w.Prepare("memory", "gpu0", "m", []int{1}, nil); !errors.Is(err, ErrDevice) {
		t.Errorf("cuda without its libraries: %v; want a device error", err)
	}
	p, err = w.Prepare("memory", "gpu0", "m", nil, nil)
	if err != nil || len(p.Batches) != 0 || p.Lib != "" || p.Progress == nil {
		t.Errorf("no batches: %+v, %v; want nothing to do, no library looked for, a callback", p, err)
	}
	p.Progress(Progress{}) // must not panic
}
