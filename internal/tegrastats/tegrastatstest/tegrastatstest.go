// Package tegrastatstest loads the recorded tegrastats lines of
// internal/tegrastats/testdata and writes stand-in tegrastats executables
// that print them, for the tests of the packages that run tegrastats.
package tegrastatstest

import (
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/dnnbench/dnnbench/internal/tegrastats"
)

// Fixture is one recorded tegrastats line and what it should parse to.
type Fixture struct {
	// Board names the Jetson board and JetPack generation, e.g. "tx2".
	Board string
	// RAMUsedMB and RAMTotalMB are the RAM figures the line prints, in MiB.
	RAMUsedMB, RAMTotalMB int64
	// Rails are the power rails the line prints, in order.
	Rails []tegrastats.Rail
	// Line is the line as tegrastats printed it.
	Line string
}

// Fixtures reads internal/tegrastats/testdata/tegrastats.txt, found next to
// this package's source.
func Fixtures(t testing.TB) []Fixture {
	t.Helper()
	_, src, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("tegrastatstest: cannot locate this package's source")
	}
	b, err := os.ReadFile(filepath.Join(filepath.Dir(src), "..", "testdata", "tegrastats.txt"))
	if err != nil {
		t.Fatalf("tegrastatstest: %v", err)
	}
	var out []Fixture
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if strings.HasPrefix(l, "#") {
			continue
		}
		f := strings.SplitN(l, "\t", 5)
		if len(f) != 5 {
			t.Fatalf("tegrastatstest: %q has %d tab-separated fields, want 5", l, len(f))
		}
		x := Fixture{Board: f[0], Line: f[4]}
		x.RAMUsedMB = atoi(t, f[1])
		x.RAMTotalMB = atoi(t, f[2])
		for _, r := range strings.Split(f[3], ",") {
			name, mw, ok1 := strings.Cut(r, "=")
			now, avg, ok2 := strings.Cut(mw, "/")
			if !ok1 || !ok2 {
				t.Fatalf("tegrastatstest: %s: rail %q, want NAME=now/avg", f[0], r)
			}
			x.Rails = append(x.Rails, tegrastats.Rail{Name: name, Now: atoi(t, now), Avg: atoi(t, avg)})
		}
		out = append(out, x)
	}
	if len(out) < 9 {
		t.Fatalf("tegrastatstest: only %d fixtures", len(out))
	}
	return out
}

// Line returns the recorded line of board; an unknown board fails t.
func Line(t testing.TB, board string) string {
	t.Helper()
	for _, f := range Fixtures(t) {
		if f.Board == board {
			return f.Line
		}
	}
	t.Fatalf("tegrastatstest: no fixture for board %q", board)
	return ""
}

// StandIn writes a shell script named name into a temporary directory
// that, called as "name --interval N", prints lines in turn, 10 ms apart,
// until killed; it returns the script's path.
func StandIn(t testing.TB, name string, lines ...string) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("#!/bin/sh\n[ \"$1\" = --interval ] || { echo \"usage: --interval N\" >&2; exit 2; }\nwhile true; do\n")
	for _, l := range lines {
		b.WriteString("echo '" + strings.ReplaceAll(l, "'", `'\''`) + "'; sleep 0.01\n")
	}
	b.WriteString("done\n")
	exe := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(exe, []byte(b.String()), 0o755); err != nil {
		t.Fatal(err)
	}
	return exe
}

func atoi(t testing.TB, s string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatalf("tegrastatstest: %v", err)
	}
	return n
}
