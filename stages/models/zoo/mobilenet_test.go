package zoo

import "testing"

// TestMobilenetDivisible checks torchvision's _make_divisible rounding,
// including the rule that rounding down may not lose more than 10%.
func TestMobilenetDivisible(t *testing.T) {
	for _, c := range []struct {
		v    float64
		d    int64
		want int64
	}{{32, 8, 32}, {36, 8, 40}, {33, 8, 32}, {35.9, 8, 40}, {3, 8, 8}, {92, 16, 96}, {72 / 4, 8, 24}, {240 / 4, 8, 64}} {
		if got := mobilenetDivisible(c.v, c.d); got != c.want {
			t.Errorf("mobilenetDivisible(%v, %d) = %d, want %d", c.v, c.d, got, c.want)
		}
	}
}
