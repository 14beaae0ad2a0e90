package main

import (
	"cmp"
	"context"
	"fmt"
	"github.com/dnnbench/dnnbench/internal/diag"
	"github.com/dnnbench/dnnbench/stages/analyse"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/dnnbench/dnnbench/cache"
	"github.com/dnnbench/dnnbench/configs"
	"github.com/dnnbench/dnnbench/internal/conditions"
	"github.com/dnnbench/dnnbench/internal/config"
	"github.com/dnnbench/dnnbench/internal/download"
	"github.com/dnnbench/dnnbench/internal/onnxrt"
	"github.com/dnnbench/dnnbench/internal/sweep"
	"github.com/dnnbench/dnnbench/stages/flops"
	"github.com/dnnbench/dnnbench/stages/memory"
	"github.com/dnnbench/dnnbench/stages/models"
	"github.com/dnnbench/dnnbench/stages/timing"
)

// runner holds one run's settings and state.
type runner struct {
	o        options
	cfg      *config.Config
	dev      *config.Device
	log      *progress
	store    *cache.Store
	outDir   string
	lib      string
	ortVer   string
	host     hostInfo
	warnings []diag.Warning
	// conds are the measurement conditions recorded by the timing children.
	conds *conditions.Conditions
}

func newRunner(o options, cfg *config.Config, dev *config.Device, stderr io.Writer) (*runner, error) {
	if dev.Arch != "any" && dev.Arch != runtime.GOARCH {
		return nil, fmt.Errorf("device %q is for %s machines, this one is %s", dev.Name, dev.Arch, runtime.GOARCH)
	}
	store, err := cache.Open(o.cache)
	if err != nil {
		return nil, err
	}
	if o.remote != nil {
		store.SetRemote(o.remote)
	}
	return &runner{o: o, cfg: cfg, dev: dev, log: newProgress(stderr, o.quiet), store: store,
		outDir: filepath.Join(o.out, cmp.Or(o.outName, cfg.Name)), host: readHost()}, nil
}

// wants reports whether stage s runs for --stage: the stage itself and
// everything it needs.
func (r *runner) wants(s string) bool {
	switch r.o.stage {
	case "all", "report":
		return true
	case "analyse":
		return s != "report"
	}
	return s == "models" || s == r.o.stage
}

// measures reports whether this run measures on its device: --stage
// report and analyse read timing and memory from the cache as they are
// (every device found there) and measure nothing.
func (r *runner) measures() bool {
	return r.o.stage != "report" && r.o.stage != "analyse"
}

// forced reports whether --force applies to stage s (the selected stage, or every stage with all).
func (r *runner) forced(s string) bool {
	return r.o.force && (r.o.stage == "all" || r.o.stage == s)
}

// run runs the selected stages under the cache lock. Unlocking compacts the
// cache; its error is returned when the run itself succeeded.
func (r *runner) run(ctx context.Context) (err error) {
	start := time.Now()
	r.log.Printf("dnnbench: config %s (%d models), device %s, stage %s", r.cfg.Name, len(r.cfg.Models), r.dev.Name, r.o.stage)
	lockCtx, cancel := context.WithTimeout(ctx, 30*time.Minute)
	defer cancel()
	unlock, err := r.store.LockNotify(lockCtx, r.lockWaiting)
	if err != nil {
		return err
	}
	defer func() {
		// Entries whose upload failed are tried again; on failure they stay
		// in the local copy and the next run's Sync uploads them.
		if ferr := r.store.Flush(ctx); err == nil && ferr != nil {
			err = ferr
		}
		if uerr := unlock(); err == nil && uerr != nil {
			err = fmt.Errorf("cache %s: %w", r.o.cache, uerr)
		}
		r.noteRepairs()
	}()
	if r.o.remote != nil {
		r.log.Step("cache    listing " + r.o.remote.URL())
		syncStart := time.Now()
		rep, err := r.store.Sync(ctx)
		if err != nil {
			return err
		}
		r.log.Printf("%s (local copy %s, %s)", rep, r.store.Dir(), time.Since(syncStart).Round(100*time.Millisecond))
	}
	if err := os.MkdirAll(r.outDir, 0o755); err != nil {
		return err
	}
	if r.wants("accuracy") || r.wants("timing") || r.wants("memory") {
		if err := r.initRuntime(); err != nil {
			return err
		}
	}
	var rows []models.Row
	if err := r.timed("models", func() (err error) { rows, err = r.models(ctx); return err }); err != nil {
		return err
	}
	t := tables{Models: rows}
	steps := []struct {
		name string
		run  func() error
	}{
		{"flops", func() (err error) { t.Flops, t.Ops, err = r.flops(ctx, rows); return err }},
		{"accuracy", func() (err error) { t.Accuracy, err = r.accuracy(ctx, rows, t.Flops); return err }},
		{"timing", func() (err error) {
			t.Timing, err = measuredRows[timing.Row](ctx, r, r.timing, timing.Entries, rows, r.cfg.Timing.BatchSizes, r.timingKey)
			return err
		}},
		{"memory", func() (err error) {
			t.Memory, err = measuredRows[memory.Row](ctx, r, r.memory, memory.Entries, rows, r.cfg.Memory.BatchSizes, r.memoryKey)
			return err
		}},
		// The ceilings run with timing: the roofline needs both.
		{"ceilings", func() (err error) { t.Ceilings, err = r.ceilings(ctx); return err }},
	}
	for _, st := range steps {
		stage := st.name
		if stage == "ceilings" {
			stage = "timing"
		}
		if !r.wants(stage) {
			continue
		}
		if err := r.timed(st.name, st.run); err != nil {
			return err
		}
	}
	if err := r.export(t); err != nil {
		return err
	}
	if r.wants("analyse") {
		if err := r.timed("analyse", func() error { return r.analyseAndReport(ctx, t) }); err != nil {
			return err
		}
	}
	if err := r.writeManifest(); err != nil {
		return err
	}
	r.log.Printf("%s", finalLine(time.Since(start), r.outDir, r.cfg.Report.Formats, r.wants("report")))
	return nil
}

// timed runs one stage and reports how long it took.
func (r *runner) timed(stage string, fn func() error) error {
	defer r.noteRepairs()
	start := time.Now()
	if err := fn(); err != nil {
		return err
	}
	r.log.Printf("%-8s done in %s", stage, time.Since(start).Round(100*time.Millisecond))
	return nil
}

// tables are the stage tables of this run: the analysis's inputs.
type tables = analyse.Inputs

func (r *runner) initRuntime() error {
	lib, err := onnxrt.Locate("")
	if err != nil {
		return err
	}
	v, err := onnxrt.Init(lib)
	if err != nil {
		return err
	}
	r.lib, r.ortVer = lib, v
	return nil
}

// models resolves every configured model (building zoo models once).
func (r *runner) models(ctx context.Context) ([]models.Row, error) {
	cfg := models.Config{Dir: filepath.Join(r.store.Dir(), "models", "files"), Seed: r.cfg.Seed, Reference: configs.FS,
		Timeouts: download.Timeouts{Idle: r.o.downloadTimeout}}
	in := models.Inputs{}
	for _, m := range r.cfg.Models {
		in.Specs = append(in.Specs, models.Spec{Name: m.Name, Arch: m.Arch, ONNX: m.ONNX, URLs: m.Sources(), SHA256: m.SHA256, Reference: m.Reference, Override: m.Preprocess})
	}
	n := len(in.Specs)
	clock := newStageClock(time.Now(), n)
	in.Progress = func(p models.Progress) {
		label := fmt.Sprintf("models   [%d/%d] %s", p.Index+1, n, in.Specs[p.Index].Name)
		if p.Downloading {
			r.log.Bytes(label+" downloading", p.Done, p.Total)
			return
		}
		clock.measured = p.Index // every earlier model is resolved
		r.log.Step(fmt.Sprintf("%s; stage: %d/%d models done, %s", label, p.Index, n, clock.Left(time.Now())))
	}
	res, err := models.Run(ctx, cfg, in)
	if err != nil {
		return nil, err
	}
	r.warnings = append(r.warnings, res.Warnings...)
	return res.Rows, nil
}

func (r *runner) flops(ctx context.Context, rows []models.Row) ([]flops.Row, []flops.OpRow, error) {
	cfg := flops.Config{Batch: 1}
	var all []flops.Row
	var ops []flops.OpRow
	clock := newStageClock(time.Now(), len(rows))
	for i, m := range rows {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		key, err := flops.Key(cfg, m.SHA256, m.Bytes)
		if err != nil {
			return nil, nil, err
		}
		row, okRow, err := cache.Get[flops.Row](r.store, flops.Entries, key)
		if err != nil {
			return nil, nil, err
		}
		opRows, okOps, err := cache.Get[flops.OpRow](r.store, flops.OpsEntries, key)
		if err != nil {
			return nil, nil, err
		}
		if !okRow || !okOps || len(row) != 1 || r.forced("flops") {
			r.log.Step(fmt.Sprintf("flops    [%d/%d] %s; stage: %d/%d models done, %s", i+1, len(rows), m.Model, i, len(rows), clock.Left(time.Now())))
			// Cached rows belong to the file (its sha256), not to a config
			// name: they are counted and stored unlabelled, labelled below.
			res, err := flops.Run(ctx, cfg, flops.Inputs{Files: []flops.File{{Path: m.Path}}})
			if err != nil {
				return nil, nil, fmt.Errorf("flops: %s: %w", m.Model, err)
			}
			row, opRows = res.Rows, res.Ops
			if err := cache.Put(r.store, flops.Entries, key, row); err != nil {
				return nil, nil, err
			}
			if err := cache.Put(r.store, flops.OpsEntries, key, opRows); err != nil {
				return nil, nil, err
			}
			clock.measured++
		} else {
			clock.cached++
		}
		// The model name is the config's, whatever file it came from.
		row[0].Model = m.Model
		for j := range opRows {
			opRows[j].Model = m.Model
		}
		all = append(all, row[0])
		ops = append(ops, opRows...)
	}
	return all, ops, nil
}

// session is the device profile's session settings.
func (r *runner) session() onnxrt.Options {
	return onnxrt.Options{Provider: r.dev.Provider, ProviderOptions: r.dev.ProviderOptions, IntraOpThreads: r.dev.IntraOpThreads,
		InterOpThreads: r.dev.InterOpThreads, GraphOptimization: r.dev.GraphOptimization}
}

// fingerprint identifies the device a measurement ran on. The profile's
// peak_gflops only labels the report, so it is left out: changing it must
// not discard measurements.
func (r *runner) fingerprint() map[string]any {
	dev := *r.dev
	dev.PeakGFLOPS = 0
	return map[string]any{"device": dev, "cpu": r.host.CPUModel, "cores": r.host.Cores, "ort": r.ortVer, "arch": runtime.GOARCH}
}

func (r *runner) exe() (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("cannot find the pipeline executable for worker processes: %w", err)
	}
	return exe, nil
}

// timing measures the cells missing from the cache in timing.processes
// passes over the models, then re-measures the ones this run found
// unstable (timing.max_remeasure times at most, while the run's
// re-measurements stay under timing.remeasure_seconds), pooling every
// attempt's rounds.
//
// Pass p times each model in its p-th worker process, so a cell's
// processes are a whole pass apart: a slow spell of the host lasting
// seconds or tens of seconds, which no probe sees, cannot cover both, and
// a stable cell needs their rounds to agree. A cell whose row holds fewer
// processes than its pass (a run killed between passes) is completed by
// the next run's later passes.
func (r *runner) timing(ctx context.Context, rows []models.Row) error {
	exe, err := r.exe()
	if err != nil {
		return err
	}
	t := r.cfg.Timing
	tc := r.timingConfig(r.worker(exe))
	if err := tc.Validate(); err != nil {
		return err
	}
	procs := max(t.Processes, 1)
	// cur holds each model's latest row per batch size (cached or measured
	// in this run); first the batch sizes missing from the cache.
	cur := make([]map[int]timing.Row, len(rows))
	first := make([][]int, len(rows))
	clock := newStageClock(time.Now(), 0)
	for i, m := range rows {
		keys, missing, err := missingBatches[timing.Row](r, "timing", timing.Entries, m, t.BatchSizes, r.timingKey)
		if err != nil {
			return err
		}
		first[i], cur[i] = missing, map[int]timing.Row{}
		clock.total += len(missing) * procs
		for _, b := range t.BatchSizes {
			if slices.Contains(missing, b) {
				continue
			}
			got, ok, err := cache.Get[timing.Row](r.store, timing.Entries, keys[b])
			if err != nil {
				return err
			}
			if ok && len(got) == 1 {
				cur[i][b] = got[0]
				if got[0].Status == sweep.OK && got[0].Attempts < int64(procs) {
					clock.total += procs - int(got[0].Attempts)
				}
			}
		}
	}
	// unstable holds, per model index, this run's unstable "ok" rows.
	unstable := map[int][]timing.Row{}
	var canaries []float64 // every round's host canary so far
	// measure runs one worker process over model i's batches, pooling
	// prior; stage says, for the log line, how far the stage is and what
	// is left of it.
	measure := func(i int, m models.Row, label string, batches []int, prior []timing.Row, stage func(modelDone bool) string) ([]timing.Row, error) {
		delete(unstable, i)
		measured := clock.measured
		res, err := timing.Run(ctx, tc, timing.Inputs{Model: timing.Model{Name: m.Model, Path: m.Path, Prior: prior}, Batches: batches,
			Progress: func(p sweep.Progress) {
				clock.measured = measured + p.Done
				r.log.Step(fmt.Sprintf("%s batch %d (%d/%d, model ETA %s); stage: %s",
					label, p.Batch, p.Done, p.Total, p.ETA.Round(time.Second), stage(p.Done == p.Total)))
			}})
		clock.measured = measured + len(batches)
		if err != nil {
			return nil, err
		}
		// Into the cache before the next model: a later failure loses none of these.
		for _, row := range res.Rows {
			row.ModelSHA256 = m.SHA256
			key, err := r.timingKey(m, int(row.Batch))
			if err == nil {
				err = cache.Put(r.store, timing.Entries, key, []timing.Row{row})
			}
			if err != nil {
				return nil, fmt.Errorf("timing: %s batch %d: %w", row.Model, row.Batch, err)
			}
			if row.Status == sweep.OK && !row.Stable {
				unstable[i] = append(unstable[i], row)
			}
			// Later models' rounds are judged against the canary
			// reference of the run so far.
			canaries = append(canaries, row.LatestCanaries()...)
			tc.CanaryRefMs = timing.CanaryReference(canaries)
		}
		r.warnings = append(r.warnings, res.Warnings...)
		if res.Conditions.ORTVersion != "" {
			r.conds = &res.Conditions
			return res.Rows, r.saveConditions(res.Conditions)
		}
		return res.Rows, nil
	}
	for p := 1; p <= procs; p++ {
		for i, m := range rows {
			// Pass 1 times the missing cells; later passes the "ok" rows
			// with fewer processes than the pass, pooling their rounds.
			batches := first[i]
			var prior []timing.Row
			if p > 1 {
				batches = nil
				for _, b := range t.BatchSizes {
					if row, ok := cur[i][b]; ok && row.Status == sweep.OK && row.Attempts < int64(p) {
						batches, prior = append(batches, b), append(prior, row)
					}
				}
			}
			if len(batches) == 0 {
				continue
			}
			label := fmt.Sprintf("timing   [%d/%d] %s", i+1, len(rows), m.Model)
			stage := func(done bool) string {
				n := i
				if done {
					n++
				}
				if procs == 1 {
					return fmt.Sprintf("%d/%d models done, %s", n, len(rows), clock.Left(time.Now()))
				}
				return fmt.Sprintf("pass %d/%d, %d/%d models done, %s", p, procs, n, len(rows), clock.Left(time.Now()))
			}
			if procs > 1 {
				label += fmt.Sprintf(" (process %d/%d)", p, procs)
			}
			got, err := measure(i, m, label, batches, prior, stage)
			if err != nil {
				return err
			}
			for _, row := range got {
				cur[i][int(row.Batch)] = row
				if row.Status != sweep.OK {
					clock.total -= procs - p // a failed cell is not timed again
				}
			}
		}
	}
	start := time.Now()
	budget := time.Duration(t.RemeasureSeconds * float64(time.Second))
	for pass := 1; pass <= t.MaxRemeasure && len(unstable) > 0; pass++ {
		order := cheapestFirst(unstable)
		for k, i := range order {
			m, prior := rows[i], unstable[i]
			if time.Since(start) >= budget {
				left, all := 0, 0
				for _, j := range order[k:] {
					left += len(unstable[j])
				}
				for _, u := range unstable {
					all += len(u)
				}
				r.warnings = append(r.warnings, diag.Warning{Stage: "timing", Code: "remeasure-budget", Message: fmt.Sprintf(
					"re-measurement stopped at its %.0f s budget (timing.remeasure_seconds) in pass %d of %d: %d unstable cells were not measured again in that pass, and %d cells remain unstable", t.RemeasureSeconds, pass, t.MaxRemeasure, left, all)})
				return nil
			}
			var batches []int
			for _, p := range prior {
				batches = append(batches, int(p.Batch))
			}
			clock.total += len(batches) // re-measuring adds work to the stage
			label := fmt.Sprintf("timing   re-measure %d/%d [%d/%d] %s", pass, t.MaxRemeasure, i+1, len(rows), m.Model)
			left := (budget - time.Since(start)).Round(time.Second)
			if _, err := measure(i, m, label, batches, prior, func(bool) string {
				return fmt.Sprintf("%d/%d models done, re-measuring unstable cells for at most %s more (timing.remeasure_seconds)", len(rows), len(rows), left)
			}); err != nil {
				return err
			}
		}
	}
	return nil
}

// cheapestFirst orders the models of unstable by what re-measuring their
// cells costs, the sum of the cells' median batch latencies, cheapest
// first (then by index): within timing.remeasure_seconds the most cells get
// another look, rather than the budget going to a few slow networks.
func cheapestFirst(unstable map[int][]timing.Row) []int {
	cost := map[int]float64{}
	var order []int
	for i, rows := range unstable {
		if len(rows) == 0 {
			continue
		}
		for _, r := range rows {
			cost[i] += r.LatencyMsMedian
		}
		order = append(order, i)
	}
	sort.Slice(order, func(a, b int) bool {
		if cost[order[a]] != cost[order[b]] {
			return cost[order[a]] < cost[order[b]]
		}
		return order[a] < order[b]
	})
	return order
}

func (r *runner) memory(ctx context.Context, rows []models.Row) error {
	exe, err := r.exe()
	if err != nil {
		return err
	}
	mc := r.memoryConfig(r.worker(exe))
	if err := mc.Validate(); err != nil {
		return err
	}
	clock := newStageClock(time.Now(), len(rows)*len(r.cfg.Memory.BatchSizes))
	for i, m := range rows {
		keys, missing, err := missingBatches[memory.Row](r, "memory", memory.Entries, m, r.cfg.Memory.BatchSizes, r.memoryKey)
		if err != nil {
			return err
		}
		clock.cached += len(r.cfg.Memory.BatchSizes) - len(missing)
		if len(missing) == 0 {
			continue
		}
		label := fmt.Sprintf("memory   [%d/%d] %s", i+1, len(rows), m.Model)
		measured := clock.measured
		res, err := memory.Run(ctx, mc, memory.Inputs{
			Inputs: sweep.Inputs[memory.Model]{Model: memory.Model{Name: m.Model, Path: m.Path}, Batches: missing,
				Progress: func(p sweep.Progress) {
					clock.measured = measured + p.Done
					r.log.Step(fmt.Sprintf("%s batch %d (%d/%d); stage: %d/%d models done, %s", label, p.Batch, p.Done, p.Total, i+p.Done/p.Total, len(rows), clock.Left(time.Now())))
				}},
			// Each row goes into the cache as soon as it is known.
			Checkpoint: func(row memory.Row) error {
				row.ModelSHA256 = m.SHA256
				return cache.Put(r.store, memory.Entries, keys[int(row.Batch)], []memory.Row{row})
			},
		})
		clock.measured = measured + len(missing)
		if err != nil {
			return err
		}
		r.warnings = append(r.warnings, res.Warnings...)
	}
	return nil
}

// worker is how the timing and memory stages start their worker processes
// (exe, normally this binary) on this run's device.
func (r *runner) worker(exe string) sweep.Worker {
	return sweep.Worker{Exe: exe, Hold: r.workersHold(), LibPath: r.lib, Session: r.session()}
}

// missingBatches returns model m's cache key for each batch size of a
// device stage and the batch sizes, in the order given, that must be
// measured: those whose entry is not in the cache, or all of them when
// --force applies to the stage.
func missingBatches[T any](r *runner, stage, entries string, m models.Row, batches []int, key func(models.Row, int) (string, error)) (map[int]string, []int, error) {
	keys := map[int]string{}
	var missing []int
	for _, b := range batches {
		k, err := key(m, b)
		if err != nil {
			return nil, nil, err
		}
		keys[b] = k
		_, ok, err := cache.Get[T](r.store, entries, k)
		if err != nil {
			return nil, nil, err
		}
		if !ok || r.forced(stage) {
			missing = append(missing, b)
		}
	}
	return keys, missing, nil
}

// timingConfig is the timing stage's settings for this run, its workers
// started as w.
func (r *runner) timingConfig(w sweep.Worker) timing.Config {
	t := r.cfg.Timing
	return timing.Config{Worker: w, Device: r.dev.Name, NVML: r.dev.MemorySampler == "nvml",
		Warmup: t.Warmup, Runs: t.Runs, MinSeconds: t.MinSeconds, Rounds: t.Rounds, Processes: t.Processes}
}

// memoryConfig is the memory stage's settings for this run, its workers
// started as w.
func (r *runner) memoryConfig(w sweep.Worker) memory.Config {
	return memory.Config{Worker: w, Device: r.dev.Name, Sampler: r.dev.MemorySampler}
}

// timingKey is timing.Key for model m's batch size on this run's device.
func (r *runner) timingKey(m models.Row, batch int) (string, error) {
	return timing.Key(r.timingConfig(sweep.Worker{}), m.SHA256, batch, r.fingerprint())
}

// memoryKey is memory.Key for model m's batch size on this run's device.
func (r *runner) memoryKey(m models.Row, batch int) (string, error) {
	return memory.Key(r.memoryConfig(sweep.Worker{}), m.SHA256, batch, r.fingerprint())
}

// deviceRow is a pointer to a row of the timing or memory table.
type deviceRow[T any] interface {
	*T
	Cell() sweep.Cell
	SetModel(name string)
}

// measuredRows is a device stage's step: it runs measure (the stage's
// sweep over what the cache lacks) when this run measures, then reads the
// stage's rows with mergedRows.
func measuredRows[T any, P deviceRow[T]](ctx context.Context, r *runner, measure func(context.Context, []models.Row) error, stage string, rows []models.Row, batches []int, key func(models.Row, int) (string, error)) ([]T, error) {
	if r.measures() {
		if err := measure(ctx, rows); err != nil {
			return nil, err
		}
	}
	return mergedRows[T, P](r, stage, rows, batches, key)
}

// mergedRows reads a stage's rows for the configured models. Rows belong to
// model files, not names: each is labelled with the name the current config
// gives its file (sha256), so two config names for one file both get rows
// and a renamed model keeps its measurements. This device's rows are those
// of the current keys; other devices' rows (a cache copied from a Jetson,
// say) are matched by the file's sha256 and taken as found, one per model ×
// device × batch.
func mergedRows[T any, P deviceRow[T]](r *runner, stage string, rows []models.Row, batches []int, key func(models.Row, int) (string, error)) ([]T, error) {
	var out []T
	seen := map[sweep.Cell]bool{}
	// add keeps row under model m's config name; another device's row only
	// when no row for its model × device × batch is kept yet.
	add := func(row T, m models.Row, other bool) {
		P(&row).SetModel(m.Model)
		id := ident(P(&row).Cell())
		if !other || !seen[id] {
			seen[id] = true
			out = append(out, row)
		}
	}
	for _, m := range rows {
		for _, b := range batches {
			k, err := key(m, b)
			if err != nil {
				return nil, err
			}
			got, ok, err := cache.Get[T](r.store, stage, k)
			if err != nil {
				return nil, err
			}
			if ok && len(got) == 1 {
				add(got[0], m, false)
			}
		}
	}
	all, err := cache.All[T](r.store, stage)
	if err != nil {
		return nil, err
	}
	bySHA := map[string][]models.Row{}
	for _, m := range rows {
		bySHA[m.SHA256] = append(bySHA[m.SHA256], m)
	}
	for _, row := range all {
		c := P(&row).Cell()
		if c.Device == r.dev.Name && r.measures() {
			continue
		}
		for _, m := range bySHA[c.ModelSHA256] {
			add(row, m, true)
		}
	}
	slices.SortStableFunc(out, func(a, b T) int {
		ca, cb := P(&a).Cell(), P(&b).Cell()
		return cmp.Or(strings.Compare(ca.Model, cb.Model), strings.Compare(ca.Device, cb.Device), cmp.Compare(ca.Batch, cb.Batch))
	})
	return out, nil
}

// ident is what makes a merged row unique: its model's config name, device
// and batch size.
func ident(c sweep.Cell) sweep.Cell {
	return sweep.Cell{Model: c.Model, Device: c.Device, Batch: c.Batch}
}
