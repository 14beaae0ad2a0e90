package accuracy

import (
	"math"
	"strings"
	"testing"
)

func TestPublished(t *testing.T) {
	cases := []struct {
		ref        string
		top1, top5 float64
	}{
		{"torchvision:ResNet50_Weights.IMAGENET1K_V1", 76.13, 92.862},
		{"torchvision:AlexNet_Weights.IMAGENET1K_V1", 56.522, 79.066},
		{"paper:AlexNet", 56.432, 79.194},
		{"timm:eva02_large_patch14_448.mim_m38m_ft_in22k_in1k", 90.056, 99.054},
	}
	for _, c := range cases {
		row, ok, err := Published(c.ref)
		if err != nil || !ok {
			t.Fatalf("%s: ok=%v err=%v", c.ref, ok, err)
		}
		if row.Top1 != c.top1 || row.Top5 != c.top5 || row.Source != "published:"+c.ref ||
			row.Crop != CropCenter || row.N != 0 || row.Dataset != PublishedDataset {
			t.Errorf("%s: %+v", c.ref, row)
		}
	}
	if _, ok, err := Published("torchvision:NoSuchWeights"); ok || err != nil {
		t.Errorf("unknown name: ok=%v err=%v, want not found without error", ok, err)
	}
	for _, bad := range []string{"", "torchvision", "imagenet:resnet50", "paper:"} {
		if _, _, err := Published(bad); err == nil || !strings.Contains(err.Error(), "want torchvision:") {
			t.Errorf("%q: error %v", bad, err)
		}
	}
}

func TestWilsonInterval(t *testing.T) {
	// Wilson 95% interval for 76 of 100: [0.66768, 0.83309] (z = 1.96).
	lo, hi := WilsonInterval(76, 100)
	if math.Abs(lo-0.66768) > 5e-5 || math.Abs(hi-0.83309) > 5e-5 {
		t.Errorf("76/100: [%.5f, %.5f], want [0.66768, 0.83309]", lo, hi)
	}
	// 0 of 24 stays inside [0, 1] and is not empty.
	if lo, hi := WilsonInterval(0, 24); lo != 0 || hi < 0.1 || hi > 0.2 {
		t.Errorf("0/24: [%g, %g], want [0, ~0.138]", lo, hi)
	}
	if lo, hi := WilsonInterval(3, 0); lo != 0 || hi != 0 {
		t.Errorf("n=0: [%g, %g]", lo, hi)
	}
}

func TestWilsonHalfWidth(t *testing.T) {
	// Wilson 95% interval for 76 of 100: [0.66768, 0.83309] (z = 1.96).
	if got := WilsonHalfWidth(76, 100); got < 0.082700 || got > 0.082710 {
		t.Errorf("76/100: half-width %.5f, want 0.082705", got)
	}
	if got := WilsonHalfWidth(0, 0); got != 0 {
		t.Errorf("0/0: %g", got)
	}
	if got := WilsonHalfWidth(10, 10); !(got > 0 && got < 0.15) {
		t.Errorf("10/10: half-width %g must be positive and small", got)
	}
}
