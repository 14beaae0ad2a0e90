package main

import (
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
)

// progress prints what the run is doing to stderr, at most a few lines a
// second for counters; --quiet silences it.
type progress struct {
	mu    sync.Mutex
	w     io.Writer
	quiet bool
	last  time.Time
	prev  string
}

func newProgress(w io.Writer, quiet bool) *progress { return &progress{w: w, quiet: quiet} }

// Printf prints one line.
func (p *progress) Printf(format string, args ...any) {
	if p.quiet {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	line := fmt.Sprintf(format, args...)
	if line == p.prev {
		return
	}
	p.prev = line
	fmt.Fprintln(p.w, line)
}

// Step prints a step's description.
func (p *progress) Step(msg string) { p.Printf("%s", msg) }

// Count prints a done/total counter and a note after it, throttled.
func (p *progress) Count(label string, done, total int, note string) {
	if !p.tick(done == total) {
		return
	}
	pct := 0.0
	if total > 0 {
		pct = 100 * float64(done) / float64(total)
	}
	p.Printf("%s %d/%d (%.0f%%)%s", label, done, total, pct, note)
}

// Bytes prints a download counter, throttled.
func (p *progress) Bytes(label string, done, total int64) {
	if !p.tick(done == total) {
		return
	}
	if total > 0 {
		p.Printf("%s %.1f/%.1f MB (%.0f%%)", label, float64(done)/1e6, float64(total)/1e6, 100*float64(done)/float64(total))
	} else {
		p.Printf("%s %.1f MB", label, float64(done)/1e6)
	}
}

func (p *progress) tick(final bool) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.quiet {
		return false
	}
	if !final && time.Since(p.last) < 2*time.Second {
		return false
	}
	p.last = time.Now()
	return true
}

// stageClock estimates the time left of a whole stage (every model) from
// the time the stage has spent so far on the units it did: a unit is a
// model (models, flops), a model × batch cell (timing, memory) or an image
// (accuracy). Units found in the cache are free: they count as done but
// not as work measured. Units not yet looked at count as work to do, so
// the estimate errs long when later ones turn out to be cached.
type stageClock struct {
	start    time.Time
	total    int // units in the stage
	cached   int // units found in the cache
	measured int // units done by this run
}

func newStageClock(start time.Time, total int) *stageClock {
	return &stageClock{start: start, total: total}
}

// left is the time still needed at now: the time spent per measured unit
// times the units neither cached nor measured. ok is false while units are
// left but none has been measured.
func (s *stageClock) left(now time.Time) (time.Duration, bool) {
	todo := max(s.total-s.cached-s.measured, 0)
	if todo == 0 {
		return 0, true
	}
	if s.measured <= 0 {
		return 0, false
	}
	return now.Sub(s.start) / time.Duration(s.measured) * time.Duration(todo), true
}

// Left says what is left of the stage at now, for a progress line.
func (s *stageClock) Left(now time.Time) string {
	d, ok := s.left(now)
	if !ok {
		return "time left known after the first one"
	}
	if s.total-s.cached-s.measured <= 0 {
		return "nothing left"
	}
	return "~" + approx(d) + " left"
}

// approx rounds d up for a person planning around it: seconds below a
// minute, else minutes (and hours).
func approx(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%d s", int((d+time.Second-1)/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("%d min", int((d+time.Minute-1)/time.Minute))
	}
	m := int((d + time.Minute - 1) / time.Minute)
	return fmt.Sprintf("%d h %d min", m/60, m%60)
}

// finalLine is the last line of a run: how long it took and where its
// report is (the PDF first) or, without a report, where its tables are.
func finalLine(took time.Duration, outDir string, formats []string, report bool) string {
	line := fmt.Sprintf("done in %s: ", took.Round(time.Second))
	if !report || len(formats) == 0 {
		return line + "tables in " + outDir
	}
	order := map[string]int{"pdf": 0, "html": 1, "md": 2}
	fs := slices.Clone(formats)
	slices.SortStableFunc(fs, func(a, b string) int { return order[a] - order[b] })
	paths := make([]string, len(fs))
	for i, f := range fs {
		paths[i] = filepath.Join(outDir, "report."+f)
	}
	return line + "report " + strings.Join(paths, ", ") + "; tables in " + outDir
}
