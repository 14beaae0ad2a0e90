package main

import (
	"fmt"
	"io"
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

// Count prints a done/total counter, throttled.
func (p *progress) Count(label string, done, total int) {
	if !p.tick(done == total) {
		return
	}
	pct := 0.0
	if total > 0 {
		pct = 100 * float64(done) / float64(total)
	}
	p.Printf("%s %d/%d (%.0f%%)", label, done, total, pct)
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
