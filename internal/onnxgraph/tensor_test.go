package onnxgraph

import (
	"math"
	"testing"
)

func TestHalfBits(t *testing.T) {
	for _, tc := range []struct {
		bits uint16
		want float64
	}{
		{0x3c00, 1}, {0xc000, -2}, {0x0001, math.Ldexp(1, -24)}, {0x7bff, 65504}, {0x7c00, math.Inf(1)},
	} {
		if got := halfBits(dtFloat16, tc.bits); got != tc.want {
			t.Errorf("halfBits(%#x) = %g, want %g", tc.bits, got, tc.want)
		}
	}
	if got := halfBits(dtFloat16, 0x7e00); !math.IsNaN(got) {
		t.Errorf("halfBits(NaN) = %g", got)
	}
}
