package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"slices"

	"github.com/dnnbench/dnnbench/cache"
	"github.com/dnnbench/dnnbench/configs"
	"github.com/dnnbench/dnnbench/internal/config"
	"github.com/dnnbench/dnnbench/internal/preprocess"
	"github.com/dnnbench/dnnbench/stages/accuracy"
	"github.com/dnnbench/dnnbench/stages/models"
)

// runPreprocess writes the exact input tensor (.npy) and crop (.png) a model
// sees for each image.
func runPreprocess(ctx context.Context, stdout, stderr io.Writer, args []string) error {
	fs := flag.NewFlagSet("preprocess", flag.ContinueOnError)
	fs.SetOutput(stderr)
	model := fs.String("model", "", "model name from the config (required)")
	crop := fs.String("crop", "center", "crop mode: center or ten")
	cfgPath := fs.String("config", "configs/default.yaml", "run configuration that defines the model")
	out := fs.String("out", "", "directory for the .npy tensors and .png crops (required)")
	cacheFlag := fs.String("cache", defaultCache, "cache directory (for models that are not zoo architectures)")
	// Accept flags after the image list too: IMAGE... --out DIR.
	var images []string
	rest := args
	for {
		if err := fs.Parse(rest); err != nil {
			return err
		}
		if fs.NArg() == 0 {
			break
		}
		images = append(images, fs.Arg(0))
		rest = fs.Args()[1:]
	}
	if *model == "" || *out == "" || len(images) == 0 {
		return fmt.Errorf("preprocess: usage: preprocess --model NAME [--crop center|ten] IMAGE... --out DIR")
	}
	if *crop != "center" && *crop != "ten" {
		return fmt.Errorf("preprocess: --crop %q must be center or ten", *crop)
	}
	cfg, err := config.Load(*cfgPath)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(cfg.Models, func(m config.Model) bool { return m.Name == *model })
	if i < 0 {
		return fmt.Errorf("preprocess: no model %q in %s", *model, *cfgPath)
	}
	m := cfg.Models[i]
	ms := models.Spec{Name: m.Name, Arch: m.Arch, ONNX: m.ONNX, URLs: m.Sources(), SHA256: m.SHA256, Reference: m.Reference, Override: m.Preprocess}
	var spec preprocess.Spec
	if m.Arch != "" {
		if spec, err = models.SpecPreprocess(ms, configs.FS); err != nil {
			return err
		}
	} else {
		dir, notice := cacheDir(fs, *cacheFlag, "")
		if notice != "" {
			fmt.Fprintln(stderr, notice)
		}
		store, err := cache.Open(dir)
		if err != nil {
			return err
		}
		res, err := models.Run(ctx, models.Config{Dir: filepath.Join(store.Dir(), "models", "files"), Seed: cfg.Seed, Reference: configs.FS}, models.Inputs{Specs: []models.Spec{ms}})
		if err != nil {
			return err
		}
		spec = res.Rows[0].Preprocess
	}
	p, err := accuracyPreprocess(m.Name, spec)
	if err != nil {
		return err
	}
	written, err := accuracy.WritePreprocessed(p, *crop, images, *out)
	if err != nil {
		return err
	}
	for _, w := range written {
		fmt.Fprintln(stdout, w)
	}
	return nil
}
