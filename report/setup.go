// Package report renders the analysis as one Markdown source, in the
// paper's order, and from it HTML (goldmark) and PDF (fpdf, by walking the
// same goldmark syntax tree), with the figures embedded as vectors.
package report

import (
	"github.com/dnnbench/dnnbench/internal/diag"
	"time"

	"github.com/dnnbench/dnnbench/stages/compare"
)

// Setup describes where and how the numbers were measured; the pipeline
// fills it from its manifest.
type Setup struct {
	// ToolVersion is dnnbench's version, Commit its git commit; GoVersion
	// and ORTVersion the Go toolchain's and ONNX Runtime's.
	ToolVersion string
	Commit      string
	GoVersion   string
	ORTVersion  string
	// HostCPU is the CPU model name; HostCores the logical CPUs;
	// HostMemoryBytes the physical memory, in bytes.
	HostCPU         string
	HostCores       int
	HostMemoryBytes int64
	// OS, Kernel and Distro, e.g. "linux/amd64", "6.8.0-45-generic", "Debian GNU/Linux 13".
	OS     string
	Kernel string
	Distro string
	// Conditions are measurement conditions worth reporting, one
	// "name: value" a line (CPU governor, load, temperature…).
	Conditions []string
	// Warnings are the pipeline's own warnings; the report lists them with the stages'.
	Warnings []diag.Warning
	// Devices are the device profiles used.
	Devices []DeviceProfile
	// ConfigName and ConfigHash identify the configuration (hash: hex sha256).
	ConfigName string
	ConfigHash string
	// Command is the command line that produced the report.
	Command string
	// Date is the report's date and the PDF's creation date. Set it only
	// from SOURCE_DATE_EPOCH: the zero time prints as "not set" and dates
	// the PDF 1970-01-01, so reruns stay byte-identical.
	Date time.Time
}

// DeviceProfile is one device profile of configs/devices.
type DeviceProfile struct {
	// Name is the profile name, as in the stage tables' device column.
	Name string
	// Description is a free text, e.g. "NVIDIA Jetson Orin Nano 8 GB".
	Description string
	// Provider is the execution provider: "cpu", "cuda", "tensorrt".
	Provider string
	// Sampler is the memory sampler: "proc", "nvml", "tegrastats".
	Sampler string
	// PeakFLOPS is the device's peak FP32 FLOP/s; 0 when unknown.
	PeakFLOPS float64
	// PeakMethod says how PeakFLOPS was obtained (detected from the host,
	// or the profile's nominal value), or why it is unknown.
	PeakMethod string
}

// Options controls how the report reads.
type Options struct {
	// Title is the report title; default "Benchmark analysis of deep neural
	// network architectures on this machine".
	Title string
	// FigureDir is where the figures lie, relative to the report, for the
	// Markdown's image links; default "figures".
	FigureDir string
	// Compare, when set, adds a comparison of two devices' latencies to
	// Section 4 (report.compare), with the figure numbered "5" in figs.
	Compare *compare.Result
}

func (o Options) withDefaults() Options {
	if o.Title == "" {
		o.Title = "Benchmark analysis of deep neural network architectures on this machine"
	}
	if o.FigureDir == "" {
		o.FigureDir = "figures"
	}
	return o
}
