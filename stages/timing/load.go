package timing

import (
	"bufio"
	"bytes"
	"os"
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
