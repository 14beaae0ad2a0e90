package main

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dnnbench/dnnbench/internal/testmodel"
)

// accuracySetup writes a tiny pretrained model, an ImageFolder of 50
// images of class n01440764 (the first bad of them text files, plus a
// folder that is not a class) and a config scoring it.
func accuracySetup(t *testing.T, bad int) (cfgPath, dir string) {
	t.Helper()
	dir = t.TempDir()
	model := filepath.Join(dir, "tiny.onnx")
	if err := testmodel.Write(model, testmodel.Spec{Size: 8}); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, image.NewGray(image.Rect(0, 0, 12, 10)), nil); err != nil {
		t.Fatal(err)
	}
	val := filepath.Join(dir, "val")
	for _, sub := range []string{"n01440764", "extra"} {
		if err := os.MkdirAll(filepath.Join(val, sub), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 50; i++ {
		data := buf.Bytes()
		if i < bad {
			data = []byte("not an image\n")
		}
		if err := os.WriteFile(filepath.Join(val, "n01440764", fmt.Sprintf("img%02d.JPEG", i)), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cfgPath = filepath.Join(dir, "acc.yaml")
	cfg := fmt.Sprintf(`name: acc
models:
  - {name: tiny, onnx: %s, preprocess: {resize: 8, crop: 8}}
accuracy: {dataset: %s, batch_size: 8}
timing: {batch_sizes: [1], warmup: 1, runs: 1, min_seconds: 0.01}
memory: {batch_sizes: [1]}
report: {formats: [md]}
`, model, val)
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return cfgPath, dir
}

// TestAccuracyTooManySkippedFailsTheRow: 2 % unreadable images with the
// default accuracy.max_skipped (1 %) fail the model's row; the console,
// accuracy.csv and the report say why, and the ignored folder is counted.
func TestAccuracyTooManySkippedFailsTheRow(t *testing.T) {
	cfg, dir := accuracySetup(t, 1)
	log, err := runArgs(t, "--config", cfg, "--out", filepath.Join(dir, "out"), "--cache", filepath.Join(dir, "cache"))
	if err != nil {
		t.Fatalf("%v\n%s", err, log)
	}
	const why = "1 of 50 images (2.00%) could not be read, more than accuracy.max_skipped 1%"
	for _, want := range []string{"accuracy: tiny center crop FAILED: " + why, `folder "extra" is not an ImageNet class; ignored`} {
		if !strings.Contains(log, want) {
			t.Errorf("console lacks %q:\n%s", want, log)
		}
	}
	res := filepath.Join(dir, "out", "acc")
	recs := readCSV(t, filepath.Join(res, "accuracy.csv"))
	if got := strings.Join(recs[0], ","); got != "model,dataset,crop,n,top1,top5,top1_ci95,source,skipped,warnings,status,error,ignored,dataset_images" {
		t.Errorf("accuracy.csv header %s", got)
	}
	row := map[string]string{}
	for i, k := range recs[0] {
		row[k] = recs[1][i]
	}
	if row["status"] != "error" || !strings.Contains(row["error"], why) || !strings.Contains(row["error"], "img00.JPEG: not a JPEG or PNG image") ||
		row["n"] != "49" || row["skipped"] != "1" || row["ignored"] != "1" || row["top1"] != "0" {
		t.Errorf("accuracy.csv row %v", row)
	}
	md, err := os.ReadFile(filepath.Join(res, "report.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(md), "| tiny | – | – | measurement failed: "+strings.ReplaceAll(why, "_", `\_`)) {
		t.Errorf("report.md does not say why tiny has no accuracy:\n%s", md)
	}
}

// TestAccuracyNothingScoredIsAnError: when no image can be read the run
// fails (non-zero exit) and names the first causes.
func TestAccuracyNothingScoredIsAnError(t *testing.T) {
	cfg, dir := accuracySetup(t, 50)
	log, err := runArgs(t, "--config", cfg, "--out", filepath.Join(dir, "out"), "--cache", filepath.Join(dir, "cache"), "--stage", "accuracy")
	if err == nil {
		t.Fatalf("a run that scored no image succeeded:\n%s", log)
	}
	for _, want := range []string{"accuracy: tiny center crop: none of the 50 images could be scored", "img00.JPEG: not a JPEG or PNG image", "img02.JPEG", "and 47 more"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}
