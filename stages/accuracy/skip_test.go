package accuracy

import (
	"context"
	"fmt"
	"github.com/dnnbench/dnnbench/internal/diag"
	"strings"
	"testing"

	"github.com/dnnbench/dnnbench/stages/accuracy/dataset"
)

// measureFake scores images with the Go colour classifier (no ONNX Runtime).
func measureFake(t *testing.T, cfg Config, images []testImage) ([]Row, []diag.Warning, error) {
	t.Helper()
	classes := loadClasses(t)
	dir := buildDataset(t, dataset.ValTxt, images, classes)
	ds, err := dataset.Open(dir, classes)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Dataset = dir
	f := &fakeInfer{n: 4, crop: 32, in: make([]float32, 4*3*32*32)}
	m := Model{Name: "colour", Weights: "pretrained", Preprocess: testPreprocess}
	return measure(context.Background(), cfg, m, ds, ds.Items, classes.Len(), f, nil, nil)
}

// fiftyImages are 50 red images of class red, the first bad of them unreadable.
func fiftyImages(bad int) []testImage {
	good := testImages()[0]
	text := testImages()[9]
	var out []testImage
	for i := 0; i < 50; i++ {
		im := good
		if i < bad {
			im = text
		}
		im.name = fmt.Sprintf("%02d", i)
		out = append(out, im)
	}
	return out
}

func TestNoImageScoredIsAnError(t *testing.T) {
	images := fiftyImages(50)
	_, _, err := measureFake(t, Config{MaxSkippedPercent: 100}, images)
	if err == nil {
		t.Fatal("a run where every image is unreadable succeeded")
	}
	for _, want := range []string{"none of the 50 images could be scored", fileName("00") + ": not a JPEG or PNG image", fileName("02"), "and 47 more"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
}

func TestMaxSkipped(t *testing.T) {
	images := fiftyImages(1) // 2 % unreadable
	for _, tc := range []struct {
		max    float64
		status string
	}{{1, StatusError}, {2, StatusOK}, {0, StatusError}} {
		rows, _, err := measureFake(t, Config{MaxSkippedPercent: tc.max}, images)
		if err != nil {
			t.Fatal(err)
		}
		r := rows[0]
		if r.Status != tc.status || r.N != 49 || r.Skipped != 1 {
			t.Errorf("max %g%%: status %q n %d skipped %d, want %q, 49, 1", tc.max, r.Status, r.N, r.Skipped, tc.status)
		}
		if tc.status == StatusOK {
			if r.Top1 != 100 || r.Error != "" {
				t.Errorf("max %g%%: top-1 %g error %q, want 100 and none", tc.max, r.Top1, r.Error)
			}
			continue
		}
		if r.Top1 != 0 || r.Top5 != 0 || r.Top1CI95 != 0 {
			t.Errorf("max %g%%: a failed row reports top-1 %g top-5 %g ± %g", tc.max, r.Top1, r.Top5, r.Top1CI95)
		}
		for _, want := range []string{"1 of 50 images (2.00%)", fmt.Sprintf("accuracy.max_skipped %g%%", tc.max), fileName("00") + ": not a JPEG or PNG image"} {
			if !strings.Contains(r.Error, want) {
				t.Errorf("max %g%%: error %q does not contain %q", tc.max, r.Error, want)
			}
		}
	}
}
