package accuracy

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dnnbench/dnnbench/stages/accuracy/dataset"
)

// fakeInfer scores like the colour model in Go, with a fixed batch size and
// a 1001-class output whose index 0 is a background class that would win
// everywhere if it were not dropped.
type fakeInfer struct {
	n, crop, runs int
	in            []float32
}

func (f *fakeInfer) size() int        { return f.n }
func (f *fakeInfer) input() []float32 { return f.in }
func (f *fakeInfer) run() ([]float32, error) {
	f.runs++
	const nclass = 1000
	plane := f.crop * f.crop
	out := make([]float32, f.n*(nclass+1))
	for j := 0; j < f.n; j++ {
		var x [3]float32
		for c := 0; c < 3; c++ {
			for _, v := range f.in[(j*3+c)*plane : (j*3+c+1)*plane] {
				x[c] += v
			}
			x[c] /= float32(plane)
		}
		o := out[j*(nclass+1) : (j+1)*(nclass+1)]
		o[0] = 100
		for c := 0; c < nclass; c++ {
			mu := [3]float32{3, 3, 3}
			if c < len(prototypes) {
				mu = prototypes[c]
			}
			var s float32
			for i := range x {
				s += 2*x[i]*mu[i] - mu[i]*mu[i]
			}
			o[c+1] = s
		}
	}
	return out, nil
}

func TestScoreBatchingAndBackgroundClass(t *testing.T) {
	classes := loadClasses(t)
	images := testImages()
	dir := buildDataset(t, dataset.ValTxt, images, classes)
	ds, err := dataset.Open(dir, classes)
	if err != nil {
		t.Fatal(err)
	}
	r, err := ds.NewReader()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	_, want1, want5, wantSkip := expected(images)
	// Batches of 3 never hold a whole ten-crop image: crops straddle batches.
	for _, mode := range []string{CropCenter, CropTen} {
		for _, workers := range []int{1, 3} {
			f := &fakeInfer{n: 3, crop: 32}
			f.in = make([]float32, 3*3*32*32)
			var calls []int
			res, err := score(context.Background(), testPreprocess, mode, ds.Items, r, 1000, f, workers, func(n int) { calls = append(calls, n) })
			if err != nil {
				t.Fatal(err)
			}
			k, _ := Crops(mode)
			if wantRuns := (9*k + 2) / 3; f.runs != wantRuns {
				t.Errorf("%s: %d runs, want %d", mode, f.runs, wantRuns)
			}
			if res.Scored != 9 || res.Top1 != want1 || res.Top5 != want5 || int64(len(res.Skipped)) != wantSkip {
				t.Errorf("%s workers %d: %+v, want 9 scored, top1 %d, top5 %d, %d skipped", mode, workers, res, want1, want5, wantSkip)
			}
			if len(calls) != 1 || calls[0] != 12 {
				t.Errorf("progress calls %v, want [12] (every %d images and at the end)", calls, progressEvery)
			}
			if !strings.Contains(res.Skipped[1], "truncated") {
				t.Errorf("skipped %q: the second must be the truncated file", res.Skipped)
			}
		}
	}
}

func TestScoreCancelled(t *testing.T) {
	classes := loadClasses(t)
	dir := buildDataset(t, dataset.ValTxt, testImages(), classes)
	ds, err := dataset.Open(dir, classes)
	if err != nil {
		t.Fatal(err)
	}
	r, err := ds.NewReader()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	f := &fakeInfer{n: 2, crop: 32, in: make([]float32, 2*3*32*32)}
	if _, err := score(ctx, testPreprocess, CropCenter, ds.Items, r, 1000, f, 2, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled run: error %v, want context.Canceled", err)
	}
}

func TestLabelRank(t *testing.T) {
	s := []float64{1, 5, 3, 5, 0}
	for label, want := range []int{3, 0, 2, 1, 4} {
		if got := labelRank(s, label); got != want {
			t.Errorf("rank of %d = %d, want %d", label, got, want)
		}
	}
	if labelRank([]float64{0, 1, nanValue()}, 2) != 3 {
		t.Error("a NaN score must rank last")
	}
}

func nanValue() float64 { return math.NaN() }

func TestCheckDataset(t *testing.T) {
	classes := loadClasses(t)
	dir := buildDataset(t, dataset.ImageFolder, testImages(), classes)
	if err := os.WriteFile(filepath.Join(dir, "README"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	rep, warns, err := CheckDataset(dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	// Only the text file lacks JPEG/PNG magic; truncated and corrupt JPEGs pass the sniff.
	if rep.Images != 12 || rep.Classes != 9 || len(rep.Unreadable) != 1 || len(warns) != 1 {
		t.Errorf("check: %+v, warnings %q", rep, warns)
	}
}
