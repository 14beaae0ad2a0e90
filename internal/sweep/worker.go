package sweep

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"

	"github.com/dnnbench/dnnbench/internal/childproc"
	"github.com/dnnbench/dnnbench/internal/onnxrt"
)

// ErrDevice wraps errors that come from the device (a missing execution
// provider, library or sampler), not from one model: the pipeline should
// stop. DeviceError builds them.
var ErrDevice = errors.New("device unusable")

// DeviceError wraps err from stage ("timing", "memory") on the named device
// (which may be "") as ErrDevice.
func DeviceError(stage, device string, err error) error {
	if device == "" {
		return fmt.Errorf("%s: %w: %w", stage, ErrDevice, err)
	}
	return fmt.Errorf("%s: %w: %s: %w", stage, ErrDevice, device, err)
}

// Worker is how a stage runs its child processes: the executable, its
// environment and the ONNX Runtime session they open. The pipeline fills it
// from the device profile; a stage's Config embeds it.
type Worker struct {
	// Exe is the executable to re-execute as the worker with args
	// "worker STAGE" (the pipeline binary; tests pass the test binary).
	Exe string
	// Env is extra environment for the child, as "KEY=value".
	Env []string
	// Hold are open files the child inherits and keeps open while it lives:
	// the pipeline passes its cache lock, so that a worker left running
	// keeps the cache locked.
	Hold []*os.File
	// LibPath is the ONNX Runtime shared library; "" finds it with onnxrt.Locate.
	LibPath string
	// Session is the execution provider, its options, thread counts and
	// graph optimisation level, from the device profile; provider option
	// "device_id" is the GPU (default 0).
	Session onnxrt.Options
}

// Problems lists what is wrong with the worker settings, as phrases for a
// stage's config error; it is empty when they are usable.
func (w Worker) Problems() []string {
	var errs []string
	if w.Exe == "" {
		errs = append(errs, "no worker executable (Config.Exe)")
	}
	if _, err := w.GPU(); err != nil {
		errs = append(errs, err.Error())
	}
	if w.Session.IntraOpThreads < 0 || w.Session.InterOpThreads < 0 {
		errs = append(errs, "thread counts must be ≥ 0")
	}
	return errs
}

// GPU is provider option device_id, 0 when absent.
func (w Worker) GPU() (int, error) {
	v, ok := w.Session.ProviderOptions["device_id"]
	if !ok {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("provider option device_id %q must be a GPU index ≥ 0", v)
	}
	return n, nil
}

// Library is the parent's check before a child starts: it finds the ONNX
// Runtime library (LibPath, or onnxrt.Locate) and checks that the execution
// provider's libraries are beside it. Its errors wrap ErrDevice, in the
// name of stage and device.
func (w Worker) Library(stage, device string) (string, error) {
	lib := w.LibPath
	if lib == "" {
		var err error
		if lib, err = onnxrt.Locate(""); err != nil {
			return "", DeviceError(stage, "", err)
		}
	}
	if err := onnxrt.CheckProvider(lib, w.Session.Provider); err != nil {
		return "", DeviceError(stage, device, err)
	}
	return lib, nil
}

// Prepared is what Prepare resolved for one model's sweep.
type Prepared struct {
	// Batches are the distinct batch sizes to measure, ascending; empty
	// when none were asked for.
	Batches []int
	// Lib is the ONNX Runtime library the workers load; "" when Batches is
	// empty.
	Lib string
	// GPU is provider option device_id (see GPU); 0 when it is invalid,
	// which the stage's config validation reports.
	GPU int
	// Progress is the caller's progress callback, or one that does nothing.
	Progress func(Progress)
}

// Prepare is the parent's prologue of stage's sweep of model on device: it
// orders batches (Batches) and, when any are left, finds the runtime
// library (Library). A bad batch size errors naming stage and model; a
// library error wraps ErrDevice.
func (w Worker) Prepare(stage, device, model string, batches []int, progress func(Progress)) (Prepared, error) {
	bs, err := Batches(batches)
	if err != nil {
		return Prepared{}, fmt.Errorf("%s: %s: %w", stage, model, err)
	}
	if progress == nil {
		progress = func(Progress) {}
	}
	p := Prepared{Batches: bs, Progress: progress}
	if len(bs) == 0 {
		return p, nil
	}
	if p.Lib, err = w.Library(stage, device); err != nil {
		return Prepared{}, err
	}
	p.GPU, _ = w.GPU()
	return p, nil
}

// Start starts a worker process for stage: Exe with args "worker STAGE",
// Env added to its environment, Hold inherited, and req (a stage's request,
// embedding Request) on its stdin.
func (w Worker) Start(ctx context.Context, stage string, req any) (*childproc.Child, error) {
	return childproc.Start(ctx, w.Exe, []string{"worker", stage}, w.Env, req, w.Hold...)
}

// Ended is the status and message of a batch size whose worker ended
// before reporting it: werr is what the worker's Wait returned and ifClean
// the message when it exited cleanly. A worker that ran out of memory gives
// OOM; any other end gives Error.
func Ended(werr error, ifClean string) (status, msg string) {
	switch {
	case werr == nil:
		return Error, ifClean
	case errors.Is(werr, childproc.ErrOutOfMemory):
		return OOM, werr.Error()
	}
	return Error, werr.Error()
}

// SessionFailed is the status and message of a batch size whose worker
// could not create its session and said why in msg: OOM when the runtime
// ran out of memory, Error otherwise.
func SessionFailed(msg string) (status, message string) {
	if onnxrt.IsOOM(errors.New(msg)) {
		return OOM, "session: " + msg
	}
	return Error, "session: " + msg
}

// Request is the part of a worker's request that every stage sends: the
// model and the session to open it in. A stage's request embeds it, so its
// fields are top-level keys of the JSON line.
type Request struct {
	Model   string         `json:"model"`
	Path    string         `json:"path"`
	LibPath string         `json:"lib_path"`
	Session onnxrt.Options `json:"session"`
}

// Serve is the worker's main for stage: it reads the one request on in
// into a Req (a stage's request, embedding Request; unknown fields are
// errors) and hands it to work with the encoder of the events work writes
// on out. Its error is the request's or work's; a worker errs only when it
// cannot talk to its parent.
func Serve[Req any](ctx context.Context, stage string, in io.Reader, out io.Writer, work func(context.Context, Req, *childproc.Encoder) error) error {
	var req Req
	if err := childproc.ReadRequest(in, &req); err != nil {
		return fmt.Errorf("%s: worker: %w", stage, err)
	}
	return work(ctx, req, childproc.NewEncoder(out))
}

// Init is the worker's prologue once Serve has its request: it checks that
// the execution provider's libraries are beside the ONNX Runtime library,
// then initialises the runtime and returns its version. missing is true
// when the provider check failed (the device's fault, not the model's).
func (r Request) Init() (version string, missing bool, err error) {
	if err := onnxrt.CheckProvider(r.LibPath, r.Session.Provider); err != nil {
		return "", true, err
	}
	version, err = onnxrt.Init(r.LibPath)
	return version, false, err
}

// Batches returns the distinct batch sizes in ascending order: the order
// a sweep measures them in, so that a failure skips the larger ones.
func Batches(batches []int) ([]int, error) {
	seen := map[int]bool{}
	var out []int
	for _, b := range batches {
		if b < 1 {
			return nil, fmt.Errorf("batch size %d must be at least 1", b)
		}
		if !seen[b] {
			seen[b] = true
			out = append(out, b)
		}
	}
	sort.Ints(out)
	return out, nil
}
