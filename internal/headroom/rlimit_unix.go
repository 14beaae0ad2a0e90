//go:build unix

package headroom

import "syscall"

// addressLimit is RLIMIT_AS (ulimit -v) in bytes.
func addressLimit() (max int64, unlimited bool, err error) {
	var r syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_AS, &r); err != nil {
		return 0, false, err
	}
	if r.Cur > 1<<62 { // RLIM_INFINITY
		return 0, true, nil
	}
	return int64(r.Cur), false, nil
}
