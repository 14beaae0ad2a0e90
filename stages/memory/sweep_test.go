package memory

import (
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/dnnbench/dnnbench/internal/nvidia"
	"github.com/dnnbench/dnnbench/internal/onnxrt"
	"github.com/dnnbench/dnnbench/internal/sweep"
	"github.com/dnnbench/dnnbench/internal/testmodel"
	"github.com/dnnbench/dnnbench/stages/models/zoo"
)

// collect runs a sweep and returns the rows it gave its Checkpoint, after
// checking that they are the result's rows, and its progress reports.
func collect(t *testing.T, cfg Config, m Model, batches []int) ([]Row, []sweep.Progress, error) {
	t.Helper()
	var rows []Row
	var prog []sweep.Progress
	res, err := Run(context.Background(), cfg, Inputs{
		Inputs:     sweep.Inputs[Model]{Model: m, Batches: batches, Progress: func(p sweep.Progress) { prog = append(prog, p) }},
		Checkpoint: func(r Row) error { rows = append(rows, r); return nil }})
	if err != nil {
		if res != nil {
			t.Errorf("Run returned a result with its error %v", err)
		}
		return rows, prog, err
	}
	if !reflect.DeepEqual(res.Rows, rows) {
		t.Errorf("result rows %s differ from the checkpointed rows %s", rowStatuses(res.Rows), rowStatuses(rows))
	}
	return rows, prog, nil
}

func rowStatuses(rows []Row) string {
	var s []string
	for _, r := range rows {
		s = append(s, strconv.FormatInt(r.Batch, 10)+":"+r.Status)
	}
	return strings.Join(s, " ")
}

// checkSane asserts the memory sanity rules on ok rows.
func checkSane(t *testing.T, rows []Row, weightBytes int64) {
	t.Helper()
	for _, r := range rows {
		if r.Status != sweep.OK {
			t.Fatalf("batch %d: %s: %s", r.Batch, r.Status, r.Error)
		}
		if r.StaticBytes < weightBytes*9/10 {
			t.Errorf("batch %d: static %d bytes < 0.9 × weights %d", r.Batch, r.StaticBytes, weightBytes)
		}
		if r.PeakBytes < r.StaticBytes {
			t.Errorf("batch %d: peak %d < static %d", r.Batch, r.PeakBytes, r.StaticBytes)
		}
		if r.BaselineBytes <= 0 || r.Samples < 1 || !r.ArenaGrowOnly || r.Sampler != SamplerProc {
			t.Errorf("batch %d: baseline %d, %d samples, arena grow-only %v, sampler %q", r.Batch, r.BaselineBytes, r.Samples, r.ArenaGrowOnly, r.Sampler)
		}
	}
}

func TestSweepSmallModel(t *testing.T) {
	spec := testmodel.Spec{Size: 64, Hidden: 2048} // 8.2 MB of weights
	cfg := testConfig(t)
	rows, prog, err := collect(t, cfg, Model{Name: "small", Path: writeModel(t, spec)}, []int{64, 1})
	if err != nil {
		t.Fatal(err)
	}
	if got := rowStatuses(rows); got != "1:ok 64:ok" {
		t.Fatalf("statuses %q", got)
	}
	checkSane(t, rows, spec.WeightBytes())
	// 64 inputs of 3×64×64 floats are 3 MiB more than one.
	if d := rows[1].PeakBytes - rows[0].PeakBytes; d < 2<<20 {
		t.Errorf("peak grew by %d bytes from batch 1 to 64, want ≥ 2 MiB", d)
	}
	if last := prog[len(prog)-1]; last.Done != 2 || last.Total != 2 {
		t.Errorf("final progress %+v", last)
	}
}

func TestSweepOOMThenSkipped(t *testing.T) {
	cfg := testConfig(t)
	m := Model{Name: "hugeabove2", Path: writeModel(t, testmodel.Spec{Fail: testmodel.HugeAllocation, Limit: 2})}
	rows, _, err := collect(t, cfg, m, []int{1, 4, 8})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := rowStatuses(rows), "1:ok 4:oom 8:skipped"; got != want {
		t.Fatalf("statuses %q, want %q", got, want)
	}
	if !strings.Contains(rows[1].Error, "allocate") || !strings.Contains(rows[2].Error, "batch 4") {
		t.Errorf("messages %q / %q", rows[1].Error, rows[2].Error)
	}
}

// TestSweepGoOutOfMemoryIsOOM: a worker that dies in the Go allocator gives
// an "oom" row with the one line that says so.
func TestSweepGoOutOfMemoryIsOOM(t *testing.T) {
	cfg := testConfig(t, envOOMAt+"=4")
	m := Model{Name: "tiny", Path: writeModel(t, testmodel.Spec{})}
	res, err := Run(context.Background(), cfg, Inputs{Inputs: sweep.Inputs[Model]{Model: m, Batches: []int{1, 4, 8}}})
	if err != nil {
		t.Fatal(err)
	}
	rows := res.Rows
	if len(rows) != 3 || rows[0].Status != "ok" || rows[1].Status != "oom" || rows[2].Status != "skipped" {
		t.Fatalf("rows %+v, want ok, oom, skipped", rows)
	}
	if want := "worker ran out of memory: runtime: out of memory: cannot allocate 4932501504-byte block (3932160 in use)"; rows[1].Error != want {
		t.Errorf("oom message %q, want %q", rows[1].Error, want)
	}
}

func TestSweepErrorThenSkipped(t *testing.T) {
	cfg := testConfig(t)
	m := Model{Name: "failsabove4", Path: writeModel(t, testmodel.Spec{Fail: testmodel.GatherOutOfRange, Limit: 4})}
	rows, _, err := collect(t, cfg, m, []int{4, 8, 16})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := rowStatuses(rows), "4:ok 8:error 16:skipped"; got != want {
		t.Fatalf("statuses %q, want %q", got, want)
	}
}

func TestSweepChildCrash(t *testing.T) {
	cfg := testConfig(t, envCrashAt+"=2")
	m := Model{Name: "tiny", Path: writeModel(t, testmodel.Spec{})}
	rows, _, err := collect(t, cfg, m, []int{1, 2, 4})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := rowStatuses(rows), "1:ok 2:error 4:skipped"; got != want {
		t.Fatalf("statuses %q, want %q", got, want)
	}
	for _, want := range []string{"exited with status 3", "simulated crash in the runtime"} {
		if !strings.Contains(rows[1].Error, want) {
			t.Errorf("crash message %q lacks %q", rows[1].Error, want)
		}
	}
}

// cudaBuild reports whether the ONNX Runtime library at lib has the CUDA
// provider's libraries (a GPU build). A GPU build needs an NVIDIA GPU to
// run CUDA for real; where the driver is absent the test skips, saying so.
func cudaBuild(t *testing.T, lib string) bool {
	t.Helper()
	if onnxrt.CheckProvider(lib, "cuda") != nil {
		return false
	}
	l, err := nvidia.Open()
	if err != nil {
		t.Skipf("ONNX Runtime at %s has the CUDA provider, but running it needs an NVIDIA GPU: %v", lib, err)
	}
	l.Close()
	return true
}

// TestSweepCUDA: on a CPU build of ONNX Runtime, CUDA with the nvml sampler
// is a device error naming the GPU build; on a GPU build with a GPU, the
// sweep measures GPU memory: a session holds some, and the peak is at
// least the static figure.
func TestSweepCUDA(t *testing.T) {
	m := Model{Name: "tiny", Path: writeModel(t, testmodel.Spec{})}
	cfg := testConfig(t)
	cfg.Session.Provider, cfg.Device, cfg.Sampler = "cuda", "cuda", SamplerNVML
	gpu := cudaBuild(t, cfg.LibPath)
	rows, _, err := collect(t, cfg, m, []int{1})
	if gpu {
		if err != nil || len(rows) != 1 || rows[0].Status != "ok" || rows[0].StaticBytes <= 0 || rows[0].PeakBytes < rows[0].StaticBytes {
			t.Fatalf("cuda on a GPU: err %v, rows %+v", err, rows)
		}
		return
	}
	if !errors.Is(err, sweep.ErrDevice) || !strings.Contains(err.Error(), "GPU build of ONNX Runtime") || len(rows) != 0 {
		t.Errorf("cuda on a CPU build: err %v, %d rows", err, len(rows))
	}
}

func TestSweepDeviceErrors(t *testing.T) {
	m := Model{Name: "tiny", Path: writeModel(t, testmodel.Spec{})}
	cfg := testConfig(t)
	cfg.Sampler, cfg.Device = SamplerTegrastats, "jetson"
	cfg.Env = append(cfg.Env, "PATH="+t.TempDir()) // no tegrastats here
	rows, _, err := collect(t, cfg, m, []int{1})
	if !errors.Is(err, sweep.ErrDevice) || !strings.Contains(err.Error(), "tegrastats") || len(rows) != 0 {
		t.Errorf("tegrastats missing: err %v, %d rows", err, len(rows))
	}
	cfg = testConfig(t)
	cfg.IntervalMs = 50
	if _, _, err := collect(t, cfg, m, []int{1}); err == nil || !strings.Contains(err.Error(), "100 Hz") {
		t.Errorf("20 Hz sampling: err %v", err)
	}
}

// TestMemoryResNet50 is the sanity check on a real network: static
// ≥ 0.9 × weight bytes, peak ≥ static, and peak at batch 16 > batch 1.
func TestMemoryResNet50(t *testing.T) {
	if testing.Short() {
		t.Log("short mode: ResNet-50 runs with batch 1 and 2 only")
	}
	path := filepath.Join(t.TempDir(), "resnet50.onnx")
	info, err := zoo.Build("resnet50", path, zoo.DefaultSeed)
	if err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(t)
	cfg.Session.IntraOpThreads = 0
	cfg.Runs = 1
	big := 16
	if testing.Short() {
		big = 2
	}
	rows, _, err := collect(t, cfg, Model{Name: "resnet50", Path: path}, []int{1, big})
	if err != nil {
		t.Fatal(err)
	}
	checkSane(t, rows, 4*info.Params)
	if rows[1].PeakBytes <= rows[0].PeakBytes {
		t.Errorf("peak at batch %d (%d) not above batch 1 (%d)", big, rows[1].PeakBytes, rows[0].PeakBytes)
	}
	for _, r := range rows {
		t.Logf("resnet50 batch %d: baseline %.1f MiB, static %.1f MiB, peak %.1f MiB (weights %.1f MiB), %d samples",
			r.Batch, mib(r.BaselineBytes), mib(r.StaticBytes), mib(r.PeakBytes), mib(4*info.Params), r.Samples)
	}
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }

// TestWarmContext runs the GPU context warm-up: its one-node model must
// load on the CPU provider; on CUDA it must be refused by a CPU build of
// ONNX Runtime and succeed on a GPU build with a GPU.
func TestWarmContext(t *testing.T) {
	cfg := testConfig(t)
	if _, err := onnxrt.Init(cfg.LibPath); err != nil {
		t.Fatal(err)
	}
	closeCtx, err := warmContext(onnxrt.Options{Provider: "cpu"})
	if err != nil {
		t.Fatal(err)
	}
	closeCtx()
	gpu := cudaBuild(t, cfg.LibPath)
	closeCtx, err = warmContext(onnxrt.Options{Provider: "cuda"})
	switch {
	case gpu && err != nil:
		t.Errorf("CUDA warm-up on a GPU: %v", err)
	case gpu:
		closeCtx()
	case err == nil:
		closeCtx()
		t.Error("a CUDA warm-up on a CPU build of ONNX Runtime succeeded")
	}
}
