package main

import (
	"reflect"
	"testing"

	"github.com/dnnbench/dnnbench/stages/ceilings"
)

// TestMergeCeilings keeps this device's row over cached ones of the same
// name and, per other device, the highest peak whatever the read order.
func TestMergeCeilings(t *testing.T) {
	own := ceilings.Row{Device: "cpu", PeakGFLOPS: 50, BandwidthGBs: 5, Method: ceilings.MethodMeasured}
	cached := []ceilings.Row{
		{Device: "jetson", PeakGFLOPS: 900, BandwidthGBs: 60, Method: ceilings.MethodMeasured},
		{Device: "cpu", PeakGFLOPS: 70, BandwidthGBs: 6, Method: ceilings.MethodMeasured}, // an older fingerprint
		{Device: "jetson", PeakGFLOPS: 1000, BandwidthGBs: 50, Method: ceilings.MethodMeasured},
		{Device: "", PeakGFLOPS: 1},
	}
	want := []ceilings.Row{own, cached[2]}
	if got := mergeCeilings(own, cached); !reflect.DeepEqual(got, want) {
		t.Errorf("merged %+v, want %+v", got, want)
	}
	cached[0], cached[2] = cached[2], cached[0]
	if got := mergeCeilings(own, cached); !reflect.DeepEqual(got, []ceilings.Row{own, cached[0]}) {
		t.Errorf("reversed order merged %+v", got)
	}
}
