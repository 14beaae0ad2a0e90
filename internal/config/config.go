// Package config decodes dnnbench's YAML run configurations and device
// profiles strictly: unknown keys, wrong types and invalid values are errors
// naming the file and line, found before any work starts.
package config

import (
	"errors"
	"fmt"
	"regexp"
	"runtime"
	"slices"
	"strings"

	"github.com/dnnbench/dnnbench/internal/preprocess"
)

// Config is one run configuration (configs/*.yaml).
type Config struct {
	// Name names the run; outputs go to <out>/<name>/. Required.
	Name string `yaml:"name"`
	// Device is the default device profile (configs/devices/<device>.yaml); default "cpu".
	Device string `yaml:"device"`
	// Seed draws the zoo's random weights; default 20180101 (0 is a seed too).
	Seed uint64 `yaml:"seed"`
	// Models are the networks to benchmark, in report order. At least one.
	Models []Model `yaml:"models"`
	// Accuracy configures the accuracy stage.
	Accuracy Accuracy `yaml:"accuracy"`
	// Timing configures the timing stage.
	Timing Timing `yaml:"timing"`
	// Memory configures the memory stage.
	Memory Memory `yaml:"memory"`
	// Report configures analysis and rendering.
	Report Report `yaml:"report"`
}

// Model is one network: exactly one of Arch, ONNX, URL or URLs.
type Model struct {
	// Name identifies the model in every table: letters, digits, '.', '_', '-'.
	Name string `yaml:"name"`
	// Arch is a zoo architecture built with random weights.
	Arch string `yaml:"arch"`
	// ONNX is a path to a user's ONNX file (pretrained weights).
	ONNX string `yaml:"onnx"`
	// URL is downloaded into the cache and checked against SHA256.
	URL string `yaml:"url"`
	// URLs are mirrors of one file, tried in order; instead of URL.
	URLs []string `yaml:"urls"`
	// SHA256 is the hex digest a URL's file must have; required with URL.
	SHA256 string `yaml:"sha256"`
	// Reference names published accuracy, e.g. "torchvision:ResNet50_Weights.IMAGENET1K_V2";
	// defaults to the zoo architecture's reference.
	Reference string `yaml:"reference"`
	// Preprocess overrides the preprocessing derived from the reference.
	Preprocess *Preprocess `yaml:"preprocess"`
}

// Sources returns the model's download URLs in the order to try them:
// URLs, or URL alone; nil for a model that is not downloaded.
func (m Model) Sources() []string {
	if m.URLs != nil {
		return m.URLs
	}
	if m.URL != "" {
		return []string{m.URL}
	}
	return nil
}

// Preprocess is how images are turned into the model's input.
type Preprocess struct {
	// Resize is the shorter side after resizing, in pixels ("256" or
	// 256), or "WxH" to squash the image to exactly W×H pixels ("224x224",
	// the aspect ratio not kept); read it with preprocess.ParseResize.
	Resize string `yaml:"resize"`
	// Crop is the square centre-crop size, in pixels. With a squash, 0 or
	// absent means no crop: the input is the squashed image.
	Crop int `yaml:"crop"`
	// Interpolation is "bilinear" or "bicubic".
	Interpolation string `yaml:"interpolation"`
	// Mean and Std are per-channel, in the range given by Scale.
	Mean []float64 `yaml:"mean"`
	Std  []float64 `yaml:"std"`
	// Channels is "rgb" or "bgr".
	Channels string `yaml:"channels"`
	// Scale is the pixel maximum before normalisation: 1 or 255.
	Scale float64 `yaml:"scale"`
	// Layout is the input tensor's layout: "nchw" (default) or "nhwc".
	Layout string `yaml:"layout"`
}

// Accuracy configures the accuracy stage.
type Accuracy struct {
	// Dataset is an ImageNet validation folder; empty means published accuracy only.
	Dataset string `yaml:"dataset"`
	// Crops are "center" and/or "ten"; default [center].
	Crops []string `yaml:"crops"`
	// Limit caps the number of images (0 = all).
	Limit int `yaml:"limit"`
	// BatchSize is the inference batch; default 32.
	BatchSize int `yaml:"batch_size"`
	// Workers decode and preprocess images; default the number of cores.
	Workers int `yaml:"workers"`
	// MaxSkipped is the largest share of unreadable images, in percent (1 =
	// 1 %), a measured row may have; above it the row fails. Default 1; 0
	// allows none. Read it with MaxSkippedPercent.
	MaxSkipped *float64 `yaml:"max_skipped"`
}

// WorkersPerCore bounds accuracy.workers: decoding is CPU-bound, so more
// than a few workers per core only queue and take memory.
const WorkersPerCore = 4

// DefaultMaxSkipped is accuracy.max_skipped's default, in percent.
const DefaultMaxSkipped = 1.0

// MaxSkippedPercent is accuracy.max_skipped, or its default when absent.
func (a Accuracy) MaxSkippedPercent() float64 {
	if a.MaxSkipped == nil {
		return DefaultMaxSkipped
	}
	return *a.MaxSkipped
}

// Timing configures the timing stage.
type Timing struct {
	// BatchSizes to sweep; default [1, 2, 4, 8, 16, 32, 64].
	BatchSizes []int `yaml:"batch_sizes"`
	// Warmup runs per batch size; default 10; 0 means none (with
	// min_seconds 0, the first timed run is the first run).
	Warmup int `yaml:"warmup"`
	// Runs timed per batch size (at least); default 10.
	Runs int `yaml:"runs"`
	// MinSeconds is the least time spent both warming up and timing; default 1; 0 means no minimum.
	MinSeconds float64 `yaml:"min_seconds"`
	// Rounds splits each process's share of a batch size's timed runs and
	// min_seconds into this many interleaved rounds, each of at least
	// min(3, runs) runs; default 2 (or runs, when fewer).
	Rounds int `yaml:"rounds"`
	// Processes is how many fresh worker processes time each model, one
	// per pass over all the models, each warming up again and doing its rounds with its
	// share of runs and min_seconds; a stable cell needs agreeing rounds
	// from two of them. Default 2 (or runs/rounds, when fewer).
	Processes int `yaml:"processes"`
	// MaxRemeasure is how many times an unstable cell is measured again
	// after the first pass; default 2 (0: never).
	MaxRemeasure int `yaml:"max_remeasure"`
	// RemeasureSeconds caps the time all re-measurements of a run may take,
	// in seconds (checked before each model's re-measurement); default 180
	// (0: no re-measurement).
	RemeasureSeconds float64 `yaml:"remeasure_seconds"`
}

// Memory configures the memory stage.
type Memory struct {
	// BatchSizes to measure; default [1, 16, 64].
	BatchSizes []int `yaml:"batch_sizes"`
}

// Report configures analysis and rendering.
type Report struct {
	// Formats are any of md, html, pdf; default all three.
	Formats []string `yaml:"formats"`
	// Constraints are Table 3's thresholds.
	Constraints Constraints `yaml:"constraints"`
	// LogAxes draws the figure axes of GFLOPs, accuracy density and
	// parameters on a log scale where their data span at least a decade;
	// false keeps the paper's linear axes. Default true: by their published
	// MACs the default config's 44 models span nearly three decades of
	// GFLOPs (0.08–48), and on a linear axis 15 of them share its first
	// tenth.
	LogAxes bool `yaml:"log_axes"`
	// Compare, when set, adds a benchstat-style comparison of two devices'
	// latencies to the report; default none.
	Compare *Compare `yaml:"compare"`
}

// Constraints are the memory and speed thresholds of Table 3.
type Constraints struct {
	// MemoryGB thresholds; default [0.7, 1.0, 1.4].
	MemoryGB []float64 `yaml:"memory_gb"`
	// FPS thresholds; default [15, 30, 60].
	FPS []float64 `yaml:"fps"`
}

// Device is a device profile (configs/devices/*.yaml).
type Device struct {
	// Name is the profile's name, equal to its file name without .yaml.
	Name string `yaml:"name"`
	// Description says what hardware the profile is for.
	Description string `yaml:"description"`
	// Provider is the execution provider: cpu, cuda or tensorrt.
	Provider string `yaml:"provider"`
	// ProviderOptions are passed to the execution provider.
	ProviderOptions map[string]string `yaml:"provider_options"`
	// IntraOpThreads and InterOpThreads are thread counts; 0 = runtime default.
	// Each is at most MaxThreads() (4 per core of the running machine).
	IntraOpThreads int `yaml:"intra_op_threads"`
	InterOpThreads int `yaml:"inter_op_threads"`
	// GraphOptimization is all, extended, basic or disabled; default all.
	GraphOptimization string `yaml:"graph_optimization"`
	// MemorySampler is proc, nvml or tegrastats; default proc.
	MemorySampler string `yaml:"memory_sampler"`
	// PeakGFLOPS is the nominal FP32 peak in GFLOP/s, printed in the report;
	// 0 = detect it where the device is measured (internal/conditions).
	PeakGFLOPS float64 `yaml:"peak_gflops"`
	// Arch is the machine architecture the profile runs on: amd64, arm64 or any.
	Arch string `yaml:"arch"`
}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)

// ValidName reports whether s is safe as a model, config or device name
// (it becomes part of file names under cache/ and out/).
func ValidName(s string) bool { return nameRE.MatchString(s) && !strings.Contains(s, "..") }

// applyDefaults fills the documented defaults for keys absent from the
// file; has reports whether a key path is present. A key that is present
// keeps its value, zero included (warmup: 0 means no warm-up runs).
func (c *Config) applyDefaults(has func(path ...string) bool) {
	if !has("device") {
		c.Device = "cpu"
	}
	if !has("seed") {
		c.Seed = 20180101
	}
	if !has("accuracy", "crops") {
		c.Accuracy.Crops = []string{"center"}
	}
	if !has("accuracy", "batch_size") {
		c.Accuracy.BatchSize = 32
	}
	if !has("timing", "batch_sizes") {
		c.Timing.BatchSizes = []int{1, 2, 4, 8, 16, 32, 64}
	}
	if !has("timing", "warmup") {
		c.Timing.Warmup = 10
	}
	if !has("timing", "runs") {
		c.Timing.Runs = 10
	}
	if !has("timing", "min_seconds") {
		c.Timing.MinSeconds = 1
	}
	if !has("timing", "rounds") {
		c.Timing.Rounds = max(min(2, c.Timing.Runs), 1)
	}
	if !has("timing", "processes") {
		c.Timing.Processes = max(min(2, c.Timing.Runs/max(c.Timing.Rounds, 1)), 1)
	}
	if !has("timing", "max_remeasure") {
		c.Timing.MaxRemeasure = 2
	}
	if !has("timing", "remeasure_seconds") {
		c.Timing.RemeasureSeconds = 180
	}
	if !has("memory", "batch_sizes") {
		c.Memory.BatchSizes = []int{1, 16, 64}
	}
	if !has("report", "formats") {
		c.Report.Formats = []string{"md", "html", "pdf"}
	}
	if !has("report", "constraints", "memory_gb") {
		c.Report.Constraints.MemoryGB = []float64{0.7, 1.0, 1.4}
	}
	if !has("report", "constraints", "fps") {
		c.Report.Constraints.FPS = []float64{15, 30, 60}
	}
	if !has("report", "log_axes") {
		c.Report.LogAxes = true
	}
}

// problems collects validation messages, each after the place in the file
// it concerns.
type problems []string

// add records a problem at where.
func (p *problems) add(where, format string, args ...any) {
	*p = append(*p, where+": "+fmt.Sprintf(format, args...))
}

// err returns the problems, one a line, or nil when there are none.
func (p problems) err() error {
	if len(p) == 0 {
		return nil
	}
	return errors.New(strings.Join(p, "\n"))
}

// listed checks that a configured list is not empty and holds no value
// twice; what names the key for messages.
func listed[T comparable](bad func(where, format string, args ...any), where, what string, list []T) {
	if len(list) == 0 {
		bad(where, "%s is empty; list at least one value, or remove the key for its default", what)
	}
	seen := map[T]bool{}
	for _, v := range list {
		if seen[v] {
			bad(where, "%s lists %v twice", what, v)
		}
		seen[v] = true
	}
}

// validate checks values; at reports the line of a key path for messages.
func (c *Config) validate(at func(path ...string) string) error {
	var errs problems
	bad := errs.add
	if !ValidName(c.Name) {
		bad(at("name"), "name %q must be 1–128 letters, digits, '.', '_' or '-'", c.Name)
	}
	if !ValidName(c.Device) {
		bad(at("device"), "device %q is not a valid profile name", c.Device)
	}
	if len(c.Models) == 0 {
		bad(at("models"), "models: list at least one model")
	}
	seen := map[string]bool{}
	for i, m := range c.Models {
		idx := fmt.Sprint(i)
		where := at("models", idx)
		if !ValidName(m.Name) {
			bad(at("models", idx, "name"), "models[%d].name %q must be 1–128 letters, digits, '.', '_' or '-'", i, m.Name)
		}
		if seen[m.Name] {
			bad(at("models", idx, "name"), "models[%d]: duplicate name %q", i, m.Name)
		}
		seen[m.Name] = true
		n := 0
		for _, s := range []string{m.Arch, m.ONNX, m.URL} {
			if s != "" {
				n++
			}
		}
		if m.URLs != nil {
			n++
			listed(bad, at("models", idx, "urls"), fmt.Sprintf("model %q: urls", m.Name), m.URLs)
		}
		if n != 1 {
			bad(where, "model %q: set exactly one of arch, onnx or url (urls for mirrors)", m.Name)
		}
		if urls := m.Sources(); len(urls) > 0 {
			for _, u := range urls {
				if !strings.HasPrefix(u, "https://") && !strings.HasPrefix(u, "http://") {
					key := "url"
					if m.URLs != nil {
						key = "urls"
					}
					bad(at("models", idx, key), "model %q: url must be http(s), not %q", m.Name, u)
				}
			}
			if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(strings.ToLower(m.SHA256)) {
				bad(at("models", idx, "sha256"), "model %q: a url needs sha256: the file's 64-hex-digit checksum", m.Name)
			}
		}
		if p := m.Preprocess; p != nil {
			w := at("models", idx, "preprocess")
			if p.Resize != "" {
				side, sw, sh, err := preprocess.ParseResize(p.Resize)
				switch {
				case err != nil:
					bad(at("models", idx, "preprocess", "resize"), "model %q: preprocess %v", m.Name, err)
				case p.Crop < 0 || p.Crop > max(side, min(sw, sh)):
					bad(w, "model %q: preprocess resize %s / crop %d invalid (crop must be ≤ resize, and fit in a squash)", m.Name, p.Resize, p.Crop)
				}
			} else if p.Crop < 0 {
				bad(w, "model %q: preprocess crop %d must not be negative", m.Name, p.Crop)
			}
			if p.Layout != "" && p.Layout != "nchw" && p.Layout != "nhwc" {
				bad(at("models", idx, "preprocess", "layout"), "model %q: layout %q must be nchw or nhwc", m.Name, p.Layout)
			}
			if p.Interpolation != "" && p.Interpolation != "bilinear" && p.Interpolation != "bicubic" {
				bad(w, "model %q: interpolation %q must be bilinear or bicubic", m.Name, p.Interpolation)
			}
			if (p.Mean != nil && len(p.Mean) != 3) || (p.Std != nil && len(p.Std) != 3) {
				bad(w, "model %q: mean and std need three values", m.Name)
			}
			for _, s := range p.Std {
				if s <= 0 {
					bad(w, "model %q: std values must be positive", m.Name)
				}
			}
			if p.Channels != "" && p.Channels != "rgb" && p.Channels != "bgr" {
				bad(w, "model %q: channels %q must be rgb or bgr", m.Name, p.Channels)
			}
			if p.Scale != 0 && p.Scale != 1 && p.Scale != 255 {
				bad(w, "model %q: scale %v must be 1 or 255", m.Name, p.Scale)
			} else if p.Scale != 0 || !strings.HasPrefix(m.Reference, "paper:") {
				// Without scale the reference's applies: 1, except for some paper: rows.
				if err := CheckNormalisation(p.Mean, p.Std, p.Scale); err != nil {
					bad(w, "model %q: preprocess %v", m.Name, err)
				}
			}
		}
	}
	listed(bad, at("accuracy", "crops"), "accuracy.crops", c.Accuracy.Crops)
	for _, cr := range c.Accuracy.Crops {
		if cr != "center" && cr != "ten" {
			bad(at("accuracy", "crops"), "accuracy.crops: %q must be center or ten", cr)
		}
	}
	if c.Accuracy.Limit < 0 || c.Accuracy.BatchSize < 1 || c.Accuracy.Workers < 0 {
		bad(at("accuracy"), "accuracy: limit, batch_size and workers must not be negative (batch_size ≥ 1)")
	}
	if most := WorkersPerCore * runtime.NumCPU(); c.Accuracy.Workers > most {
		bad(at("accuracy", "workers"), "accuracy.workers: %d is more than %d per core × %d cores = %d; set at most %d (0 = one per core)",
			c.Accuracy.Workers, WorkersPerCore, runtime.NumCPU(), most, most)
	}
	if v := c.Accuracy.MaxSkipped; v != nil && !(*v >= 0 && *v <= 100) {
		bad(at("accuracy", "max_skipped"), "accuracy.max_skipped: %v must be a percentage between 0 and 100 (1 = 1 %% of the images)", *v)
	}
	checkBatches := func(key string, bs []int) {
		listed(bad, at(key, "batch_sizes"), key+".batch_sizes", bs)
		for _, b := range bs {
			if b < 1 || b > 4096 {
				bad(at(key, "batch_sizes"), "%s.batch_sizes: %d must be between 1 and 4096", key, b)
			}
		}
		if !slices.IsSorted(bs) {
			bad(at(key, "batch_sizes"), "%s.batch_sizes must be in increasing order (later batches are skipped after an out-of-memory one)", key)
		}
	}
	checkBatches("timing", c.Timing.BatchSizes)
	checkBatches("memory", c.Memory.BatchSizes)
	if c.Timing.Warmup < 0 || c.Timing.Runs < 1 || c.Timing.MinSeconds < 0 {
		bad(at("timing"), "timing: warmup ≥ 0, runs ≥ 1 and min_seconds ≥ 0 are required")
	}
	if c.Timing.Rounds < 1 || c.Timing.Rounds > c.Timing.Runs {
		bad(at("timing", "rounds"), "timing.rounds: %d must be between 1 and runs (%d): each round needs a timed run", c.Timing.Rounds, c.Timing.Runs)
	}
	if c.Timing.Processes < 1 || c.Timing.Rounds >= 1 && c.Timing.Processes*c.Timing.Rounds > c.Timing.Runs {
		bad(at("timing", "processes"), "timing.processes: %d must be at least 1 and processes × rounds (%d) at most runs (%d): each round needs a timed run", c.Timing.Processes, c.Timing.Processes*c.Timing.Rounds, c.Timing.Runs)
	}
	if c.Timing.MaxRemeasure < 0 || c.Timing.RemeasureSeconds < 0 {
		bad(at("timing"), "timing: max_remeasure and remeasure_seconds must be ≥ 0 (0: no re-measurement)")
	}
	listed(bad, at("report", "formats"), "report.formats", c.Report.Formats)
	for _, f := range c.Report.Formats {
		if f != "md" && f != "html" && f != "pdf" {
			bad(at("report", "formats"), "report.formats: %q must be md, html or pdf", f)
		}
	}
	listed(bad, at("report", "constraints", "memory_gb"), "report.constraints.memory_gb", c.Report.Constraints.MemoryGB)
	listed(bad, at("report", "constraints", "fps"), "report.constraints.fps", c.Report.Constraints.FPS)
	for _, v := range c.Report.Constraints.MemoryGB {
		if v <= 0 {
			bad(at("report", "constraints", "memory_gb"), "report.constraints.memory_gb: %v must be positive", v)
		}
	}
	for _, v := range c.Report.Constraints.FPS {
		if v <= 0 {
			bad(at("report", "constraints", "fps"), "report.constraints.fps: %v must be positive", v)
		}
	}
	if c.Report.Compare != nil {
		c.Report.Compare.validate(at, bad)
	}
	return errs.err()
}

// MaxThreads is the largest thread count a device profile may set: four per
// core of the running machine. More only adds contention, and a huge count
// makes ONNX Runtime spawn threads until memory runs out.
func MaxThreads() int { return 4 * runtime.NumCPU() }

func (d *Device) applyDefaults() {
	if d.Provider == "" {
		d.Provider = "cpu"
	}
	if d.GraphOptimization == "" {
		d.GraphOptimization = "all"
	}
	if d.MemorySampler == "" {
		d.MemorySampler = "proc"
	}
	if d.Arch == "" {
		d.Arch = "any"
	}
}

func (d *Device) validate(at func(path ...string) string) error {
	var errs problems
	bad := errs.add
	if !ValidName(d.Name) {
		bad(at("name"), "name %q must be letters, digits, '.', '_' or '-'", d.Name)
	}
	if !slices.Contains([]string{"cpu", "cuda", "tensorrt"}, d.Provider) {
		bad(at("provider"), "provider %q must be cpu, cuda or tensorrt", d.Provider)
	}
	if !slices.Contains([]string{"all", "extended", "basic", "disabled"}, d.GraphOptimization) {
		bad(at("graph_optimization"), "graph_optimization %q must be all, extended, basic or disabled", d.GraphOptimization)
	}
	if !slices.Contains([]string{"proc", "nvml", "tegrastats"}, d.MemorySampler) {
		bad(at("memory_sampler"), "memory_sampler %q must be proc, nvml or tegrastats", d.MemorySampler)
	}
	if !slices.Contains([]string{"amd64", "arm64", "any"}, d.Arch) {
		bad(at("arch"), "arch %q must be amd64, arm64 or any", d.Arch)
	}
	if d.IntraOpThreads < 0 || d.InterOpThreads < 0 || d.PeakGFLOPS < 0 {
		bad(at(), "thread counts and peak_gflops must not be negative")
	}
	for _, t := range []struct {
		key string
		n   int
	}{{"intra_op_threads", d.IntraOpThreads}, {"inter_op_threads", d.InterOpThreads}} {
		if limit := MaxThreads(); t.n > limit {
			bad(at(t.key), "%s %d is more than %d (4 threads per core, %d cores here); use at most %d, or 0 to let ONNX Runtime choose", t.key, t.n, limit, runtime.NumCPU(), limit)
		}
	}
	return errs.err()
}
