package main

import (
	"testing"
	"time"
)

// TestStageClock checks the whole-stage estimate: time per measured unit
// times the units neither measured nor cached.
func TestStageClock(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := newStageClock(start, 44*3) // 44 models × 3 batch sizes
	if _, ok := c.left(start.Add(time.Minute)); ok {
		t.Error("an estimate before any unit was measured")
	}
	if got := c.Left(start); got != "time left known after the first one" {
		t.Errorf("Left before any unit = %q", got)
	}
	// 12 models done: 6 from the cache (18 cells, free), 6 measured in 3 min.
	c.cached, c.measured = 18, 18
	d, ok := c.left(start.Add(3 * time.Minute))
	// 10 s a cell, 132-18-18 = 96 cells to go.
	if want := 96 * 10 * time.Second; !ok || d != want {
		t.Errorf("left = %v, %v; want %v", d, ok, want)
	}
	if got := c.Left(start.Add(3 * time.Minute)); got != "~16 min left" {
		t.Errorf("Left = %q, want ~16 min left", got)
	}
	// Everything done: nothing left, whatever the time.
	c.cached, c.measured = 32, 100
	if d, ok := c.left(start.Add(time.Hour)); !ok || d != 0 {
		t.Errorf("left when done = %v, %v", d, ok)
	}
	if got := c.Left(start.Add(time.Hour)); got != "nothing left" {
		t.Errorf("Left when done = %q", got)
	}
	// Everything cached: nothing left, though nothing was measured.
	c.cached, c.measured = 132, 0
	if d, ok := c.left(start); !ok || d != 0 {
		t.Errorf("left when all cached = %v, %v", d, ok)
	}
	// More cells reported than planned never gives a negative estimate.
	c.measured = 200
	if d, _ := c.left(start.Add(time.Hour)); d != 0 {
		t.Errorf("left when over = %v", d)
	}
}

func TestApprox(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0:                           "0 s",
		1500 * time.Millisecond:     "2 s",
		59 * time.Second:            "59 s",
		time.Minute:                 "1 min",
		61 * time.Second:            "2 min",
		4*time.Minute + time.Second: "5 min",
		time.Hour:                   "1 h 0 min",
		2*time.Hour + 5*time.Minute: "2 h 5 min",
	} {
		if got := approx(d); got != want {
			t.Errorf("approx(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestFinalLine(t *testing.T) {
	got := finalLine(95*time.Second+400*time.Millisecond, "out/quick", []string{"md", "html", "pdf"}, true)
	if want := "done in 1m35s: report out/quick/report.pdf, out/quick/report.html, out/quick/report.md; tables in out/quick"; got != want {
		t.Errorf("finalLine = %q\nwant        %q", got, want)
	}
	if got, want := finalLine(2*time.Second, "out/x", []string{"pdf"}, false), "done in 2s: tables in out/x"; got != want {
		t.Errorf("finalLine without report = %q, want %q", got, want)
	}
}
