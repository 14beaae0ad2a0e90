package zoo

import (
	"slices"
	"testing"
)

// TestSamePads checks TensorFlow "same" padding against hand-worked cases:
// the output is ceil(in/stride) and odd totals put the extra pixel at the end.
func TestSamePads(t *testing.T) {
	for _, c := range []struct{ in, k, stride, begin, end int64 }{
		{165, 5, 2, 2, 2}, // 83 out: 82·2+5−165 = 4
		{42, 5, 2, 1, 2},  // 21 out: 40+5−42 = 3
		{42, 7, 2, 2, 3},  // 40+7−42 = 5
		{42, 3, 2, 0, 1},  // 40+3−42 = 1
		{11, 3, 1, 1, 1},  // stride 1: symmetric (k−1)/2
		{11, 7, 1, 3, 3},
		{4, 1, 2, 0, 0}, // never negative
	} {
		b, e := samePads(c.in, c.k, c.stride)
		if b != c.begin || e != c.end {
			t.Errorf("samePads(%d, k=%d, s=%d) = (%d, %d), want (%d, %d)", c.in, c.k, c.stride, b, e, c.begin, c.end)
		}
	}
}

// TestPoolPadsAndPadSpatialShapes checks the output shapes the NASNet
// layers declare, which later nodes rely on.
func TestPoolPadsAndPadSpatialShapes(t *testing.T) {
	g := NewGraph(8, 42, 42)
	x := g.Input()
	if got := g.PoolPads("max", x, 3, 2, SamePads(x, 3, 2), false).Shape; !slices.Equal(got, []int64{8, 21, 21}) {
		t.Errorf("same max pool on 42: shape %v, want [8 21 21]", got)
	}
	if got := g.PoolPads("avg", x, 3, 1, SamePads(x, 3, 1), false).Shape; !slices.Equal(got, []int64{8, 42, 42}) {
		t.Errorf("same avg pool stride 1: shape %v, want [8 42 42]", got)
	}
	if got := g.PadSpatial(x, []int64{-1, -1, 1, 1}).Shape; !slices.Equal(got, []int64{8, 42, 42}) {
		t.Errorf("shift pad: shape %v, want [8 42 42]", got)
	}
	if got := g.PadSpatial(x, []int64{0, 0, 2, 1}).Shape; !slices.Equal(got, []int64{8, 44, 43}) {
		t.Errorf("end pad: shape %v, want [8 44 43]", got)
	}
}
