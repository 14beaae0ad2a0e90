package main

import (
	"cmp"
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/dnnbench/dnnbench/cache"
	"github.com/dnnbench/dnnbench/configs"
	"github.com/dnnbench/dnnbench/internal/config"
	"github.com/dnnbench/dnnbench/internal/diag"
	"github.com/dnnbench/dnnbench/stages/ceilings"
	"github.com/dnnbench/dnnbench/stages/timing"
)

// ceilings measures this device's roofline ceilings unless the cache holds
// them for its fingerprint, and returns them with every other device's
// cached ceilings. Where the runtime cannot run the graphs, this device
// gets its detected nominal peak (not cached), and a warning says why; a
// measurement on a loaded host is used with a warning but not cached.
func (r *runner) ceilings(ctx context.Context) ([]ceilings.Row, error) {
	cfg := ceilings.Config{Device: r.dev.Name, Session: r.session(), Dir: filepath.Join(r.store.Dir(), "ceilings", "graphs")}.WithDefaults()
	key, err := cache.Key(ceilings.Schema, "ceilings", cfg.MatMul, cfg.Conv, cfg.Stream, cfg.MinRuns, cfg.MinSeconds, r.fingerprint())
	if err != nil {
		return nil, err
	}
	got, ok, err := cache.Get[ceilings.Row](r.store, ceilings.Entries, key)
	if err != nil {
		return nil, err
	}
	var own ceilings.Row
	switch {
	case ok && len(got) == 1 && !r.forced("timing"):
		own = got[0]
	case !r.measures():
		// --stage report and analyse measure nothing: they render the
		// ceilings every device left in the cache.
		all, err := cache.All[ceilings.Row](r.store, ceilings.Entries)
		if err != nil {
			return nil, err
		}
		return mergeCeilings(ceilings.Row{}, all), nil
	default:
		r.log.Step("ceilings " + r.dev.Name + ": compute (MatMul, Conv) and bandwidth (Add) graphs")
		m, err := ceilings.Measure(ctx, cfg)
		switch {
		case err != nil && ctx.Err() != nil:
			return nil, ctx.Err()
		case err != nil:
			own = r.nominalCeiling()
			r.warnings = append(r.warnings, diag.Warning{Stage: "ceilings", Device: r.dev.Name, Code: "ceilings-nominal",
				Message: fmt.Sprintf("not measured (%v); the roofline uses the detected peak %.1f GFLOP/s (method nominal) and no bandwidth ceiling", err, own.PeakGFLOPS)})
		case m.Loaded():
			// A loaded measurement is used once but not cached, so the
			// next run measures again.
			own = m.Row
			r.warnings = append(r.warnings, diag.Warning{Stage: "ceilings", Device: r.dev.Name, Code: "ceilings-loaded",
				Message: fmt.Sprintf("measured while other processes used %.1f cores (more than %g), so the ceilings are likely too low; not cached, the next run measures them again", m.OtherCPU, timing.MaxOtherCPU)})
		default:
			own = m.Row
			if err := cache.Put(r.store, ceilings.Entries, key, []ceilings.Row{own}); err != nil {
				return nil, err
			}
		}
	}
	own.Device = r.dev.Name
	all, err := cache.All[ceilings.Row](r.store, ceilings.Entries)
	if err != nil {
		return nil, err
	}
	return mergeCeilings(own, all), nil
}

// mergeCeilings is this device's row (none when own has no device) and one
// row per other device found
// in the cache (a cache copied from another machine): where a device has
// several entries (older fingerprints), the highest measured peak is kept,
// so the choice never depends on the order entries are read. Rows are
// sorted by device.
func mergeCeilings(own ceilings.Row, cached []ceilings.Row) []ceilings.Row {
	best := map[string]ceilings.Row{}
	for _, c := range cached {
		if c.Device == own.Device || c.Device == "" {
			continue
		}
		if b, ok := best[c.Device]; !ok || c.PeakGFLOPS > b.PeakGFLOPS || (c.PeakGFLOPS == b.PeakGFLOPS && c.BandwidthGBs > b.BandwidthGBs) {
			best[c.Device] = c
		}
	}
	var out []ceilings.Row
	if own.Device != "" {
		out = append(out, own)
	}
	for _, c := range best {
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b ceilings.Row) int { return strings.Compare(a.Device, b.Device) })
	return out
}

// nominalCeiling is this device's detected nominal peak (the profile's
// peak_gflops, else the peak recorded with its measurement conditions).
func (r *runner) nominalCeiling() ceilings.Row {
	var nominal float64
	if d, err := config.LoadDevice(r.dev.Name, deviceDir(), configs.FS); err == nil {
		nominal = d.PeakGFLOPS
	}
	nominal = cmp.Or(nominal, r.dev.PeakGFLOPS)
	c, ok := r.loadConditions(r.dev.Name)
	if r.conds != nil {
		c, ok = *r.conds, true
	}
	flops, _ := devicePeak(nominal, c, ok)
	return ceilings.Nominal(r.dev.Name, flops/1e9)
}
