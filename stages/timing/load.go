package timing

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// clockTicks is USER_HZ, the unit of /proc/stat: 100 on every Linux
// architecture Go supports.
const clockTicks = 100

// hostProbe reads the real clock, the host's busy CPU time from /proc/stat
// and this process's own CPU time from getrusage(2). What is busy and not
// this process (the worker, all its threads) is other processes' load: the
// parent pipeline's share is a few milliseconds of waiting on a pipe.
type hostProbe struct{}

func (hostProbe) Now() time.Time { return time.Now() }

func (hostProbe) OtherCPU() (float64, bool) {
	busy, ok := hostBusySeconds("/proc/stat")
	if !ok {
		return 0, false
	}
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	self := tv(ru.Utime) + tv(ru.Stime)
	return busy - self, true
}

// RunWait is the time this process's threads have spent runnable but
// waiting for a CPU, summed over its threads, in seconds from an arbitrary
// origin: the second field of /proc/self/task/*/schedstat (nanoseconds;
// the kernel's run_delay). It shows, precisely, what outside load does to
// the worker, where /proc/stat's busy time counts whole 10 ms ticks and
// misreads a short round (other processes "used" a median 0.54 cores over
// 50 ms windows of a quiet 2-core VM). Threads that exited are not
// counted; ok is false where the kernel has no schedstat.
func (hostProbe) RunWait() (float64, bool) {
	return runWait("/proc/self/task")
}

// runWait sums the run delay of the threads listed under dir.
func runWait(dir string) (float64, bool) {
	paths, err := filepath.Glob(filepath.Join(dir, "*", "schedstat"))
	if err != nil || len(paths) == 0 {
		return 0, false
	}
	var ns uint64
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			continue // the thread exited since the listing
		}
		d, ok := parseSchedstat(b)
		if !ok {
			return 0, false
		}
		ns += d
	}
	return float64(ns) / 1e9, true
}

// parseSchedstat reads the run delay, in nanoseconds, from a schedstat
// line: "time on CPU, time waiting on a run queue, timeslices".
func parseSchedstat(b []byte) (uint64, bool) {
	fields := bytes.Fields(b)
	if len(fields) < 2 {
		return 0, false
	}
	n, err := strconv.ParseUint(string(fields[1]), 10, 64)
	return n, err == nil
}

func tv(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }

// hostBusySeconds is the busy time of all CPUs together, in seconds, from
// the "cpu" line of /proc/stat: user, nice, system, irq, softirq and steal
// (steal: other virtual machines on the same host). Idle and iowait are not
// busy; guest time is already part of user.
func hostBusySeconds(path string) (float64, bool) {
	f, err := os.Open(path)
	if err != nil {
		return 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	if !sc.Scan() {
		return 0, false
	}
	return parseBusy(sc.Bytes())
}

// parseBusy reads the busy time from /proc/stat's aggregate "cpu" line.
func parseBusy(line []byte) (float64, bool) {
	fields := bytes.Fields(line)
	if len(fields) < 9 || string(fields[0]) != "cpu" {
		return 0, false
	}
	var v [8]uint64
	for i := range v {
		n, err := strconv.ParseUint(string(fields[i+1]), 10, 64)
		if err != nil {
			return 0, false
		}
		v[i] = n
	}
	// user nice system idle iowait irq softirq steal
	busy := v[0] + v[1] + v[2] + v[5] + v[6] + v[7]
	return float64(busy) / clockTicks, true
}

// OtherCPU is the CPU time, in seconds, that every process other than this
// one has used on the host, counted from an arbitrary origin (the
// difference of two calls is what matters); ok is false where the host
// does not say. The ceilings stage reads it around its runs.
func OtherCPU() (seconds float64, ok bool) { return hostProbe{}.OtherCPU() }
