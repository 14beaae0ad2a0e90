package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/dnnbench/dnnbench/cache"
	"github.com/dnnbench/dnnbench/internal/preprocess"
	"github.com/dnnbench/dnnbench/stages/accuracy"
	"github.com/dnnbench/dnnbench/stages/flops"
	"github.com/dnnbench/dnnbench/stages/models"
)

// accuracy scores every model; the flops rows, when this run has them,
// give each network's activations for the batch's memory bound.
func (r *runner) accuracy(ctx context.Context, rows []models.Row, fl []flops.Row) ([]accuracy.Row, error) {
	activation := map[string]int64{}
	for _, f := range fl {
		activation[f.Model] = f.PeakActivationBytes
	}
	ac := accuracy.Config{Dataset: r.cfg.Accuracy.Dataset, Crops: r.cfg.Accuracy.Crops, Limit: r.cfg.Accuracy.Limit,
		BatchSize: r.cfg.Accuracy.BatchSize, Workers: r.cfg.Accuracy.Workers, Library: r.lib,
		MaxSkippedPercent: r.cfg.Accuracy.MaxSkippedPercent(), Session: r.session()}
	var out []accuracy.Row
	// The stage clock counts images; every model still to come is assumed
	// to score as many as the current one.
	clock := newStageClock(time.Now(), 0)
	seen := map[string]bool{} // dataset warnings, the same for every model
	for i, m := range rows {
		p, err := accuracyPreprocess(m.Model, m.Preprocess)
		if err != nil {
			return nil, err
		}
		am := accuracy.Model{Name: m.Model, Path: m.Path, Weights: m.Weights, Reference: m.Reference, Preprocess: p,
			ActivationBytes: activation[m.Model]}
		label := fmt.Sprintf("accuracy [%d/%d] %s", i+1, len(rows), m.Model)
		cp := &chunkCheckpoint{Store: r.store, ModelSHA256: m.SHA256, Runtime: r.ortVer, Device: r.dev.Name, Force: r.forced("accuracy")}
		cached, measured := clock.cached, clock.measured
		res, err := accuracy.Run(ctx, ac, accuracy.Inputs{Model: am, Checkpoint: cp, Progress: func(done, total int) {
			clock.total = cached + measured + total*(len(rows)-i)
			clock.cached = cached + cp.CachedImages
			clock.measured = measured + done - cp.CachedImages
			finished := i
			if done >= total {
				finished++
			}
			r.log.Count(label, done, total, fmt.Sprintf("; stage: %d/%d models done, %s", finished, len(rows), clock.Left(time.Now())))
		}})
		if err != nil {
			return nil, err
		}
		var dataset []string
		for _, w := range res.Warnings {
			if w.Code != accuracy.DatasetWarning {
				r.warnings = append(r.warnings, w)
			} else if !seen[w.Message] {
				seen[w.Message] = true
				r.warnings = append(r.warnings, w)
				dataset = append(dataset, w.Message)
			}
		}
		r.summariseAccuracy(res.Rows, dataset)
		out = append(out, res.Rows...)
	}
	return out, nil
}

// summariseAccuracy prints the dataset's problems (once) and each row's
// skipped images or failure, so they are seen before the report.
func (r *runner) summariseAccuracy(rows []accuracy.Row, dataset []string) {
	const most = 5
	for i, w := range dataset {
		if i == most {
			r.log.Printf("  … and %d more dataset warnings (see the report)", len(dataset)-most)
			break
		}
		r.log.Printf("  %s", w)
	}
	for _, a := range rows {
		switch {
		case a.Status == accuracy.StatusError:
			r.log.Printf("  accuracy: %s %s crop FAILED: %s", a.Model, a.Crop, a.Error)
		case a.Skipped > 0:
			r.log.Printf("  accuracy: %s %s crop: %d of %d images skipped (listed in accuracy.csv warnings); top-1 %.2f%% over the %d read",
				a.Model, a.Crop, a.Skipped, a.N+a.Skipped, a.Top1, a.N)
		}
	}
}

// accuracyPreprocess checks the model's resolved preprocessing before any
// image is read, also when only published accuracy is looked up.
func accuracyPreprocess(name string, spec preprocess.Spec) (accuracy.Preprocess, error) {
	p := accuracy.Preprocess(spec)
	if err := p.Validate(); err != nil {
		return accuracy.Preprocess{}, fmt.Errorf("accuracy: %s: %w", name, err)
	}
	return p, nil
}

// export writes every stage table this run produced as CSV under the output directory.
func (r *runner) export(t tables) error {
	write := func(name string, fn func(io.Writer) error) error {
		return writeFile(filepath.Join(r.outDir, name), fn)
	}
	sort.SliceStable(t.Ops, func(i, j int) bool {
		if t.Ops[i].Model != t.Ops[j].Model {
			return t.Ops[i].Model < t.Ops[j].Model
		}
		return t.Ops[i].Op < t.Ops[j].Op
	})
	if err := write("models.csv", func(w io.Writer) error { return cache.WriteCSV(w, t.Models) }); err != nil {
		return err
	}
	if r.wants("flops") {
		if err := write("flops.csv", func(w io.Writer) error { return cache.WriteCSV(w, t.Flops) }); err != nil {
			return err
		}
		if err := write("flops_ops.csv", func(w io.Writer) error { return cache.WriteCSV(w, t.Ops) }); err != nil {
			return err
		}
	}
	if r.wants("accuracy") {
		if err := write("accuracy.csv", func(w io.Writer) error { return cache.WriteCSV(w, t.Accuracy) }); err != nil {
			return err
		}
	}
	if r.wants("timing") {
		if err := write("timing.csv", func(w io.Writer) error { return cache.WriteCSV(w, t.Timing) }); err != nil {
			return err
		}
	}
	if r.wants("memory") {
		if err := write("memory.csv", func(w io.Writer) error { return cache.WriteCSV(w, t.Memory) }); err != nil {
			return err
		}
	}
	return os.MkdirAll(r.outDir, 0o755)
}
