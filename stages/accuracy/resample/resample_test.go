package resample

import (
	"bytes"
	"fmt"
	"os"
	"testing"
)

func TestMatchesPillow(t *testing.T) {
	for _, kind := range []struct {
		ext string
		ch  int
	}{{"rgb", 3}, {"gray", 1}} {
		src, err := os.ReadFile("testdata/src_37x23." + kind.ext)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range []struct {
			name string
			f    Filter
		}{{"bilinear", Bilinear}, {"bicubic", Bicubic}} {
			for _, sz := range [][2]int{{16, 10}, {37, 9}, {80, 50}, {20, 23}, {5, 64}} {
				name := fmt.Sprintf("%s_%dx%d.%s", f.name, sz[0], sz[1], kind.ext)
				want, err := os.ReadFile("testdata/" + name)
				if err != nil {
					t.Fatal(err)
				}
				got, err := Resize(src, 37, 23, kind.ch, sz[0], sz[1], f.f, Rect{W: sz[0], H: sz[1]})
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, want) {
					t.Errorf("%s differs from Pillow", name)
				}
				// Any sub-rectangle equals the same part of the full result.
				r := Rect{X: sz[0] / 3, Y: sz[1] / 4, W: sz[0] - sz[0]/3 - sz[0]/5, H: sz[1] - sz[1]/4 - sz[1]/6}
				part, err := Resize(src, 37, 23, kind.ch, sz[0], sz[1], f.f, r)
				if err != nil {
					t.Fatal(err)
				}
				for y := 0; y < r.H; y++ {
					row := want[((r.Y+y)*sz[0]+r.X)*kind.ch : ((r.Y+y)*sz[0]+r.X+r.W)*kind.ch]
					if !bytes.Equal(part[y*r.W*kind.ch:(y+1)*r.W*kind.ch], row) {
						t.Errorf("%s: region %+v row %d differs from the full resize", name, r, y)
						break
					}
				}
			}
		}
	}
}

func TestResizeErrors(t *testing.T) {
	src := make([]uint8, 4*4*3)
	for _, tc := range []struct {
		w, h, ow, oh int
		r            Rect
	}{
		{0, 4, 2, 2, Rect{W: 1, H: 1}},
		{4, 4, 2, 2, Rect{X: 1, W: 2, H: 1}},
		{4, 4, 2, 2, Rect{W: 0, H: 1}},
		{8, 8, 2, 2, Rect{W: 1, H: 1}},
	} {
		if _, err := Resize(src, tc.w, tc.h, 3, tc.ow, tc.oh, Bilinear, tc.r); err == nil {
			t.Errorf("%+v: no error", tc)
		}
	}
	if _, err := ParseFilter("lanczos"); err == nil {
		t.Error("lanczos accepted")
	}
}
