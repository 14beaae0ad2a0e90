package config

import (
	"fmt"
	"strings"
)

// Compare is report.compare: the two sides of a latency comparison, each
// "DEVICE" (a device in the run's cache) or "DEVICE@CACHE" (a device in
// another cache directory, relative to the working directory).
type Compare struct {
	// Base is the side the ratios divide by. Required.
	Base string `yaml:"base"`
	// New is the side compared with Base. Required.
	New string `yaml:"new"`
}

// Side is one parsed side of a comparison.
type Side struct {
	// Device is the device profile name recorded in the timing rows.
	Device string
	// Cache is the cache the rows are read from; "" is the run's own cache.
	Cache string
}

// String returns the side as written: DEVICE or DEVICE@CACHE.
func (s Side) String() string {
	if s.Cache == "" {
		return s.Device
	}
	return s.Device + "@" + s.Cache
}

// ParseSide parses "DEVICE" or "DEVICE@CACHE". The device must be a valid
// profile name; the cache, when the '@' is there, must not be empty.
func ParseSide(s string) (Side, error) {
	dev, cache, found := strings.Cut(s, "@")
	if !ValidName(dev) {
		return Side{}, fmt.Errorf("%q: the device %q is not a valid device name (1–128 letters, digits, '.', '_' or '-'); write DEVICE or DEVICE@CACHE", s, dev)
	}
	if found && strings.TrimSpace(cache) == "" {
		return Side{}, fmt.Errorf("%q: nothing after '@'; write DEVICE@CACHE with a cache directory, or DEVICE alone for the run's cache", s)
	}
	return Side{Device: dev, Cache: cache}, nil
}

// ParseSides parses a comparison's base and new sides and refuses a side
// compared with itself.
func ParseSides(base, new string) (Side, Side, error) {
	b, err := ParseSide(base)
	if err != nil {
		return Side{}, Side{}, fmt.Errorf("base %w", err)
	}
	n, err := ParseSide(new)
	if err != nil {
		return Side{}, Side{}, fmt.Errorf("new %w", err)
	}
	if b == n {
		return Side{}, Side{}, fmt.Errorf("base and new are both %q: compare two devices, or one device in two caches (DEVICE@CACHE)", base)
	}
	return b, n, nil
}

func (c *Compare) validate(at func(path ...string) string, bad func(where, format string, args ...any)) {
	if c.Base == "" || c.New == "" {
		bad(at("report", "compare"), "report.compare needs both base and new, e.g. {base: cpu, new: cpu-4t}")
		return
	}
	if _, _, err := ParseSides(c.Base, c.New); err != nil {
		bad(at("report", "compare"), "report.compare: %v", err)
	}
}
