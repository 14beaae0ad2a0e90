package preprocess

import "testing"

func TestChannels(t *testing.T) {
	if got := (Spec{}).Channels(); got != "rgb" {
		t.Errorf("default channels %q, want rgb", got)
	}
	if got := (Spec{BGR: true}).Channels(); got != "bgr" {
		t.Errorf("BGR channels %q, want bgr", got)
	}
	if got := (Spec{}).Layout(); got != "nchw" {
		t.Errorf("default layout %q, want nchw", got)
	}
	if got := (Spec{NHWC: true}).Layout(); got != "nhwc" {
		t.Errorf("NHWC layout %q, want nhwc", got)
	}
}

func TestParseResize(t *testing.T) {
	for _, c := range []struct {
		in         string
		side, w, h int
	}{
		{"256", 256, 0, 0},
		{"224x224", 0, 224, 224},
		{"320x240", 0, 320, 240},
	} {
		side, w, h, err := ParseResize(c.in)
		if err != nil || side != c.side || w != c.w || h != c.h {
			t.Errorf("ParseResize(%q) = %d, %d, %d, %v; want %d, %d, %d", c.in, side, w, h, err, c.side, c.w, c.h)
		}
		s := Spec{Resize: side, SquashWidth: w, SquashHeight: h}
		if got := s.ResizeString(); got != c.in {
			t.Errorf("ResizeString of %q = %q", c.in, got)
		}
	}
	for _, bad := range []string{"", "0", "-1", "224x", "x224", "224x0", "224X224", "224x224x3", "16385", "a"} {
		if _, _, _, err := ParseResize(bad); err == nil {
			t.Errorf("ParseResize(%q) accepted", bad)
		}
	}
}

func TestInputSize(t *testing.T) {
	if w, h := (Spec{Resize: 256, Crop: 224}).InputSize(); w != 224 || h != 224 {
		t.Errorf("crop input %dx%d, want 224x224", w, h)
	}
	if w, h := (Spec{SquashWidth: 320, SquashHeight: 240}).InputSize(); w != 320 || h != 240 {
		t.Errorf("squash input %dx%d, want 320x240", w, h)
	}
	if w, h := (Spec{SquashWidth: 256, SquashHeight: 256, Crop: 224}).InputSize(); w != 224 || h != 224 {
		t.Errorf("squash-then-crop input %dx%d, want 224x224", w, h)
	}
}
