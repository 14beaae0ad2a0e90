package accuracy

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"runtime"
	"strconv"

	"github.com/dnnbench/dnnbench/internal/config"
)

// Limits are the machine resources the stage's settings must fit in.
type Limits struct {
	// MemAvailable is the memory available to new work, in bytes; 0 reads
	// MemAvailable from /proc/meminfo (where there is none, memory is not bounded).
	MemAvailable int64
	// Cores is the number of cores; 0 means runtime.NumCPU().
	Cores int
}

// WorkersPerCore bounds Config.Workers, as the config does.
const WorkersPerCore = config.WorkersPerCore

// memShare is the part of the available memory a batch may take (buffers
// and the network's activations); the rest is left to the weights, ONNX
// Runtime's arena slack and the system.
const memShare = 2

// resolve fills the zero fields from the machine.
func (l Limits) resolve() Limits {
	if l.Cores <= 0 {
		l.Cores = runtime.NumCPU()
	}
	if l.MemAvailable <= 0 {
		if b, err := os.ReadFile("/proc/meminfo"); err == nil {
			l.MemAvailable = memAvailable(b)
		}
	}
	return l
}

// memAvailable parses the MemAvailable line of /proc/meminfo, in bytes; 0 if absent.
func memAvailable(meminfo []byte) int64 {
	sc := bufio.NewScanner(bytes.NewReader(meminfo))
	for sc.Scan() {
		f := bytes.Fields(sc.Bytes())
		if len(f) >= 2 && string(f[0]) == "MemAvailable:" {
			kb, err := strconv.ParseInt(string(f[1]), 10, 64)
			if err != nil {
				return 0
			}
			return kb * 1024
		}
	}
	return 0
}

// checkWorkers returns the number of decoding workers for n images: the
// configured number (0 = one per core) capped at n, or an error when the
// configured number is past WorkersPerCore per core.
func checkWorkers(workers, n int, lim Limits) (int, error) {
	most := WorkersPerCore * lim.Cores
	if workers > most {
		return 0, fmt.Errorf("accuracy: workers %d is more than %d per core × %d cores = %d; set accuracy.workers to at most %d (0 = one per core)",
			workers, WorkersPerCore, lim.Cores, most, most)
	}
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	return max(1, min(workers, n)), nil
}

// batchNeed describes what one batch of inputs costs in memory.
type batchNeed struct {
	// width and height are the input's size in pixels; nout the outputs
	// per input; workers the decoding workers; crops the crops per image
	// (1 or 10).
	width, height, nout, workers, crops int
	// activation is ONNX Runtime's intermediate tensors per input, in bytes
	// (the flops stage's peak estimate at batch 1); 0 when unknown.
	activation int64
	// nhwc is true when the input is laid out N×H×W×C.
	nhwc bool
	// fixed is true when the model's input shape fixes the batch.
	fixed bool
}

// bytes is what a batch of n inputs takes: the batch's input and output
// tensors, the pool of per-image tensors (see score), the per-image score
// sums and the network's activations.
func (b batchNeed) bytes(n int) int64 {
	size := int64(3 * b.width * b.height)
	nbuf := int64(2*b.workers + (n+b.crops-1)/b.crops + 1)
	nn, nout := int64(n), int64(b.nout)
	return 4*nn*size + 4*nn*nout + 4*nbuf*int64(b.crops)*size + 8*nn*nout + nn*b.activation
}

// check fails when a batch of n inputs would need more than 1/memShare of
// the available memory, naming the largest batch that fits (or, for a
// model whose batch is fixed, what else to lower).
func (b batchNeed) check(n int, lim Limits) error {
	if lim.MemAvailable <= 0 {
		return nil
	}
	budget := lim.MemAvailable / memShare
	need := b.bytes(n)
	if need <= budget {
		return nil
	}
	fits := 0
	for lo, hi := 1, n; lo <= hi; {
		mid := lo + (hi-lo)/2
		if b.bytes(mid) <= budget {
			fits, lo = mid, mid+1
		} else {
			hi = mid - 1
		}
	}
	fix := fmt.Sprintf("set accuracy.batch_size to at most %d", fits)
	switch {
	case b.fixed:
		fix = "the model's batch is fixed in its input shape; lower accuracy.workers, free memory, or export the model with a smaller or dynamic batch"
	case fits == 0:
		fix = "lower accuracy.workers or free memory"
	}
	what := "buffers"
	if b.activation > 0 {
		what = "buffers and activations"
	}
	return fmt.Errorf("accuracy: batch %d of 3×%d×%d inputs with %d workers needs %.2f GB of %s, more than 1/%d of the %.2f GB available (MemAvailable); %s",
		n, b.height, b.width, b.workers, float64(need)/1e9, what, memShare, float64(lim.MemAvailable)/1e9, fix)
}
