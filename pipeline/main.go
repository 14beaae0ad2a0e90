// Command pipeline runs dnnbench: it loads a configuration, runs the stages
// in dependency order (models → flops, accuracy, timing, memory → analyse →
// report), caching every result, and writes CSV tables, figures and the
// report under --out.
//
// Usage:
//
//	go run ./pipeline [--config configs/default.yaml] [--stage all|models|flops|accuracy|timing|memory|analyse|report]
//	                  [--device cpu|cuda|tensorrt|jetson|<name>] [--models a,b,c]
//	                  [--out out] [--cache DIR|s3://BUCKET/PREFIX] [--force] [--quiet] [--download-timeout 1m]
//	go run ./pipeline preprocess --model NAME [--crop center|ten] IMAGE... --out DIR
//	go run ./pipeline setup
//	go run ./pipeline cache verify|repair [--cache DIR]
//	go run ./pipeline compare --base DEVICE[@CACHE] --new DEVICE[@CACHE] [--cache DIR] [--out DIR]
package main

import (
	"context"
	"crypto/sha256"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/dnnbench/dnnbench/cache"
	"github.com/dnnbench/dnnbench/configs"
	"github.com/dnnbench/dnnbench/internal/childproc"
	"github.com/dnnbench/dnnbench/internal/config"
	"github.com/dnnbench/dnnbench/internal/onnxrt"
	"github.com/dnnbench/dnnbench/stages/memory"
	"github.com/dnnbench/dnnbench/stages/timing"
)

// stageNames are the --stage values in dependency order.
var stageNames = []string{"models", "flops", "accuracy", "timing", "memory", "analyse", "report"}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Stdout, os.Stderr, os.Args[1:])
	stop()
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		msg, code := failure(ctx, err)
		fmt.Fprintln(os.Stderr, msg)
		os.Exit(code)
	}
}

// failure is what main prints for err, and its exit status (1). When the
// run was interrupted (ctx is the signal context), a second line says that
// nothing completed is lost and how to continue.
func failure(ctx context.Context, err error) (string, int) {
	msg := fmt.Sprintf("pipeline: %v", err)
	if ctx.Err() != nil && errors.Is(err, context.Canceled) {
		msg += "\npipeline: interrupted; every measurement completed so far is in the cache: run the same command again to continue"
	}
	return msg, 1
}

// options are the parsed command-line flags of a run.
type options struct {
	config, stage, device, models, out, cache string
	// dataset, when set, replaces the config's accuracy.dataset.
	dataset      string
	force, quiet bool
	// outName is the output folder under out: the config's name, or for a
	// --models subset a name of its own (see subsetName).
	outName string
	// downloadTimeout fails a model download after this long without data.
	downloadTimeout time.Duration
	// remote is the bucket prefix of an s3:// --cache, whose local copy is
	// cache.
	remote *cache.S3
}

// run is main without the process: tests drive it.
func run(ctx context.Context, stdout, stderr io.Writer, args []string) error {
	if len(args) > 0 {
		switch args[0] {
		case "worker":
			return runWorker(ctx, args[1:])
		case "setup":
			return runSetup(ctx, stderr)
		case "preprocess":
			return runPreprocess(ctx, stdout, stderr, args[1:])
		case "cache":
			return runCache(ctx, stdout, stderr, args[1:])
		case "compare":
			return runCompare(ctx, stdout, stderr, args[1:])
		}
	}
	var o options
	fs := flag.NewFlagSet("pipeline", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.config, "config", "configs/default.yaml", "run configuration (YAML)")
	fs.StringVar(&o.stage, "stage", "all", "stage to run, with whatever it needs that is not cached (report and analyse measure nothing: they render the timing, memory and ceilings in the cache): all, "+strings.Join(stageNames, ", "))
	fs.StringVar(&o.device, "device", "", "device profile from configs/devices (default: the config's device, else cpu)")
	fs.StringVar(&o.models, "models", "", "comma-separated model names to run (default: all in the config)")
	fs.StringVar(&o.out, "out", "out", "output directory; results go to <out>/<config name>/")
	fs.StringVar(&o.cache, "cache", defaultCache, "cache directory, or s3://BUCKET/PREFIX shared by many machines (AWS_* variables configure it)")
	fs.StringVar(&o.dataset, "dataset", "", "ImageNet validation folder to measure accuracy on (replaces the config's accuracy.dataset)")
	fs.BoolVar(&o.force, "force", false, "recompute cached results of the selected stages")
	fs.BoolVar(&o.quiet, "quiet", false, "print only errors")
	fs.DurationVar(&o.downloadTimeout, "download-timeout", time.Minute, "fail a model download after this long without receiving data")
	fs.Usage = func() { usage(fs, stderr) }
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (subcommands: setup, preprocess, cache, compare; see --help)", fs.Arg(0))
	}
	if o.stage != "all" && !slices.Contains(stageNames, o.stage) {
		return fmt.Errorf("unknown stage %q; stages: all, %s", o.stage, strings.Join(stageNames, ", "))
	}
	var notice string
	if o.cache, notice = cacheDir(fs, o.cache, ""); notice != "" && !o.quiet {
		fmt.Fprintln(stderr, notice)
	}
	cfg, err := config.Load(o.config)
	if err != nil {
		return err
	}
	if err := checkCompareCaches(cfg); err != nil {
		return err
	}
	if o.dataset != "" {
		cfg.Accuracy.Dataset = o.dataset
	}
	if o.cache, o.remote, err = remoteCache(ctx, o.cache, cache.S3Options{}); err != nil {
		return err
	}
	devName := cfg.Device
	if o.device != "" {
		devName = o.device
	}
	dev, err := config.LoadDevice(devName, deviceDir(), configs.FS)
	if err != nil {
		return err
	}
	o.outName = cfg.Name
	if o.models != "" {
		all := cfg.Models
		if cfg.Models, err = selectModels(all, o.models); err != nil {
			return err
		}
		o.outName = subsetName(cfg.Name, all, cfg.Models)
	}
	r, err := newRunner(o, cfg, dev, stderr)
	if err != nil {
		return err
	}
	return r.run(ctx)
}

// deviceDir is configs/devices relative to the working directory, where
// users add profiles; embedded profiles are used when it is absent.
func deviceDir() string {
	if st, err := os.Stat("configs/devices"); err == nil && st.IsDir() {
		return "configs/devices"
	}
	return ""
}

func usage(fs *flag.FlagSet, w io.Writer) {
	fmt.Fprintf(w, `dnnbench: benchmark image-classification networks as Bianco et al. (2018) did.

Usage:
  go run ./pipeline [flags]                       run the configured stages
  go run ./pipeline preprocess --model NAME [--crop center|ten] [--config FILE] IMAGE... --out DIR
                                                  write the exact input tensors (.npy) and crops (.png)
  go run ./pipeline setup                         locate or fetch the ONNX Runtime library
  go run ./pipeline cache verify|repair [--cache DIR|s3://BUCKET/PREFIX]
                                                  list damaged cache files / move them aside
                                                  (for s3://, in this machine's local copy)
  go run ./pipeline compare --base DEVICE[@CACHE] --new DEVICE[@CACHE] [--cache DIR] [--out DIR]
                                                  did it get faster? benchstat-style latency ratios

Stages (in dependency order): %s
Devices (configs/devices): %s

Flags:
`, strings.Join(stageNames, ", "), strings.Join(config.Devices(deviceDir(), configs.FS), ", "))
	fs.PrintDefaults()
}

func selectModels(all []config.Model, list string) ([]config.Model, error) {
	var out []config.Model
	seen := map[string]bool{}
	for _, name := range strings.Split(list, ",") {
		name = strings.TrimSpace(name)
		if seen[name] {
			return nil, fmt.Errorf("--models: %q is listed twice; list each model once", name)
		}
		seen[name] = true
		i := slices.IndexFunc(all, func(m config.Model) bool { return m.Name == name })
		if i < 0 {
			var names []string
			for _, m := range all {
				names = append(names, m.Name)
			}
			return nil, fmt.Errorf("--models: no model %q in the config (have: %s)", name, strings.Join(names, ", "))
		}
		out = append(out, all[i])
	}
	return out, nil
}

// subsetName names the output folder of a --models run, so that a subset
// never overwrites the whole config's report: <config>-models-<a>+<b> (or a
// hash of the names when they are long). All the config's models is the
// config's own folder.
func subsetName(config string, all, subset []config.Model) string {
	if len(subset) == len(all) {
		return config
	}
	var names []string
	for _, m := range subset {
		names = append(names, m.Name)
	}
	joined := strings.Join(names, "+")
	if len(joined) > 64 {
		sum := sha256.Sum256([]byte(strings.Join(names, ",")))
		joined = fmt.Sprintf("%d-%x", len(names), sum[:6])
	}
	return config + "-models-" + joined
}

// runWorker is the child side of the timing and memory stages. It exits
// as soon as the pipeline that started it is gone, so that no orphan keeps
// running and disturbs the measurements of the next run.
func runWorker(ctx context.Context, args []string) error {
	if len(args) != 1 {
		return errors.New("worker: want one stage name (timing or memory)")
	}
	var work func(context.Context, io.Reader, io.Writer) error
	switch args[0] {
	case "timing":
		work = timing.Worker
	case "memory":
		work = memory.Worker
	default:
		return fmt.Errorf("worker: unknown stage %q", args[0])
	}
	req, err := childproc.WatchParent(os.Stdin, func() {
		fmt.Fprintln(os.Stderr, "worker: the pipeline that started this worker has exited; stopping")
		os.Exit(3)
	})
	if err != nil {
		return fmt.Errorf("worker %s: %w", args[0], err)
	}
	return work(ctx, req, os.Stdout)
}

func runSetup(ctx context.Context, stderr io.Writer) error {
	path, err := onnxrt.Setup(ctx, "", func(s string) { fmt.Fprintln(stderr, "setup:", s) })
	if err != nil {
		return err
	}
	v, err := onnxrt.Init(path)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "setup: ONNX Runtime %s at %s\n", v, path)
	return nil
}
