// Package analysetest provides fixed stage tables for tests and benchmarks
// of the analysis, its figures and its report.
package analysetest

import (
	"fmt"
	"math"

	"github.com/dnnbench/dnnbench/stages/accuracy"
	"github.com/dnnbench/dnnbench/stages/analyse"
	"github.com/dnnbench/dnnbench/stages/ceilings"
	"github.com/dnnbench/dnnbench/stages/flops"
	"github.com/dnnbench/dnnbench/stages/memory"
	"github.com/dnnbench/dnnbench/stages/models"
	"github.com/dnnbench/dnnbench/stages/timing"
)

// CPUEnergySource is the energy source of the fixture's cpu rows: RAPL
// counters only root may read.
const CPUEnergySource = "none: no readable RAPL counter: /sys/class/powercap/intel-rapl:0/energy_uj: permission denied (since Linux 5.10 only root may read it: run as root, or let the user read it with chmod a+r)"

// model is one fixture network. Params, GMACs and published accuracies are
// torchvision 0.21's (configs/reference/torchvision.csv); the last entry is
// a user model with a hostile name and no accuracy.
type model struct {
	name, ref   string
	params      int64
	gmacs       float64
	top1, top5  float64
	measured    bool
	noAccuracy  bool
	jetsonLimit int64 // largest batch that fits on the Jetson; 0 = all
}

var fixtureModels = []model{
	{"alexnet", "torchvision:AlexNet_Weights.IMAGENET1K_V1", 61100840, 0.714, 56.522, 79.066, false, false, 0},
	{"densenet121", "torchvision:DenseNet121_Weights.IMAGENET1K_V1", 7978856, 2.834, 74.434, 91.972, false, false, 0},
	{"edge<cnn>&v2", "", 4210000, 0.410, 0, 0, false, true, 0},
	{"efficientnet_b0", "torchvision:EfficientNet_B0_Weights.IMAGENET1K_V1", 5288548, 0.386, 77.692, 93.532, false, false, 0},
	{"mobilenet_v2", "torchvision:MobileNet_V2_Weights.IMAGENET1K_V1", 3504872, 0.301, 71.878, 90.286, false, false, 0},
	{"resnet18", "torchvision:ResNet18_Weights.IMAGENET1K_V1", 11689512, 1.814, 69.758, 89.078, false, false, 0},
	{"resnet50", "torchvision:ResNet50_Weights.IMAGENET1K_V1", 25557032, 4.089, 76.020, 92.880, true, false, 0},
	{"squeezenet1_1", "torchvision:SqueezeNet1_1_Weights.IMAGENET1K_V1", 1235496, 0.349, 58.178, 80.624, false, false, 0},
	{"vgg16", "torchvision:VGG16_Weights.IMAGENET1K_V1", 138357544, 15.470, 71.592, 90.382, false, false, 8},
}

// Devices are the fixture's two devices.
var Devices = []string{"cpu", "jetson-orin"}

// TimingBatches and MemoryBatches are the fixture's batch sizes.
var (
	TimingBatches = []int64{1, 2, 4, 8, 16}
	MemoryBatches = []int64{1, 16}
)

// Inputs returns the fixture: nine models (one without accuracy, one with a
// measured accuracy), two devices, OOM cells on the Jetson, a skipped cell,
// a timing error and warnings from every stage.
func Inputs() analyse.Inputs {
	return build(fixtureModels)
}

// Large returns n synthetic models on the fixture's two devices, for benchmarks.
func Large(n int) analyse.Inputs {
	ms := make([]model, n)
	for i := range ms {
		base := fixtureModels[i%len(fixtureModels)]
		base.name = fmt.Sprintf("%s-%02d", base.name, i)
		base.params += int64(i) * 250000
		base.gmacs *= 1 + float64(i)/40
		if !base.noAccuracy {
			base.top1 = math.Min(base.top1+float64(i%7)/3, 90)
		}
		ms[i] = base
	}
	return build(ms)
}

func build(ms []model) analyse.Inputs {
	var in analyse.Inputs
	// The CPU's ceilings are measured; the Jetson has only a nominal peak.
	in.Ceilings = []ceilings.Row{
		{Device: "cpu", PeakGFLOPS: 400, BandwidthGBs: 20, Method: ceilings.MethodMeasured},
		{Device: "jetson-orin", PeakGFLOPS: 5300, Method: ceilings.MethodNominal},
	}
	for i, m := range ms {
		src, weights := "arch", "random"
		if m.noAccuracy {
			src, weights = "onnx", "pretrained"
		}
		in.Models = append(in.Models, models.Row{Model: m.name, Source: src, Arch: m.name, Path: "cache/models/" + fmt.Sprintf("%02d", i) + ".onnx",
			SHA256: fmt.Sprintf("%064x", i+1), Bytes: 4*m.params + 20000, Weights: weights, Channels: 3, Height: 224, Width: 224,
			Resize: 256, Crop: 224, Interpolation: "bilinear", Mean: "0.485 0.456 0.406", Std: "0.229 0.224 0.225", ColorOrder: "rgb", Scale: 255, Reference: m.ref})
		macs := int64(m.gmacs * 1e9)
		fr := flops.Row{Model: m.name, Params: m.params, FileBytes: 4*m.params + 20000, MACs: macs, FLOPs: 2*macs + macs/50,
			ActivationBytes: int64(m.gmacs*9e6) + 4e6, WeightBytes: 4 * m.params, IOBytesPerImage: int64(m.gmacs*18e6) + 8e6, PeakActivationBytes: int64(m.gmacs*2e6) + 1e6, PaperMACs: macs - macs/100}
		if m.noAccuracy {
			fr.UnknownOps = "com.example.Swish"
			fr.Warnings = []string{"unknown op com.example.Swish counted as zero"}
		}
		in.Flops = append(in.Flops, fr)
		in.Ops = append(in.Ops, flops.OpRow{Model: m.name, Op: "Conv", Nodes: 20, Params: m.params, MACs: macs, FLOPs: 2 * macs, Counted: true})
		switch {
		case m.noAccuracy:
		case m.measured:
			in.Accuracy = append(in.Accuracy,
				accuracy.Row{Model: m.name, Dataset: "/data/imagenet/val", Crop: "center", N: 50000, Top1: m.top1, Top5: m.top5, Top1CI95: 0.37, Source: "measured", Skipped: 2, Warnings: []string{"2 images unreadable"}, DatasetImages: 50002},
				accuracy.Row{Model: m.name, Dataset: "imagenet-1k", Crop: "center", Top1: 76.13, Top5: 92.862, Source: "published:" + m.ref})
		default:
			in.Accuracy = append(in.Accuracy, accuracy.Row{Model: m.name, Dataset: "imagenet-1k", Crop: "center", Top1: m.top1, Top5: m.top5, Source: "published:" + m.ref})
		}
		for di, dev := range Devices {
			speed := []float64{0.5, 3.2}[di]
			for _, b := range TimingBatches {
				r := timing.Row{Model: m.name, Device: dev, Batch: b, Threads: 2, Warmup: 10, Runs: 10, Provider: []string{"cpu", "cuda"}[di], Status: "ok",
					JoulesPerImage: math.NaN(), EnergySource: []string{CPUEnergySource, "tegrastats: VDD_IN (board input power)"}[di]}
				if dev == "jetson-orin" && m.jetsonLimit > 0 && b > m.jetsonLimit {
					r.Status, r.Error = "oom", "CUDA failure 2: out of memory"
					in.Timing = append(in.Timing, r)
					continue
				}
				if dev == "jetson-orin" && m.name == "densenet121" && b == 8 {
					r.Status, r.Error = "error", "onnxruntime: [ONNXRuntimeError] : 1 : FAIL : cudnn\nstack trace follows"
					in.Timing = append(in.Timing, r)
					continue
				}
				if dev == "cpu" && b == 16 && m.params > 1e8 {
					r.Status, r.Error = "skipped", "batch 16 exceeds the configured max_seconds"
					in.Timing = append(in.Timing, r)
					continue
				}
				perImage := (m.gmacs*6.5 + 1.2) / speed * (0.55 + 0.45/math.Sqrt(float64(b)))
				lat := perImage * float64(b)
				r.LatencyMsMedian, r.LatencyMsMin, r.LatencyMsMean = lat, lat*0.97, lat*1.01
				r.LatencyMsP90, r.LatencyMsP99 = lat*1.04, lat*1.08
				r.LatencyMsCILow, r.LatencyMsCIHigh = lat*0.98, lat*1.02
				r.MsPerImage, r.FPS = perImage, 1000/perImage
				if dev == "jetson-orin" {
					r.JoulesPerImage = (9 + m.gmacs) * perImage / 1000 // the board draws 9 W and more for larger models
				}
				r.SessionMs, r.FirstRunMs = 40+m.gmacs*10, lat*3
				if b == 1 {
					for k := 0; k < 10; k++ {
						r.SamplesMs = append(r.SamplesMs, lat*(0.97+0.007*float64((k*7)%10)))
					}
				}
				// Three quiet rounds; two cells fail the stability rule:
				// one on a busy host, one whose rounds disagree.
				r.Rounds, r.RoundsUsed, r.Attempts, r.Stable = 3, 3, 1, true
				r.RoundAttempt, r.RoundOtherCPU = []int64{1, 1, 1}, []float64{0.02, 0.04, 0.03}
				r.RoundMedianMs, r.UsedRounds = []float64{lat, lat * 1.01, lat * 0.99}, []int64{0, 1, 2}
				r.OtherCPUMax = 0.04
				r.RoundCanaryMs, r.CanaryRefMs = []float64{1, 1.02, 1.01}, 1
				if dev == "cpu" { // the Jetson's kernel reports no run-queue wait
					r.RoundWait = []float64{0.03, 0.05, 0.04}
					// Two processes on the CPU: the third round is the second's.
					r.RoundAttempt, r.Attempts = []int64{1, 1, 2}, 2
				}
				switch {
				case dev == "cpu" && b == 1 && m.name == "resnet18":
					r.Stable, r.Attempts, r.Rounds, r.RoundsUsed = false, 3, 9, 9
					r.UnstableReason = "host busy in 9 of 9 rounds (the worker's threads waited for a CPU up to 0.81 thread-s/s > 0.3); no clean round; the figure pools every round"
					r.RoundWait = []float64{0.7, 0.81, 0.66, 0.72, 0.75, 0.7, 0.68, 0.74, 0.71}
					r.RoundAttempt = []int64{1, 1, 1, 2, 2, 2, 3, 3, 3}
					r.RoundOtherCPU = []float64{0.98, 1.02, 0.95, 0.99, 1.01, 0.97, 0.96, 1, 0.99}
					r.RoundMedianMs = []float64{lat, lat, lat, lat, lat, lat, lat, lat, lat}
					r.UsedRounds = []int64{0, 1, 2, 3, 4, 5, 6, 7, 8}
					r.OtherCPUMax = 1.02
					r.RoundCanaryMs = []float64{1.5, 1.6, 1.45, 1.55, 1.5, 1.4, 1.6, 1.5, 1.5}
					r.LatencyMsCILow, r.LatencyMsCIHigh = lat*0.86, lat*1.18
				case dev == "cpu" && b == 4 && m.name == "vgg16":
					r.Stable, r.Attempts, r.Rounds, r.RoundsUsed = false, 3, 9, 1
					r.RoundAttempt = []int64{1, 1, 1, 2, 2, 2, 3, 3, 3}
					r.RoundOtherCPU = []float64{0.02, 0.04, 0.03, 0.05, 0.02, 0.03, 0.04, 0.02, 0.01}
					r.RoundWait = []float64{0.03, 0.05, 0.04, 0.02, 0.03, 0.06, 0.04, 0.03, 0.02}
					r.RoundMedianMs = []float64{lat, lat * 1.12, lat * 1.2, lat * 1.15, lat * 1.25, lat * 1.3, lat * 1.1, lat * 1.22, lat * 1.18}
					r.UsedRounds = []int64{0}
					r.RoundCanaryMs = []float64{1, 1.02, 1.01, 1, 1.03, 1.01, 1, 1.02, 1}
					r.UnstableReason = "rounds disagree: at most 1 of 9 round medians within 5% of each other near the lowest clean one (410–530 ms)"
					r.LatencyMsCILow, r.LatencyMsCIHigh = lat*0.93, lat*1.09
				}
				for k := range r.SamplesMs {
					r.SampleRound = append(r.SampleRound, int64(k*len(r.RoundAttempt)/len(r.SamplesMs)))
				}
				if dev == "cpu" && b == 1 && m.name == "alexnet" {
					r.Warnings = []string{"large spread: p99 is 1.3× the median"}
				}
				in.Timing = append(in.Timing, r)
			}
			for _, b := range MemoryBatches {
				r := memory.Row{Model: m.name, Device: dev, Batch: b, Sampler: []string{"proc", "tegrastats"}[di], Status: "ok", Samples: 40,
					BaselineBytes: []int64{31000000, 2100000000}[di]}
				if dev == "jetson-orin" && m.jetsonLimit > 0 && b > m.jetsonLimit {
					r.Status, r.Error = "oom", "CUDA failure 2: out of memory"
					in.Memory = append(in.Memory, r)
					continue
				}
				floor := []float64{12e6, 720e6}[di]
				r.StaticBytes = int64(floor + 4.1*float64(m.params))
				r.PeakBytes = r.StaticBytes + int64(m.gmacs*9e6*float64(b)*[]float64{0.5, 0.8}[di])
				if dev == "jetson-orin" && b == 1 && m.name == "squeezenet1_1" {
					r.Warnings = []string{"tegrastats sampled only 3 times"}
				}
				in.Memory = append(in.Memory, r)
			}
		}
	}
	return in
}

// SlowSecondProcess returns in with the second process of the first n CPU
// cells that have samples (all when n < 0) running factor times slower: a
// host that did not reproduce its own timings. The other rows are shared
// with in.
func SlowSecondProcess(in analyse.Inputs, factor float64, n int) analyse.Inputs {
	in.Timing = append([]timing.Row(nil), in.Timing...)
	for i, r := range in.Timing {
		if r.Device != "cpu" || len(r.SamplesMs) == 0 || n == 0 {
			continue
		}
		r.SamplesMs = append([]float64(nil), r.SamplesMs...)
		for k, round := range r.SampleRound {
			if r.RoundAttempt[round] == 2 {
				r.SamplesMs[k] *= factor
			}
		}
		in.Timing[i] = r
		n--
	}
	return in
}
