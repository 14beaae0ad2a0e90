package onnxrt

import (
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/dnnbench/dnnbench/internal/onnxgraph"
	ort "github.com/yalue/onnxruntime_go"
)

// env guards the process-wide ONNX Runtime environment, which the C library
// holds once per process whatever Go does.
var env struct {
	sync.Mutex
	lib         string
	version     string
	envArenaSet bool
}

// Init loads the library at libPath once per process and returns the
// runtime's version. Later calls with the same path are no-ops; a different
// path is an error.
func Init(libPath string) (string, error) {
	env.Lock()
	defer env.Unlock()
	if env.lib != "" {
		if env.lib != libPath {
			return "", fmt.Errorf("onnxrt: already initialised with %s, cannot switch to %s", env.lib, libPath)
		}
		return env.version, nil
	}
	ort.SetSharedLibraryPath(libPath)
	if err := ort.InitializeEnvironment(ort.WithLogLevelError()); err != nil {
		return "", fmt.Errorf("onnxrt: loading %s: %w", libPath, err)
	}
	env.lib = libPath
	env.version = ort.GetVersion()
	return env.version, nil
}

// Options configure a session.
type Options struct {
	// Provider is "cpu" (default), "cuda" or "tensorrt".
	Provider string `json:"provider"`
	// ProviderOptions are passed to the execution provider as key/value pairs.
	ProviderOptions map[string]string `json:"provider_options,omitempty"`
	// IntraOpThreads and InterOpThreads are thread counts; 0 lets the runtime decide.
	IntraOpThreads int `json:"intra_op_threads"`
	InterOpThreads int `json:"inter_op_threads"`
	// GraphOptimization is "all" (default), "extended", "basic" or "disabled".
	GraphOptimization string `json:"graph_optimization"`
	// ArenaGrowOnly makes the CPU arena (and the CUDA arena) extend by exactly
	// the requested size (kSameAsRequested), so memory readings track need.
	ArenaGrowOnly bool `json:"arena_grow_only"`
	// DisableCPUArena turns the CPU memory arena off.
	DisableCPUArena bool `json:"disable_cpu_arena"`
}

// Session is one model loaded for inference on its first input and first output.
type Session struct {
	s        *ort.DynamicAdvancedSession
	in, out  string
	inShape  []int64
	outShape []int64
}

// NewSession loads the model at path. Its first input and output are read
// from the file without loading the weights, so the runtime builds the
// session exactly once: session creation time is what a deployment pays.
// The runtime must be initialised with Init.
func NewSession(path string, opt Options) (*Session, error) {
	if !ort.IsInitialized() {
		return nil, errors.New("onnxrt: runtime not initialised; call onnxrt.Init first")
	}
	in, out, err := firstIO(path)
	if err != nil {
		return nil, err
	}
	so, err := sessionOptions(opt)
	if err != nil {
		return nil, err
	}
	defer so.Destroy()
	s, err := ort.NewDynamicAdvancedSession(path, []string{in.Name}, []string{out.Name}, so)
	if err != nil {
		return nil, fmt.Errorf("onnxrt: %s: %w", path, err)
	}
	return &Session{s: s, in: in.Name, out: out.Name, inShape: in.Shape, outShape: out.Shape}, nil
}

// firstIO reads the first graph input that is not an initializer and the
// first output; both must be float32 tensors with a shape.
func firstIO(path string) (in, out onnxgraph.Value, err error) {
	ins, outs, err := onnxgraph.IO(path)
	if err != nil {
		return in, out, fmt.Errorf("onnxrt: %s: %w", path, err)
	}
	if len(ins) == 0 || len(outs) == 0 {
		return in, out, fmt.Errorf("onnxrt: %s: model has no inputs or outputs", path)
	}
	for _, v := range []onnxgraph.Value{ins[0], outs[0]} {
		if v.ElemType != 1 {
			return in, out, fmt.Errorf("onnxrt: %s: %q must be a float32 tensor (element type %d)", path, v.Name, v.ElemType)
		}
		if v.Shape == nil {
			return in, out, fmt.Errorf("onnxrt: %s: %q has no shape", path, v.Name)
		}
	}
	return ins[0], outs[0], nil
}

func sessionOptions(opt Options) (*ort.SessionOptions, error) {
	so, err := ort.NewSessionOptions()
	if err != nil {
		return nil, fmt.Errorf("onnxrt: %w", err)
	}
	fail := func(err error) (*ort.SessionOptions, error) {
		so.Destroy()
		return nil, fmt.Errorf("onnxrt: %w", err)
	}
	if opt.IntraOpThreads > 0 {
		if err := so.SetIntraOpNumThreads(opt.IntraOpThreads); err != nil {
			return fail(err)
		}
	}
	if opt.InterOpThreads > 0 {
		if err := so.SetInterOpNumThreads(opt.InterOpThreads); err != nil {
			return fail(err)
		}
	}
	level, err := optLevel(opt.GraphOptimization)
	if err != nil {
		return fail(err)
	}
	if err := so.SetGraphOptimizationLevel(level); err != nil {
		return fail(err)
	}
	if opt.DisableCPUArena {
		if err := so.SetCpuMemArena(false); err != nil {
			return fail(err)
		}
	}
	if opt.ArenaGrowOnly && !opt.DisableCPUArena {
		if err := growOnlyCPUArena(); err != nil {
			return fail(err)
		}
		if err := so.AddSessionConfigEntry("session.use_env_allocators", "1"); err != nil {
			return fail(err)
		}
	}
	switch p := strings.ToLower(opt.Provider); p {
	case "", "cpu":
	case "cuda":
		cuda, err := ort.NewCUDAProviderOptions()
		if err != nil {
			return fail(fmt.Errorf("CUDA execution provider unavailable (install the GPU build of ONNX Runtime %s and set ONNXRUNTIME_LIB): %w", Version, err))
		}
		defer cuda.Destroy()
		po := copyMap(opt.ProviderOptions)
		if opt.ArenaGrowOnly {
			po["arena_extend_strategy"] = "kSameAsRequested"
		}
		if err := cuda.Update(po); err != nil {
			return fail(fmt.Errorf("CUDA execution provider options: %w (%s)", err, ProviderHint("cuda")))
		}
		if err := so.AppendExecutionProviderCUDA(cuda); err != nil {
			return fail(fmt.Errorf("CUDA execution provider unavailable (install the GPU build of ONNX Runtime %s with CUDA 12 and cuDNN 9, and set ONNXRUNTIME_LIB): %w", Version, err))
		}
	case "tensorrt":
		trt, err := ort.NewTensorRTProviderOptions()
		if err != nil {
			return fail(fmt.Errorf("TensorRT execution provider unavailable (install the GPU build of ONNX Runtime %s with TensorRT, and set ONNXRUNTIME_LIB): %w", Version, err))
		}
		defer trt.Destroy()
		if err := trt.Update(copyMap(opt.ProviderOptions)); err != nil {
			return fail(fmt.Errorf("TensorRT execution provider options: %w (%s)", err, ProviderHint("tensorrt")))
		}
		if err := so.AppendExecutionProviderTensorRT(trt); err != nil {
			return fail(fmt.Errorf("TensorRT execution provider unavailable (install the GPU build of ONNX Runtime %s with TensorRT, and set ONNXRUNTIME_LIB): %w", Version, err))
		}
	default:
		return fail(fmt.Errorf("unknown execution provider %q (want cpu, cuda or tensorrt)", opt.Provider))
	}
	return so, nil
}

func copyMap(m map[string]string) map[string]string {
	out := make(map[string]string, len(m)+1)
	for k, v := range m {
		out[k] = v
	}
	return out
}

// growOnlyCPUArena registers, once per process, a CPU arena that extends by
// the requested size; sessions opt in with session.use_env_allocators.
func growOnlyCPUArena() error {
	env.Lock()
	defer env.Unlock()
	if env.envArenaSet {
		return nil
	}
	mi, err := ort.GetMemoryInfo()
	if err != nil {
		return err
	}
	cfg, err := ort.NewArenaCfg(0, 1, -1, -1)
	if err != nil {
		return err
	}
	defer cfg.Destroy()
	if err := ort.CreateAndRegisterAllocator(mi, cfg); err != nil {
		return err
	}
	env.envArenaSet = true
	return nil
}

func optLevel(s string) (ort.GraphOptimizationLevel, error) {
	switch strings.ToLower(s) {
	case "", "all":
		return ort.GraphOptimizationLevelEnableAll, nil
	case "extended":
		return ort.GraphOptimizationLevelEnableExtended, nil
	case "basic":
		return ort.GraphOptimizationLevelEnableBasic, nil
	case "disabled", "none":
		return ort.GraphOptimizationLevelDisableAll, nil
	}
	return 0, fmt.Errorf("unknown graph optimisation level %q (want all, extended, basic or disabled)", s)
}

// InputShape is the model's first input shape; dynamic dims are -1.
func (s *Session) InputShape() []int64 { return append([]int64(nil), s.inShape...) }

// OutputShape is the model's first output shape; dynamic dims are -1.
func (s *Session) OutputShape() []int64 { return append([]int64(nil), s.outShape...) }

// Close releases the session.
func (s *Session) Close() error { return s.s.Destroy() }

// Batch holds pre-allocated input and output tensors for one batch size.
type Batch struct {
	s   *Session
	in  *ort.Tensor[float32]
	out *ort.Tensor[float32]
}

// NewBatch allocates tensors for n images. Dynamic input dims other than the
// batch are an error; the output shape comes from the first run when it is
// not fully known in advance.
func (s *Session) NewBatch(n int) (*Batch, error) {
	if n < 1 {
		return nil, fmt.Errorf("onnxrt: batch size %d must be at least 1", n)
	}
	if len(s.inShape) > 0 && s.inShape[0] > 0 && s.inShape[0] != int64(n) {
		return nil, fmt.Errorf("onnxrt: input %q has its batch dimension fixed to %d (shape %v), so batch %d cannot run; use batch_sizes: [%d] or export the model with a dynamic batch dimension",
			s.in, s.inShape[0], s.inShape, n, s.inShape[0])
	}
	inShape, ok := fix(s.inShape, n)
	if !ok {
		return nil, fmt.Errorf("onnxrt: input %q has dynamic dims other than the batch: %v; export the model with a fixed input size", s.in, s.inShape)
	}
	in, err := ort.NewEmptyTensor[float32](ort.NewShape(inShape...))
	if err != nil {
		return nil, fmt.Errorf("onnxrt: allocating input of shape %v: %w", inShape, err)
	}
	b := &Batch{s: s, in: in}
	if outShape, ok := fix(s.outShape, n); ok {
		out, err := ort.NewEmptyTensor[float32](ort.NewShape(outShape...))
		if err != nil {
			in.Destroy()
			return nil, fmt.Errorf("onnxrt: allocating output of shape %v: %w", outShape, err)
		}
		b.out = out
	}
	return b, nil
}

// fix replaces a leading dynamic dim by n; ok is false if other dims are dynamic.
func fix(shape []int64, n int) ([]int64, bool) {
	out := append([]int64(nil), shape...)
	for i, d := range out {
		if d >= 0 {
			continue
		}
		if i != 0 {
			return nil, false
		}
		out[i] = int64(n)
	}
	if len(out) > 0 && shape[0] > 0 && shape[0] != int64(n) {
		return nil, false
	}
	return out, true
}

// InputBytes is the size of the float32 input for n images, counting a
// dynamic dim other than the batch as 1 (NewBatch refuses those anyway).
func (s *Session) InputBytes(n int) int64 {
	size := int64(4)
	for i, d := range s.inShape {
		switch {
		case i == 0 && d < 0:
			d = int64(n)
		case d < 1:
			d = 1
		}
		size *= d
	}
	return size
}

// Input is the input buffer, N×C×H×W, to fill before Run.
func (b *Batch) Input() []float32 { return b.in.GetData() }

// Output is the output buffer after Run (nil before the first Run when the
// output shape was not known in advance).
func (b *Batch) Output() []float32 {
	if b.out == nil {
		return nil
	}
	return b.out.GetData()
}

// Run runs the model once on the input buffer.
func (b *Batch) Run() error {
	if b.out != nil {
		return b.s.s.Run([]ort.Value{b.in}, []ort.Value{b.out})
	}
	outs := []ort.Value{nil}
	if err := b.s.s.Run([]ort.Value{b.in}, outs); err != nil {
		return err
	}
	t, ok := outs[0].(*ort.Tensor[float32])
	if !ok {
		outs[0].Destroy()
		return errors.New("onnxrt: output is not a float32 tensor")
	}
	b.out = t
	return nil
}

// Close releases the tensors.
func (b *Batch) Close() error {
	err := b.in.Destroy()
	if b.out != nil {
		if e := b.out.Destroy(); err == nil {
			err = e
		}
	}
	return err
}

// IsOOM reports whether err is an out-of-memory failure from any provider.
func IsOOM(err error) bool {
	if err == nil {
		return false
	}
	s := strings.ToLower(err.Error())
	for _, m := range []string{"out of memory", "bad_alloc", "failed to allocate", "cudaerrormemoryallocation", "cuda_error_out_of_memory", "insufficient memory"} {
		if strings.Contains(s, m) {
			return true
		}
	}
	return false
}
