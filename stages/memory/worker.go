package memory

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"github.com/advancedclimatesystems/gonnx/onnx"
	"google.golang.org/protobuf/proto"

	"github.com/dnnbench/dnnbench/internal/childproc"
	"github.com/dnnbench/dnnbench/internal/headroom"
	"github.com/dnnbench/dnnbench/internal/onnxrt"
	"github.com/dnnbench/dnnbench/internal/sweep"
)

// Worker is the child side of a memory measurement: the pipeline's main
// calls it for "worker memory". It reads one request (one model, one batch
// size) from in and writes one result, failed or fatal event to out. It
// returns an error only when it cannot talk to its parent.
func Worker(ctx context.Context, in io.Reader, out io.Writer) error {
	return sweep.Serve(ctx, "memory", in, out, func(ctx context.Context, req request, enc *childproc.Encoder) error {
		return enc.Send(measure(ctx, req))
	})
}

func fatal(err error, device bool) event {
	return event{Kind: evFatal, Message: err.Error(), DeviceProblem: device}
}

// measure does the work of Worker and describes the outcome as an event.
func measure(ctx context.Context, req request) event {
	if _, _, err := req.Init(); err != nil {
		return fatal(err, true) // a library or provider that fails is the device's problem
	}
	s, err := OpenSampler(ctx, req.Sampler, req.GPU, req.IntervalMs)
	if err != nil {
		return fatal(err, true)
	}
	defer s.Close()
	opts := req.Session
	opts.ArenaGrowOnly = true
	var warnings []string
	if isGPU(req.Session.Provider) {
		// Create the GPU context with a throwaway one-op session first, so
		// the baseline holds the CUDA context and static is the model alone.
		closeCtx, err := warmContext(opts)
		if err != nil {
			return fatal(fmt.Errorf("creating the %s context: %w", req.Session.Provider, err), true)
		}
		defer closeCtx()
	}
	runtime.GC()
	debug.FreeOSMemory()
	trimHeap()
	baseline, err := s.Read()
	if err != nil {
		return fatal(err, true)
	}
	sess, err := onnxrt.NewSession(req.Path, opts)
	if err != nil {
		return fatal(err, onnxrt.IsProviderUnavailable(err))
	}
	defer sess.Close()
	// Loading parses the model file into buffers that are freed again;
	// give those pages back so static counts what the session keeps.
	debug.FreeOSMemory()
	trimHeap()
	static, err := s.Read()
	if err != nil {
		return fatal(err, true)
	}
	if r, ok := s.(interface{ ResetHighWater() error }); ok {
		if err := r.ResetHighWater(); err != nil {
			warnings = append(warnings, err.Error()+"; the peak may include model-loading buffers")
		}
	}
	if lim, ok := headroom.Available(); ok {
		if err := headroom.Check(fmt.Sprintf("the float32 input of batch %d", req.Batch), sess.InputBytes(req.Batch), lim); err != nil {
			return event{Kind: evFailed, OOM: true, Message: err.Error()}
		}
	}
	b, err := sess.NewBatch(req.Batch)
	if err != nil {
		return event{Kind: evFailed, OOM: onnxrt.IsOOM(err), Message: err.Error()}
	}
	defer b.Close()
	in := b.Input()
	for i := range in {
		in[i] = float32(i%255)/127.5 - 1
	}
	stop := make(chan struct{})
	type polled struct {
		peak, n int64
		err     error
	}
	done := make(chan polled, 1)
	go func() {
		p, n, err := poll(s, time.Duration(req.IntervalMs)*time.Millisecond, stop)
		done <- polled{p, n, err}
	}()
	var runErr error
	for i := 0; i < req.Runs && runErr == nil; i++ {
		runErr = b.Run()
	}
	close(stop)
	p := <-done
	if runErr != nil {
		return event{Kind: evFailed, OOM: onnxrt.IsOOM(runErr), Message: runErr.Error()}
	}
	if p.err != nil {
		return fatal(p.err, true)
	}
	peak := max(p.peak, static)
	if hwm, ok, err := s.HighWater(); err != nil {
		return fatal(err, true)
	} else if ok {
		peak = max(peak, hwm)
	}
	if req.Sampler == SamplerTegrastats {
		warnings = append(warnings, "tegrastats reports system-wide shared RAM: other processes' changes are included")
	}
	if p.n < 3 {
		warnings = append(warnings, fmt.Sprintf("only %d readings during inference; the peak may be missed", p.n))
	}
	return event{Kind: evResult, Baseline: baseline, Static: static, Peak: peak, Samples: p.n, Warnings: warnings}
}

func isGPU(provider string) bool {
	p := strings.ToLower(provider)
	return p == "cuda" || p == "tensorrt"
}

// warmContext creates a session of a one-node Identity model on the
// provider and returns a function that closes it.
func warmContext(opts onnxrt.Options) (func(), error) {
	dir, err := os.MkdirTemp("", "dnnbench-ctx-")
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dir, "identity.onnx")
	b, err := identityModel()
	if err == nil {
		err = os.WriteFile(path, b, 0o600)
	}
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	sess, err := onnxrt.NewSession(path, opts)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return func() { sess.Close(); os.RemoveAll(dir) }, nil
}

// identityModel is a float32 Identity on a 1×1 tensor.
func identityModel() ([]byte, error) {
	vi := func(name string) *onnx.ValueInfoProto {
		dim := &onnx.TensorShapeProto_Dimension{Value: &onnx.TensorShapeProto_Dimension_DimValue{DimValue: 1}}
		return &onnx.ValueInfoProto{Name: name, Type: &onnx.TypeProto{Value: &onnx.TypeProto_TensorType{TensorType: &onnx.TypeProto_Tensor{
			ElemType: int32(onnx.TensorProto_FLOAT), Shape: &onnx.TensorShapeProto{Dim: []*onnx.TensorShapeProto_Dimension{dim, dim}}}}}}
	}
	return proto.Marshal(&onnx.ModelProto{
		IrVersion: 8, OpsetImport: []*onnx.OperatorSetIdProto{{Version: 18}}, ProducerName: "dnnbench-memory",
		Graph: &onnx.GraphProto{Name: "identity", Input: []*onnx.ValueInfoProto{vi("input")}, Output: []*onnx.ValueInfoProto{vi("output")},
			Node: []*onnx.NodeProto{{OpType: "Identity", Input: []string{"input"}, Output: []string{"output"}}}},
	})
}
