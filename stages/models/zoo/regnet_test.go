package zoo

import (
	"reflect"
	"testing"
)

// TestRegnetStages checks the quantised stage plan against RegNetY-800MF's
// published widths and depths (Radosavovic et al. 2020, Table 4 / pycls
// RegNetY-800MF_dds_8gpu.yaml: depths 1, 3, 8, 2; widths 64, 144, 320, 784;
// group width 16).
func TestRegnetStages(t *testing.T) {
	got := regnetStages(regnetParams{depth: 14, w0: 56, wa: 38.84, wm: 2.4, groupWidth: 16, seRatio: 0.25})
	want := []regnetStage{{64, 1, 16}, {144, 3, 16}, {320, 8, 16}, {784, 2, 16}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("regnetStages = %v, want %v", got, want)
	}
}

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
