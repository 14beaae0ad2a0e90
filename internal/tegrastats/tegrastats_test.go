package tegrastats_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dnnbench/dnnbench/internal/tegrastats"
	"github.com/dnnbench/dnnbench/internal/tegrastats/tegrastatstest"
)

// TestParseRecorded parses one real line of every Jetson generation
// (Nano, TX1, TX2, AGX Xavier, Xavier NX, AGX Orin on JetPack 5 and 6)
// into its RAM and every power rail, in order.
func TestParseRecorded(t *testing.T) {
	for _, f := range tegrastatstest.Fixtures(t) {
		l, err := tegrastats.Parse(f.Line)
		if err != nil {
			t.Errorf("%s: %v", f.Board, err)
			continue
		}
		if l.RAMUsed != f.RAMUsedMB<<20 || l.RAMTotal != f.RAMTotalMB<<20 {
			t.Errorf("%s: RAM %d/%d bytes, want %d/%d MiB", f.Board, l.RAMUsed, l.RAMTotal, f.RAMUsedMB, f.RAMTotalMB)
		}
		if !slices.Equal(l.Rails, f.Rails) {
			t.Errorf("%s: rails %+v, want %+v", f.Board, l.Rails, f.Rails)
		}
	}
}

// TestInputRail finds the board's input rail where the board prints one
// (Nano, TX1, TX2, Xavier NX) and reports none on AGX Xavier and AGX Orin,
// whose rails are per module.
func TestInputRail(t *testing.T) {
	want := map[string]tegrastats.Rail{
		"nano":            {Name: "POM_5V_IN", Now: 900, Avg: 943},
		"nano-iram":       {Name: "POM_5V_IN", Now: 4520, Avg: 4680},
		"tx1":             {Name: "VDD_IN", Now: 2532, Avg: 2698},
		"tx2":             {Name: "VDD_IN", Now: 1931, Avg: 1931},
		"tx2-lfb-kB":      {Name: "VDD_IN", Now: 14025, Avg: 14416},
		"xavier-nx-jp512": {Name: "VDD_IN", Now: 2763, Avg: 2846},
	}
	for _, f := range tegrastatstest.Fixtures(t) {
		l, err := tegrastats.Parse(f.Line)
		if err != nil {
			t.Fatal(err)
		}
		r, ok := l.InputRail()
		w, has := want[f.Board]
		if ok != has || r != w {
			t.Errorf("%s: input rail %+v, %v; want %+v, %v", f.Board, r, ok, w, has)
		}
	}
}

func TestParseBad(t *testing.T) {
	for _, c := range []struct{ line, want string }{
		{"", "no \"RAM <used>/<total>MB\""},
		{"SWAP 0/1982MB (cached 0MB)", "no \"RAM"},
		{"IRAM 0/252kB(lfb 252kB)", "no \"RAM"},
		{"RAM 5000/4000MB (lfb 1x4MB)", "exceeds total"},
		{"RAM 99999999999999999999/4000MB", "RAM: "},
		{"RAM 10/4000MB VDD_IN 99999999999999999999/1", "VDD_IN: "},
	} {
		if _, err := tegrastats.Parse(c.line); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: err %v, want one containing %q", c.line, err, c.want)
		}
	}
}

// TestRead hands every line, good or bad, to the handler in order.
func TestRead(t *testing.T) {
	tx2 := tegrastatstest.Line(t, "tx2")
	var used []int64
	var errs int
	err := tegrastats.Read(strings.NewReader(tx2+"\ngarbage\n"+tegrastatstest.Line(t, "nano")+"\n"), func(l tegrastats.Line, err error) {
		if err != nil {
			errs++
			return
		}
		used = append(used, l.RAMUsed>>20)
	})
	if err != nil || errs != 1 || !slices.Equal(used, []int64{1685, 613}) {
		t.Errorf("Read: %v, %d bad lines, RAM %v MiB; want nil, 1, [1685 613]", err, errs, used)
	}
}

// TestStartProcess runs a stand-in tegrastats printing recorded lines and
// checks the lines arrive, that Close stops it, and the ways it can fail.
func TestStartProcess(t *testing.T) {
	exe := tegrastatstest.StandIn(t, "tegrastats", tegrastatstest.Line(t, "agx-orin-jp6"), tegrastatstest.Line(t, "tx2"))
	var mu sync.Mutex
	var got []int64
	p, err := tegrastats.Start(context.Background(), exe, 10*time.Millisecond, func(l tegrastats.Line, err error) {
		mu.Lock()
		defer mu.Unlock()
		if err == nil {
			got = append(got, l.RAMUsed>>20)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	if len(got) == 0 || got[0] != 18207 {
		t.Errorf("after Start: RAM readings %v MiB, want the first line's 18207 first", got)
	}
	mu.Unlock()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		mu.Lock()
		n := len(got)
		mu.Unlock()
		if n >= 3 {
			break
		}
	}
	p.Close()
	select {
	case <-p.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("Done not closed after Close")
	}
	mu.Lock()
	if len(got) < 3 || got[1] != 1685 || got[2] != 18207 {
		t.Errorf("RAM readings %v MiB, want 18207, 1685, 18207, …", got)
	}
	mu.Unlock()

	noop := func(tegrastats.Line, error) {}
	if _, err := tegrastats.Start(context.Background(), filepath.Join(t.TempDir(), "absent"), 10*time.Millisecond, noop); !errors.Is(err, tegrastats.ErrNotFound) || !strings.Contains(err.Error(), "JetPack") {
		t.Errorf("absent tegrastats: err %v", err)
	}
	silent := filepath.Join(t.TempDir(), "tegrastats")
	if err := os.WriteFile(silent, []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := tegrastats.Start(context.Background(), silent, 10*time.Millisecond, noop); err == nil || !strings.Contains(err.Error(), "exited before its first line") {
		t.Errorf("tegrastats exiting at once: err %v", err)
	}
}
