package cache

import (
	"os"
	"path/filepath"
	"strconv"
)

// openers lists the processes that have path open, from /proc; processes
// of other users that this one cannot inspect are missed.
func openers(path string) []int {
	want, err := filepath.Abs(path)
	if err != nil {
		return nil
	}
	procs, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var out []int
	for _, p := range procs {
		pid, err := strconv.Atoi(p.Name())
		if err != nil {
			continue
		}
		fds, err := os.ReadDir(filepath.Join("/proc", p.Name(), "fd"))
		if err != nil {
			continue
		}
		for _, fd := range fds {
			if target, err := os.Readlink(filepath.Join("/proc", p.Name(), "fd", fd.Name())); err == nil && target == want {
				out = append(out, pid)
				break
			}
		}
	}
	return out
}
