package energy

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// powercap is where Linux exposes RAPL counters, relative to the root.
const powercap = "sys/class/powercap"

// packageZone matches a top-level RAPL zone directory (a CPU package or the
// platform), not its subzones ("intel-rapl:0:1") or the MMIO interface.
var packageZone = regexp.MustCompile(`^intel-rapl:(\d+)$`)

// raplZone is one CPU package's counter.
type raplZone struct {
	// name is the zone's name, e.g. "package-0".
	name string
	// path is its energy_uj file.
	path string
	// maxUJ is max_energy_range_uj: the counter wraps to 0 past it.
	maxUJ uint64
}

// rapl sums the energy counters of every CPU package.
type rapl struct {
	zones    []raplZone
	start    []uint64
	readFile func(string) ([]byte, error)
}

// OpenRAPL finds the CPU package zones under root's /sys/class/powercap
// (root "" is "/") and checks that each counter can be read. Platform
// ("psys") zones are left out: they cover the packages too. The error says
// why no counter is usable: no powercap tree, no package zone, a counter
// only root may read (Linux 5.10 and later), or a malformed file.
func OpenRAPL(root string) (Meter, error) { return openRAPL(root, os.ReadFile) }

// openRAPL is OpenRAPL reading files with readFile (tests inject errors
// that a root user cannot provoke with file modes).
func openRAPL(root string, readFile func(string) ([]byte, error)) (*rapl, error) {
	if root == "" {
		root = "/"
	}
	dir := filepath.Join(root, powercap)
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("energy: no RAPL counter: %s does not exist (a kernel without powercap, a virtual machine, or not Linux)", dir)
	}
	if err != nil {
		return nil, fmt.Errorf("energy: no RAPL counter: %w", err)
	}
	type indexed struct {
		i int
		z raplZone
	}
	var found []indexed
	for _, e := range entries {
		m := packageZone.FindStringSubmatch(e.Name())
		if m == nil {
			continue
		}
		zdir := filepath.Join(dir, e.Name())
		name, err := readFile(filepath.Join(zdir, "name"))
		if err != nil {
			return nil, fmt.Errorf("energy: no readable RAPL counter: %w", err)
		}
		z := raplZone{name: strings.TrimSpace(string(name)), path: filepath.Join(zdir, "energy_uj")}
		if !strings.HasPrefix(z.name, "package") {
			continue // psys: the whole platform, packages included
		}
		if z.maxUJ, err = readUJ(readFile, filepath.Join(zdir, "max_energy_range_uj")); err != nil {
			return nil, err
		}
		if z.maxUJ == 0 {
			return nil, fmt.Errorf("energy: no usable RAPL counter: %s is 0", filepath.Join(zdir, "max_energy_range_uj"))
		}
		i, _ := strconv.Atoi(m[1])
		found = append(found, indexed{i, z})
	}
	if len(found) == 0 {
		return nil, fmt.Errorf("energy: no RAPL counter: %s has no CPU package zone (intel-rapl:N named package-N)", dir)
	}
	sort.Slice(found, func(a, b int) bool { return found[a].i < found[b].i })
	r := &rapl{readFile: readFile}
	for _, f := range found {
		r.zones = append(r.zones, f.z)
	}
	if _, err := r.read(); err != nil {
		return nil, err
	}
	return r, nil
}

// readUJ reads one counter file in microjoules.
func readUJ(readFile func(string) ([]byte, error), path string) (uint64, error) {
	b, err := readFile(path)
	if errors.Is(err, fs.ErrPermission) {
		return 0, fmt.Errorf("energy: no readable RAPL counter: %s: permission denied (since Linux 5.10 only root may read it: run as root, or let the user read it with chmod a+r)", path)
	}
	if err != nil {
		return 0, fmt.Errorf("energy: no readable RAPL counter: %w", err)
	}
	v, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("energy: %s: %q is not a count of microjoules", path, truncate(strings.TrimSpace(string(b)), 40))
	}
	return v, nil
}

func (r *rapl) read() ([]uint64, error) {
	out := make([]uint64, len(r.zones))
	for i, z := range r.zones {
		v, err := readUJ(r.readFile, z.path)
		if err != nil {
			return nil, err
		}
		if v > z.maxUJ {
			return nil, fmt.Errorf("energy: %s: %d µJ exceeds max_energy_range_uj %d", z.path, v, z.maxUJ)
		}
		out[i] = v
	}
	return out, nil
}

// Source names the summed zones, e.g. "rapl: package-0+package-1".
func (r *rapl) Source() string {
	names := make([]string, len(r.zones))
	for i, z := range r.zones {
		names[i] = z.name
	}
	return "rapl: " + strings.Join(names, "+")
}

// Start reads every package's counter.
func (r *rapl) Start() error {
	v, err := r.read()
	if err != nil {
		return err
	}
	r.start = v
	return nil
}

// Stop reads the counters again and returns the packages' energy since
// Start. A counter that went down wrapped once past max_energy_range_uj;
// an interval long enough for two wraps (minutes at full power) cannot be
// told from one.
func (r *rapl) Stop() (float64, error) {
	if r.start == nil {
		return 0, errors.New("energy: rapl: Stop without Start")
	}
	end, err := r.read()
	if err != nil {
		return 0, err
	}
	var uj uint64
	for i, z := range r.zones {
		uj += wrapDelta(r.start[i], end[i], z.maxUJ)
	}
	r.start = nil
	return float64(uj) / 1e6, nil
}

// wrapDelta is the increase of a counter from a to b that wraps to 0 past max.
func wrapDelta(a, b, max uint64) uint64 {
	if b >= a {
		return b - a
	}
	return max - a + b
}

func (*rapl) Close() error { return nil }

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
