// Package headroom tells how much memory this process may still allocate,
// so that a worker can refuse a buffer that cannot fit instead of dying in
// the allocator.
package headroom

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// margin is left free for the allocator's own bookkeeping and what the
// process allocates besides the buffer.
const margin = 64 << 20

// Limit is what bounds an allocation, from /proc and the resource limits.
type Limit struct {
	// Bytes is how much more the process may allocate.
	Bytes int64
	// By names the bound: "available memory" (MemAvailable) or "the
	// address-space limit (ulimit -v)".
	By string
}

// Available returns the tighter of the system's available memory and what
// the process's address-space limit leaves; ok is false where neither is
// known (a system without /proc).
func Available() (Limit, bool) {
	var lim Limit
	ok := false
	if avail, err := meminfo("/proc/meminfo", "MemAvailable:"); err == nil {
		lim, ok = Limit{Bytes: avail, By: "available memory (MemAvailable)"}, true
	}
	if max, unlimited, err := addressLimit(); err == nil && !unlimited {
		used, err := meminfo("/proc/self/status", "VmSize:")
		if err == nil && (!ok || max-used < lim.Bytes) {
			lim, ok = Limit{Bytes: max - used, By: "the address-space limit (ulimit -v)"}, true
		}
	}
	return lim, ok
}

// Check returns an error saying "out of memory" when need bytes for what
// cannot be allocated within lim (with a margin for everything else).
func Check(what string, need int64, lim Limit) error {
	if need+margin <= lim.Bytes {
		return nil
	}
	return fmt.Errorf("out of memory: %s needs %s, more than the %s left under %s", what, Size(need), Size(max(lim.Bytes, 0)), lim.By)
}

// Size writes a byte count for people: 2.5 GB, 640 MB, 12 kB.
func Size(b int64) string {
	switch {
	case b >= 1e9:
		return fmt.Sprintf("%.1f GB", float64(b)/1e9)
	case b >= 1e6:
		return fmt.Sprintf("%.0f MB", float64(b)/1e6)
	case b >= 1e3:
		return fmt.Sprintf("%.0f kB", float64(b)/1e3)
	}
	return fmt.Sprintf("%d B", b)
}

// meminfo reads a "Key:   123 kB" line of a /proc file, in bytes.
func meminfo(path, key string) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	return parseKB(f, key)
}

func parseKB(r io.Reader, key string) (int64, error) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), key)
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) != 2 || f[1] != "kB" {
			return 0, fmt.Errorf("headroom: bad %s line %q", key, sc.Text())
		}
		kb, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("headroom: bad %s line %q", key, sc.Text())
		}
		return kb << 10, nil
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, errors.New("headroom: no " + key + " line")
}
