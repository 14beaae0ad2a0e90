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
