package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/dnnbench/dnnbench/configs"
	"github.com/dnnbench/dnnbench/internal/atomicfile"
	"github.com/dnnbench/dnnbench/internal/conditions"
	"github.com/dnnbench/dnnbench/internal/config"
	"github.com/dnnbench/dnnbench/plots"
	"github.com/dnnbench/dnnbench/report"
	"github.com/dnnbench/dnnbench/stages/analyse"
)

// analyseAndReport runs analyse on the stage tables and, when selected,
// draws the figures and renders the report.
func (r *runner) analyseAndReport(ctx context.Context, t tables) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	res, err := analyse.Run(ctx, analyse.Config{MemoryGB: r.cfg.Report.Constraints.MemoryGB, FPS: r.cfg.Report.Constraints.FPS}, t)
	if err != nil {
		return err
	}
	for _, t := range res.Tables() {
		if err := writeFile(filepath.Join(r.outDir, "analysis", t.Name), t.WriteCSV); err != nil {
			return err
		}
	}
	r.log.Step("analyse  tables written to " + filepath.Join(r.outDir, "analysis"))
	if !r.wants("report") {
		return nil
	}
	date, _ := sourceDate()
	figs, err := plots.Render(res, plots.Options{Epoch: date, LogAxes: r.cfg.Report.LogAxes})
	if err != nil {
		return err
	}
	opt := report.Options{}
	if r.cfg.Report.Compare != nil {
		if opt.Compare, figs, err = r.compare(ctx, t, figs, date); err != nil {
			return err
		}
	}
	if _, err := plots.WriteFiles(filepath.Join(r.outDir, "figures"), figs); err != nil {
		return err
	}
	rep, err := report.New(opt, r.setup(res, date), res, figs)
	if err != nil {
		return err
	}
	for _, f := range r.cfg.Report.Formats {
		if err := writeFile(filepath.Join(r.outDir, "report."+f), func(w io.Writer) error { return rep.Write(f, w) }); err != nil {
			return err
		}
	}
	// A report in a format this run did not write is an older run's: remove it.
	for _, f := range report.Formats() {
		if slices.Contains(r.cfg.Report.Formats, f) {
			continue
		}
		if err := os.Remove(filepath.Join(r.outDir, "report."+f)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	r.log.Step("report   " + filepath.Join(r.outDir, "report.{"+strings.Join(r.cfg.Report.Formats, ",")+"}"))
	return nil
}

// sourceDate is SOURCE_DATE_EPOCH, or the zero time when unset, so
// identical inputs give byte-identical reports.
func sourceDate() (time.Time, bool) {
	t, src := runTime()
	if src != "SOURCE_DATE_EPOCH" {
		return time.Time{}, false
	}
	return t.UTC(), true
}

// setup describes the run for the report's setup section.
func (r *runner) setup(res *analyse.Result, date time.Time) report.Setup {
	m := r.manifest()
	s := report.Setup{ToolVersion: version, Commit: m.Commit, GoVersion: m.Go, ORTVersion: m.ORT,
		HostCPU: r.host.CPUModel, HostCores: r.host.Cores, HostMemoryBytes: r.host.MemoryBytes,
		OS: r.host.OS + "/" + r.host.Arch, Kernel: r.host.Kernel, Distro: r.host.Distro,
		Warnings: r.warnings, ConfigName: r.cfg.Name, ConfigHash: m.ConfigHash,
		Command: r.command(), Date: date}
	for _, name := range res.Devices {
		p := report.DeviceProfile{Name: name}
		var nominal float64
		if d, err := config.LoadDevice(name, deviceDir(), configs.FS); err == nil {
			p = report.DeviceProfile{Name: d.Name, Description: d.Description, Provider: d.Provider, Sampler: d.MemorySampler}
			nominal = d.PeakGFLOPS
		}
		c, ok := r.loadConditions(name)
		p.PeakFLOPS, p.PeakMethod = devicePeak(nominal, c, ok)
		s.Devices = append(s.Devices, p)
		if ok {
			s.Conditions = append(s.Conditions, conditionLines(name, c)...)
		}
	}
	return s
}

// devicePeak is a device's peak FLOP/s and how it was obtained: the
// profile's peak_gflops when set (nominal), otherwise the peak detected
// where the device was measured (recorded with its conditions).
func devicePeak(nominalGFLOPS float64, c conditions.Conditions, haveConditions bool) (float64, string) {
	switch {
	case nominalGFLOPS > 0:
		return nominalGFLOPS * 1e9, "nominal (profile's peak_gflops)"
	case !haveConditions:
		return 0, "no measurement conditions recorded for this device (run its timing stage)"
	case c.Peak.GFLOPS > 0:
		return c.Peak.GFLOPS * 1e9, c.Peak.Method
	case c.Peak.Method != "":
		return 0, c.Peak.Method
	}
	return 0, "not detected: the device's conditions predate peak detection (rerun its timing stage with --force)"
}

// command is the command line that reproduces this report.
func (r *runner) command() string {
	c := "go run ./pipeline --config " + r.o.config + " --device " + r.dev.Name
	if r.o.models != "" {
		c += " --models " + r.o.models
	}
	return c
}

func conditionLines(device string, c conditions.Conditions) []string {
	lines := []string{fmt.Sprintf("%s: CPU: %s (%d logical CPUs, %s/%s)", device, c.CPUModel, c.LogicalCPUs, c.OS, c.Arch)}
	if len(c.Governors) > 0 {
		lines = append(lines, fmt.Sprintf("%s: CPU governor: %s, clock %.0f–%.0f MHz", device, strings.Join(c.Governors, ", "), c.FreqMHzMin, c.FreqMHzMax))
	}
	lines = append(lines, fmt.Sprintf("%s: provider %s, ONNX Runtime %s, intra-op threads %d, inter-op threads %d (0 = runtime default)",
		device, c.Provider, c.ORTVersion, c.IntraOpThreads, c.InterOpThreads))
	for _, g := range c.GPUs {
		b, _ := json.Marshal(g)
		lines = append(lines, fmt.Sprintf("%s: GPU %s", device, b))
	}
	for _, n := range c.Notes {
		lines = append(lines, fmt.Sprintf("%s: note: %s", device, n))
	}
	return lines
}

// conditionsKind is the cache documents holding each device's latest
// measurement conditions, <cache>/conditions/<device>.json (shared through
// an s3:// cache like the entries).
const conditionsKind = "conditions"

func (r *runner) saveConditions(c conditions.Conditions) error {
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	return r.store.PutDoc(conditionsKind, r.dev.Name+".json", b)
}

func (r *runner) loadConditions(device string) (conditions.Conditions, bool) {
	var c conditions.Conditions
	if !config.ValidName(device) {
		return c, false
	}
	b, ok, err := r.store.Doc(conditionsKind, device+".json")
	if err != nil || !ok || json.Unmarshal(b, &c) != nil {
		return c, false
	}
	return c, true
}

// writeFile writes path through write, creating its directory: the
// pipeline's one way to write a file. A reader sees the old contents or the
// whole new ones (atomicfile.Write); an error names the path.
func writeFile(path string, write func(io.Writer) error) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return atomicfile.Write(path, "."+filepath.Base(path)+".tmp-*", write)
}
