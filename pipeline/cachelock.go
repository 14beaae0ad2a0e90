package main

import (
	"github.com/dnnbench/dnnbench/internal/diag"
	"os"
	"time"

	"github.com/dnnbench/dnnbench/cache"
)

// lockWaiting reports that the run waits for the cache lock, on whom and
// for how long (cache.Store.LockNotify calls it at once and every few
// seconds while the wait lasts).
func (r *runner) lockWaiting(w cache.LockWait) {
	r.log.Printf("cache %s is in use by %s; waiting for it (%s so far)", w.Dir, w, w.Waited.Round(time.Second))
}

// workersHold is what worker processes inherit: the cache lock, so that a
// worker that outlives a killed run keeps other runs out of the cache (and
// off the CPU it measures on) until it has gone.
func (r *runner) workersHold() []*os.File {
	if f := r.store.LockFile(); f != nil {
		return []*os.File{f}
	}
	return nil
}

// noteRepairs reports the damaged cache files this run moved aside (their
// rows are recomputed) and keeps them as warnings for the report.
func (r *runner) noteRepairs() {
	for _, rep := range r.store.Repairs() {
		r.log.Printf("%s", rep)
		r.warnings = append(r.warnings, diag.Warning{Stage: "cache", Code: "cache-repaired", Message: rep.String()})
	}
}
