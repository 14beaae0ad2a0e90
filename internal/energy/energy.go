// Package energy measures the energy a device uses over an interval, from
// the sensor the host has: the CPU package counters of RAPL (Intel, and AMD
// on recent kernels, through Linux's powercap interface), the total energy
// counter of an NVIDIA GPU (NVML), or the input power rail of a Jetson board
// (tegrastats) integrated over time. Where no sensor is readable, a meter
// says why instead of returning a number.
package energy

import (
	"context"
	"errors"
	"math"
	"strings"

	"github.com/dnnbench/dnnbench/internal/tegrastats"
)

// Meter measures the energy used between Start and Stop.
type Meter interface {
	// Source names the sensor and what it covers, e.g. "rapl: package-0",
	// or, for a meter without a sensor, "none: " and the reason.
	Source() string
	// Start begins an interval.
	Start() error
	// Stop ends the interval begun by the last Start and returns the energy
	// used during it, in joules. A meter without a sensor returns NaN.
	Stop() (float64, error)
	// Close releases the sensor.
	Close() error
}

// Options say which sensors Open may use.
type Options struct {
	// SysRoot is the root of the file system holding /sys (default "/");
	// tests point it at a recorded tree.
	SysRoot string
	// NVML selects the GPU's energy counter through NVML, for GPU index GPU.
	NVML bool
	GPU  int
	// Tegrastats is the tegrastats executable (default "tegrastats", looked
	// up in PATH) and TegraIntervalMs its sampling interval (default 20).
	Tegrastats      string
	TegraIntervalMs int
}

// Open returns the meter of the first sensor that can be read: NVML's GPU
// energy when opts.NVML is set, otherwise RAPL's CPU packages, then a
// Jetson's tegrastats input rail. When none can be read it returns a meter
// whose Source is "none: " followed by each sensor's reason. Open never
// fails: energy is an extra, and a benchmark runs without it.
func Open(ctx context.Context, opts Options) Meter {
	var reasons []string
	if opts.NVML {
		m, err := OpenNVML(opts.GPU)
		if err == nil {
			return m
		}
		reasons = append(reasons, err.Error())
	} else {
		m, err := OpenRAPL(opts.SysRoot)
		if err == nil {
			return m
		}
		reasons = append(reasons, err.Error())
		t, terr := OpenTegrastats(ctx, opts.Tegrastats, opts.TegraIntervalMs)
		if terr == nil {
			return t
		}
		// tegrastats missing is expected off a Jetson: the RAPL reason is the one to show.
		if !errors.Is(terr, tegrastats.ErrNotFound) {
			reasons = append(reasons, terr.Error())
		}
	}
	for i, r := range reasons {
		reasons[i] = strings.TrimPrefix(r, "energy: ")
	}
	return None(strings.Join(reasons, "; "))
}

// none is a meter without a sensor.
type none struct{ reason string }

// None returns a meter without a sensor: Stop returns NaN and Source is
// "none: " and reason.
func None(reason string) Meter { return none{reason: reason} }

func (n none) Source() string       { return "none: " + strings.TrimPrefix(n.reason, "energy: ") }
func (none) Start() error           { return nil }
func (none) Stop() (float64, error) { return math.NaN(), nil }
func (none) Close() error           { return nil }
