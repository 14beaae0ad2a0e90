package main

import (
	"strings"
	"testing"

	"github.com/dnnbench/dnnbench/internal/conditions"
)

func TestDevicePeak(t *testing.T) {
	detected := conditions.Conditions{Peak: conditions.Peak{GFLOPS: 140.8, Method: "detected: 2 cores (intra-op threads) × 2.20 GHz (cpufreq maximum) × 32 FLOP/cycle (AVX2 FMA)"}}
	for _, c := range []struct {
		name    string
		nominal float64
		cond    conditions.Conditions
		have    bool
		want    float64
		method  string
	}{
		{"detected", 0, detected, true, 140.8e9, "detected: 2 cores"},
		{"profile overrides", 511, detected, true, 511e9, "nominal (profile's peak_gflops)"},
		{"unknown says why", 0, conditions.Conditions{Peak: conditions.Peak{Method: "unknown: no NVML"}}, true, 0, "unknown: no NVML"},
		{"no conditions", 0, conditions.Conditions{}, false, 0, "no measurement conditions recorded"},
		{"old conditions", 0, conditions.Conditions{CPUModel: "x"}, true, 0, "not detected: the device's conditions predate peak detection"},
	} {
		got, method := devicePeak(c.nominal, c.cond, c.have)
		if got != c.want || !strings.HasPrefix(method, c.method) {
			t.Errorf("%s: %v %q, want %v %q…", c.name, got, method, c.want, c.method)
		}
	}
}
