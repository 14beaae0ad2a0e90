package main

import (
	"cmp"
	"context"
	"path/filepath"

	"github.com/dnnbench/dnnbench/cache"
	"github.com/dnnbench/dnnbench/configs"
	"github.com/dnnbench/dnnbench/internal/config"
	"github.com/dnnbench/dnnbench/stages/ceilings"
)

// ceilings measures this device's roofline ceilings unless the cache holds
// them for its fingerprint, and returns them with every other device's
// cached ceilings. Where the runtime cannot run the graphs, this device
// gets its detected nominal peak (not cached), and a warning says why; a
// measurement on a loaded host is used with a warning but not cached.
func (r *runner) ceilings(ctx context.Context) ([]ceilings.Row, error) {
	cfg := ceilings.Config{Device: r.dev.Name, Session: r.session(), Dir: filepath.Join(r.store.Dir(), "ceilings", "graphs")}.WithDefaults()
	key, err := ceilings.Key(cfg, r.fingerprint())
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
		return ceilings.Merge(ceilings.Row{}, all), nil
	default:
		r.log.Step("ceilings " + r.dev.Name + ": compute (MatMul, Conv) and bandwidth (Add) graphs")
		res, err := ceilings.Run(ctx, cfg, ceilings.Inputs{NominalGFLOPS: r.nominalGFLOPS()})
		if err != nil {
			return nil, err
		}
		own = res.Rows[0]
		r.warnings = append(r.warnings, res.Warnings...)
		// A loaded measurement is used once but not cached, so the next
		// run measures again.
		if res.Cacheable {
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
	return ceilings.Merge(own, all), nil
}

// nominalGFLOPS is this device's detected nominal peak in GFLOP/s (the
// profile's peak_gflops, else the peak recorded with its measurement
// conditions), 0 when none is known.
func (r *runner) nominalGFLOPS() float64 {
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
	return flops / 1e9
}
