package energy

import (
	"errors"
	"fmt"

	"github.com/dnnbench/dnnbench/internal/nvidia"
)

// energyCounter is the part of NVML a GPU meter uses.
type energyCounter interface {
	// TotalEnergy is GPU index's energy since the driver was loaded, in mJ.
	TotalEnergy(index int) (uint64, error)
	Close() error
}

// gpuMeter reads an NVIDIA GPU's total energy counter.
type gpuMeter struct {
	lib   energyCounter
	gpu   int
	start uint64
	begun bool
}

// OpenNVML opens NVML and checks that GPU gpu reports its total energy
// (Volta and later). The meter covers the GPU board only, not the CPU.
func OpenNVML(gpu int) (Meter, error) {
	lib, err := nvidia.Open()
	if err != nil {
		return nil, fmt.Errorf("energy: no GPU energy counter: %w", err)
	}
	m, err := newGPUMeter(lib, gpu)
	if err != nil {
		lib.Close()
		return nil, err
	}
	return m, nil
}

func newGPUMeter(lib energyCounter, gpu int) (*gpuMeter, error) {
	if _, err := lib.TotalEnergy(gpu); err != nil {
		return nil, fmt.Errorf("energy: no GPU energy counter: %w", err)
	}
	return &gpuMeter{lib: lib, gpu: gpu}, nil
}

// Source is "nvml: GPU N total energy".
func (g *gpuMeter) Source() string { return fmt.Sprintf("nvml: GPU %d total energy", g.gpu) }

// Start reads the counter.
func (g *gpuMeter) Start() error {
	v, err := g.lib.TotalEnergy(g.gpu)
	if err != nil {
		return fmt.Errorf("energy: %w", err)
	}
	g.start, g.begun = v, true
	return nil
}

// Stop reads the counter again and returns the GPU's energy since Start.
// The 64-bit millijoule counter does not wrap; one that went down means the
// driver was reloaded, and the interval is an error.
func (g *gpuMeter) Stop() (float64, error) {
	if !g.begun {
		return 0, errors.New("energy: nvml: Stop without Start")
	}
	g.begun = false
	v, err := g.lib.TotalEnergy(g.gpu)
	if err != nil {
		return 0, fmt.Errorf("energy: %w", err)
	}
	if v < g.start {
		return 0, fmt.Errorf("energy: GPU %d energy counter went down from %d to %d mJ (driver reloaded?)", g.gpu, g.start, v)
	}
	return float64(v-g.start) / 1e3, nil
}

// Close shuts NVML down.
func (g *gpuMeter) Close() error { return g.lib.Close() }
