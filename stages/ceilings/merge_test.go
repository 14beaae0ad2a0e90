package ceilings

import (
	"reflect"
	"testing"
)

// TestMerge keeps this device's row over cached ones of the same
// name and, per other device, the highest peak whatever the read order.
func TestMerge(t *testing.T) {
	own := Row{Device: "cpu", PeakGFLOPS: 50, BandwidthGBs: 5, Method: MethodMeasured}
	cached := []Row{
		{Device: "jetson", PeakGFLOPS: 900, BandwidthGBs: 60, Method: MethodMeasured},
		{Device: "cpu", PeakGFLOPS: 70, BandwidthGBs: 6, Method: MethodMeasured}, // an older fingerprint
		{Device: "jetson", PeakGFLOPS: 1000, BandwidthGBs: 50, Method: MethodMeasured},
		{Device: "", PeakGFLOPS: 1},
	}
	want := []Row{own, cached[2]}
	if got := Merge(own, cached); !reflect.DeepEqual(got, want) {
		t.Errorf("merged %+v, want %+v", got, want)
	}
	cached[0], cached[2] = cached[2], cached[0]
	if got := Merge(own, cached); !reflect.DeepEqual(got, []Row{own, cached[0]}) {
		t.Errorf("reversed order merged %+v", got)
	}
}
