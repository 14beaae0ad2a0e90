package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/dnnbench/dnnbench/cache"
	"github.com/dnnbench/dnnbench/internal/config"
	"github.com/dnnbench/dnnbench/plots"
	"github.com/dnnbench/dnnbench/report"
	"github.com/dnnbench/dnnbench/stages/compare"
	"github.com/dnnbench/dnnbench/stages/models"
	"github.com/dnnbench/dnnbench/stages/timing"
)

// compareDir is the folder, under --out (or the run's output folder), that
// a comparison's CSV and Markdown go to.
const compareDir = "compare"

// runCompare is "pipeline compare --base DEVICE[@CACHE] --new
// DEVICE[@CACHE] [--cache DIR] [--out DIR]": it compares the two devices'
// stored latency samples, prints the Markdown table and writes
// compare.md, compare.csv and the figure into <out>/compare/.
func runCompare(ctx context.Context, stdout, stderr io.Writer, args []string) error {
	fs := flag.NewFlagSet("pipeline compare", flag.ContinueOnError)
	fs.SetOutput(stderr)
	base := fs.String("base", "", "the side to compare against: DEVICE (in --cache) or DEVICE@CACHE")
	nw := fs.String("new", "", "the side compared with it: DEVICE (in --cache) or DEVICE@CACHE")
	dir := fs.String("cache", defaultCache, "cache of the sides that name no cache (a directory or s3://BUCKET/PREFIX)")
	out := fs.String("out", "out", "output directory; the comparison goes to <out>/compare/")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: go run ./pipeline compare --base DEVICE[@CACHE] --new DEVICE[@CACHE] [--cache DIR] [--out DIR]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("compare: unexpected argument %q", fs.Arg(0))
	}
	if *base == "" || *nw == "" {
		return errors.New("compare: want both --base and --new, e.g. go run ./pipeline compare --base cpu --new cpu@other-machine/.dnnbench/cache")
	}
	b, n, err := config.ParseSides(*base, *nw)
	if err != nil {
		return fmt.Errorf("compare: %w", err)
	}
	var notice string
	if *dir, notice = cacheDir(fs, *dir, ""); notice != "" {
		fmt.Fprintln(stderr, notice)
	}
	stores := map[string]*cache.Store{}
	res, err := compareSides(ctx, b, n, *dir, stores, nil)
	if err != nil {
		return err
	}
	date, _ := sourceDate()
	fig, err := plots.Compare(res, plots.Options{Epoch: date})
	if err != nil {
		return err
	}
	outDir := filepath.Join(*out, compareDir)
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return err
	}
	written, err := plots.WriteFiles(outDir, []plots.Figure{fig})
	if err != nil {
		return err
	}
	link := ""
	if fig.Missing == "" {
		link = plots.CompareName + ".svg"
	}
	md := report.CompareMarkdown(res, fig.Title, link)
	paths, err := writeComparison(outDir, res, md)
	if err != nil {
		return err
	}
	if _, err := stdout.Write(md); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "compare: wrote %s\n", strings.Join(append(paths, written...), ", "))
	return nil
}

// writeComparison writes compare.csv and compare.md into dir and returns
// their paths.
func writeComparison(dir string, res *compare.Result, md []byte) ([]string, error) {
	csvPath, mdPath := filepath.Join(dir, "compare.csv"), filepath.Join(dir, "compare.md")
	if err := writeFile(csvPath, res.EncodeCSV); err != nil {
		return nil, fmt.Errorf("compare: %w", err)
	}
	err := writeFile(mdPath, func(w io.Writer) error { _, err := w.Write(md); return err })
	if err != nil {
		return nil, fmt.Errorf("compare: %w", err)
	}
	return []string{mdPath, csvPath}, nil
}

// compareSides reads each side's timing rows and compares them. A side
// without a cache reads defaultDir; stores caches the opened stores by
// directory (the run passes its own store under its directory). keep, when
// set, filters and relabels a side's rows (the report keeps the
// configured models).
func compareSides(ctx context.Context, base, nw config.Side, defaultDir string, stores map[string]*cache.Store, keep func([]timing.Row) []timing.Row) (*compare.Result, error) {
	var sides [2]compare.Side
	for i, s := range []config.Side{base, nw} {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		which := [2]string{"base", "new"}[i]
		dir := s.Cache
		if dir == "" {
			dir = defaultDir
		}
		store, err := openForReading(ctx, which, dir, stores)
		if err != nil {
			return nil, err
		}
		rows, err := cache.All[timing.Row](store, timing.Entries)
		if err != nil {
			return nil, fmt.Errorf("compare: %s %s: %w", which, s, err)
		}
		if keep != nil {
			rows = keep(rows)
		}
		sides[i] = compare.Side{Label: s.String(), Device: s.Device, Rows: rows}
	}
	return compare.Run(ctx, compare.Config{}, compare.Inputs{Base: sides[0], New: sides[1]})
}

// openForReading opens the cache in dir, once per directory. A local
// directory must exist: a comparison reads, and an empty new cache would
// only hide a typo. An s3:// cache is read in its local copy, brought up to
// date with the bucket first (see cache.Store.Sync).
func openForReading(ctx context.Context, which, dir string, stores map[string]*cache.Store) (*cache.Store, error) {
	if cache.IsS3URL(dir) {
		local, err := remoteCopyDir(dir)
		if err != nil {
			return nil, fmt.Errorf("compare: %s cache: %w", which, err)
		}
		if s, ok := stores[local]; ok {
			return s, nil
		}
		local, remote, err := remoteCache(ctx, dir, cache.S3Options{})
		if err != nil {
			return nil, fmt.Errorf("compare: %s cache: %w", which, err)
		}
		s, err := cache.Open(local)
		if err != nil {
			return nil, err
		}
		s.SetRemote(remote)
		if _, err := s.Sync(ctx); err != nil {
			return nil, fmt.Errorf("compare: %s cache: %w", which, err)
		}
		stores[local] = s
		return s, nil
	}
	if s, ok := stores[dir]; ok {
		return s, nil
	}
	if !strings.Contains(dir, "://") {
		st, err := os.Stat(dir)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return nil, fmt.Errorf("compare: %s cache %s does not exist; give the cache directory the device was measured into (DEVICE@CACHE or --cache)", which, dir)
		case err != nil:
			return nil, fmt.Errorf("compare: %s cache: %w", which, err)
		case !st.IsDir():
			return nil, fmt.Errorf("compare: %s cache %s is not a directory", which, dir)
		}
	}
	s, err := cache.Open(dir)
	if err != nil {
		return nil, err
	}
	stores[dir] = s
	return s, nil
}

// configuredRows keeps the timing rows of the configured model files,
// under the config's names: a row whose file (sha256) is configured gets
// each name the config gives that file; a row of another file keeps its
// name when the config has a model of that name (the model file changed
// between the sides, which the comparison warns about).
func configuredRows(rows []timing.Row, ms []models.Row) []timing.Row {
	bySHA := map[string][]string{}
	names := map[string]bool{}
	for _, m := range ms {
		bySHA[m.SHA256] = append(bySHA[m.SHA256], m.Model)
		names[m.Model] = true
	}
	var out []timing.Row
	for _, r := range rows {
		if ns := bySHA[r.ModelSHA256]; r.ModelSHA256 != "" && len(ns) > 0 {
			for _, name := range ns {
				r.Model = name
				out = append(out, r)
			}
			continue
		}
		if names[r.Model] {
			out = append(out, r)
		}
	}
	return out
}

// compare is report.compare: it compares the configured models' latencies
// on the two sides, writes compare.csv and compare.md into the run's
// compare folder, and returns the result and figs with the comparison's
// figure added for the report.
func (r *runner) compare(ctx context.Context, t tables, figs []plots.Figure, date time.Time) (*compare.Result, []plots.Figure, error) {
	c := r.cfg.Report.Compare
	b, n, err := config.ParseSides(c.Base, c.New)
	if err != nil {
		return nil, nil, fmt.Errorf("report.compare: %w", err)
	}
	stores := map[string]*cache.Store{r.o.cache: r.store}
	res, err := compareSides(ctx, b, n, r.o.cache, stores, func(rows []timing.Row) []timing.Row { return configuredRows(rows, t.Models) })
	if err != nil {
		return nil, nil, fmt.Errorf("report.compare: %w", err)
	}
	fig, err := plots.Compare(res, plots.Options{Epoch: date})
	if err != nil {
		return nil, nil, err
	}
	link := ""
	if fig.Missing == "" {
		link = "../figures/" + plots.CompareName + ".svg"
	}
	paths, err := writeComparison(filepath.Join(r.outDir, compareDir), res, report.CompareMarkdown(res, fig.Title, link))
	if err != nil {
		return nil, nil, err
	}
	r.log.Step(fmt.Sprintf("compare  %s vs. %s: %d cells, %d faster, %d slower; %s", n, b, len(res.Cells), res.Faster, res.Slower, strings.Join(paths, ", ")))
	return res, append(figs, fig), nil
}

// checkCompareCaches fails before any work when report.compare names a
// cache directory that does not exist.
func checkCompareCaches(cfg *config.Config) error {
	c := cfg.Report.Compare
	if c == nil {
		return nil
	}
	b, n, err := config.ParseSides(c.Base, c.New)
	if err != nil {
		return fmt.Errorf("report.compare: %w", err)
	}
	for i, s := range []config.Side{b, n} {
		if s.Cache == "" || strings.Contains(s.Cache, "://") {
			continue
		}
		if _, err := os.Stat(s.Cache); err != nil {
			return fmt.Errorf("report.compare: %s cache %s: %w; give the cache directory the device was measured into", [2]string{"base", "new"}[i], s.Cache, err)
		}
	}
	return nil
}
