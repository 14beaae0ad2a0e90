package cache

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/dnnbench/dnnbench/stages/timing"
)

// childEnv tells a re-executed test binary to act as a helper process:
// "count <dir> <n>" or "write <dir>".
const childEnv = "DNNBENCH_CACHE_TEST_CHILD"

func TestMain(m *testing.M) {
	if spec := os.Getenv(childEnv); spec != "" {
		if err := child(strings.Fields(spec)); err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func child(args []string) error {
	if len(args) < 2 {
		return fmt.Errorf("bad child spec %q", args)
	}
	s, err := Open(args[1])
	if err != nil {
		return err
	}
	switch args[0] {
	case "count":
		n, err := strconv.Atoi(args[2])
		if err != nil {
			return err
		}
		return increment(s, n, args[3])
	case "write":
		// Write ever larger entries until killed.
		for i := 0; ; i++ {
			if err := Put(s, "timing", counterKey(i), timingRows(1+i%200)); err != nil {
				return err
			}
		}
	}
	return fmt.Errorf("unknown child %q", args[0])
}

func counterKey(i int) string {
	k, err := Key(1, "counter", i)
	if err != nil {
		panic(err)
	}
	return k
}

// increment does n read-modify-write cycles on a shared counter entry, each
// under the lock; it also appends its own tally row to a shared log entry.
// Without mutual exclusion, concurrent cycles lose increments.
func increment(s *Store, n int, who string) error {
	for i := 0; i < n; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		unlock, err := s.Lock(ctx)
		cancel()
		if err != nil {
			return err
		}
		rows, ok, err := Get[timing.Row](s, "timing", counterKey(-1))
		if err != nil {
			unlock()
			return err
		}
		if !ok {
			rows = []timing.Row{{Model: "counter"}}
		}
		rows[0].Runs++
		rows = append(rows, timing.Row{Model: who, Runs: rows[0].Runs, SamplesMs: []float64{float64(i)}})
		if err := Put(s, "timing", counterKey(-1), rows); err != nil {
			unlock()
			return err
		}
		if err := unlock(); err != nil {
			return err
		}
	}
	return nil
}

// checkCounter checks the shared counter saw every increment exactly once.
func checkCounter(t *testing.T, s *Store, total int) {
	t.Helper()
	rows, ok, err := Get[timing.Row](s, "timing", counterKey(-1))
	if err != nil || !ok {
		t.Fatalf("counter: %v, %v", ok, err)
	}
	if rows[0].Runs != int64(total) || len(rows) != total+1 {
		t.Fatalf("counter = %d with %d log rows, want %d: increments were lost", rows[0].Runs, len(rows)-1, total)
	}
	for i, r := range rows[1:] {
		if r.Runs != int64(i+1) {
			t.Fatalf("log row %d has count %d, want %d", i+1, r.Runs, i+1)
		}
	}
}

func TestConcurrentGoroutines(t *testing.T) {
	s := openTemp(t)
	const n = 15
	var wg sync.WaitGroup
	errs := make([]error, 3)
	for g := range errs {
		wg.Go(func() { errs[g] = increment(s, n, fmt.Sprint("goroutine", g)) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	checkCounter(t, s, 3*n)
}

func TestConcurrentProcesses(t *testing.T) {
	s := openTemp(t)
	const n = 15
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	var cmds []*exec.Cmd
	for p := 0; p < 2; p++ {
		cmd := exec.Command(exe, "-test.run=^$")
		cmd.Env = append(os.Environ(), fmt.Sprintf("%s=count %s %d process%d", childEnv, s.Dir(), n, p))
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds = append(cmds, cmd)
	}
	// This process competes too, through another Store on the same directory.
	s2, err := Open(s.Dir())
	if err != nil {
		t.Fatal(err)
	}
	if err := increment(s2, n, "parent"); err != nil {
		t.Fatal(err)
	}
	for _, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Fatalf("child: %v", err)
		}
	}
	checkCounter(t, s, 3*n)
}

func TestKilledWriterLeavesNoCorruptEntry(t *testing.T) {
	s := openTemp(t)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), fmt.Sprintf("%s=write %s", childEnv, s.Dir()))
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(s.Dir(), "timing")
	deadline := time.Now().Add(time.Minute)
	for {
		keys, _ := listEntries(dir)
		if len(keys) >= 30 {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("the writer wrote only %d entries in a minute", len(keys))
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	keys, err := listEntries(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if _, _, err := Get[timing.Row](s, "timing", k); err != nil {
			t.Fatalf("entry visible after a kill is unreadable: %v", err)
		}
	}
	all, err := All[timing.Row](s, "timing")
	if err != nil {
		t.Fatalf("All after a kill: %v", err)
	}
	if len(all) == 0 {
		t.Fatal("All after a kill returned no rows")
	}
	unlock := lock(t, s)
	if err := unlock(); err != nil {
		t.Fatal(err)
	}
	des, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, de := range des {
		if strings.HasPrefix(de.Name(), tmpPrefix) {
			t.Errorf("temporary file %s survived the next run's Lock", de.Name())
		}
	}
}
