package accuracy

import (
	"strings"
	"testing"

	"github.com/dnnbench/dnnbench/stages/accuracy/decode"
)

func TestResizedSizeAndOffsets(t *testing.T) {
	p := Preprocess{Resize: 256}
	for _, c := range [][4]int{{500, 375, 341, 256}, {375, 500, 256, 341}, {100, 100, 256, 256}, {256, 1000, 256, 1000}} {
		if w, h := p.resizedSize(c[0], c[1]); w != c[2] || h != c[3] {
			t.Errorf("%dx%d → %dx%d, want %dx%d", c[0], c[1], w, h, c[2], c[3])
		}
	}
	// Python's round: half to even.
	for _, c := range [][3]int{{225, 224, 0}, {227, 224, 2}, {256, 224, 16}, {341, 224, 58}, {229, 224, 2}} {
		if got := centreOffset(c[0], c[1]); got != c[2] {
			t.Errorf("offset(%d, %d) = %d, want %d", c[0], c[1], got, c[2])
		}
	}
}

func TestNormaliseChannelsAndScale(t *testing.T) {
	im := &decode.Image{Width: 4, Height: 4, Channels: 3, Pix: make([]uint8, 48)}
	for i := 0; i < 16; i++ {
		im.Pix[3*i], im.Pix[3*i+1], im.Pix[3*i+2] = 10, 20, 30
	}
	bgr := Preprocess{Crop: 4, Mean: [3]float64{1, 2, 3}, Std: [3]float64{1, 1, 2}, BGR: true, Scale: 255}
	x, err := bgr.Tensor(im, CropCenter)
	if err != nil {
		t.Fatal(err)
	}
	if x[0] != 29 || x[16] != 18 || x[32] != 3.5 {
		t.Errorf("BGR/255: got %v %v %v, want 29 18 3.5", x[0], x[16], x[32])
	}
	rgb := Preprocess{Crop: 4, Mean: [3]float64{0.485, 0.456, 0.406}, Std: [3]float64{0.229, 0.224, 0.225}, Scale: 1}
	x, err = rgb.Tensor(im, CropCenter)
	if err != nil {
		t.Fatal(err)
	}
	// torchvision's float32 arithmetic: (float32(10)/255 - 0.485) / 0.229.
	want := (float32(10)/255 - float32(0.485)) / float32(0.229)
	if x[0] != want || x[15] != want {
		t.Errorf("RGB/1: got %v, want %v", x[0], want)
	}
}

func TestCenterCropPadsLikeTorchvision(t *testing.T) {
	im := &decode.Image{Width: 3, Height: 2, Channels: 1, Pix: []uint8{1, 2, 3, 4, 5, 6}}
	p := Preprocess{Crop: 4, Std: [3]float64{1, 1, 1}, Scale: 255}
	x, err := p.Tensor(im, CropCenter)
	if err != nil {
		t.Fatal(err)
	}
	// pad left (4-3)//2 = 0, top (4-2)//2 = 1.
	want := []float32{0, 0, 0, 0, 1, 2, 3, 0, 4, 5, 6, 0, 0, 0, 0, 0}
	for i, v := range want {
		if x[i] != v || x[32+i] != v {
			t.Fatalf("padded crop %v, want %v", x[:16], want)
		}
	}
	if _, err := p.Tensor(im, CropTen); err == nil {
		t.Error("ten-crop larger than the image accepted (torchvision raises)")
	}
}

func TestTenCropOrder(t *testing.T) {
	// A 6×5 gray image whose level is 10*x + y.
	im := &decode.Image{Width: 6, Height: 5, Channels: 1, Pix: make([]uint8, 30)}
	for y := 0; y < 5; y++ {
		for x := 0; x < 6; x++ {
			im.Pix[y*6+x] = uint8(10*x + y)
		}
	}
	p := Preprocess{Crop: 4, Std: [3]float64{1, 1, 1}, Scale: 255}
	x, err := p.Tensor(im, CropTen)
	if err != nil {
		t.Fatal(err)
	}
	// First row of each crop: tl, tr, bl, br, centre (top round(0.5)=0,
	// left 1), then the same of the flipped image.
	want := [10][4]float32{
		{0, 10, 20, 30}, {20, 30, 40, 50}, {1, 11, 21, 31}, {21, 31, 41, 51}, {10, 20, 30, 40},
		{50, 40, 30, 20}, {30, 20, 10, 0}, {51, 41, 31, 21}, {31, 21, 11, 1}, {40, 30, 20, 10},
	}
	for k := 0; k < 10; k++ {
		row := x[k*48 : k*48+4]
		for i := range row {
			if row[i] != want[k][i] {
				t.Errorf("crop %d first row %v, want %v", k, row, want[k])
				break
			}
		}
	}
}

func TestValidate(t *testing.T) {
	ok := Preprocess{Resize: 256, Crop: 224, Std: [3]float64{1, 1, 1}}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	bad := []Preprocess{
		{Crop: 0, Std: [3]float64{1, 1, 1}},
		{Crop: 224, Std: [3]float64{1, 0, 1}},
		{Crop: 224, Std: [3]float64{1, 1, 1}, Scale: 2},
		{Crop: 224, Std: [3]float64{1, 1, 1}, Interpolation: "nearest"},
		{Crop: 224, Resize: -1, Std: [3]float64{1, 1, 1}},
	}
	for _, p := range bad {
		if err := p.Validate(); err == nil {
			t.Errorf("%+v accepted", p)
		}
	}
	if _, err := Crops("five"); err == nil {
		t.Error("crop mode five accepted")
	}
}

func TestValidateNormalisationUnits(t *testing.T) {
	imagenet := Preprocess{Crop: 224, Resize: 256, Mean: [3]float64{0.485, 0.456, 0.406}, Std: [3]float64{0.229, 0.224, 0.225}, Scale: 1}
	if err := imagenet.Validate(); err != nil {
		t.Fatal(err)
	}
	raw := imagenet
	raw.Scale = 255
	if err := raw.Validate(); err == nil || !strings.Contains(err.Error(), "set scale: 1, or multiply by 255") {
		t.Errorf("0–1 mean with scale 255: %v", err)
	}
	caffe := Preprocess{Crop: 224, Mean: [3]float64{104, 117, 128}, Std: [3]float64{1, 1, 1}, Scale: 1}
	if err := caffe.Validate(); err == nil || !strings.Contains(err.Error(), "set scale: 255, or divide by 255") {
		t.Errorf("0–255 mean with scale 1: %v", err)
	}
	caffe.Scale = 255
	if err := caffe.Validate(); err != nil {
		t.Errorf("caffe preprocessing: %v", err)
	}
}
