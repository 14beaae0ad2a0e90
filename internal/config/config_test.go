package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"testing/fstest"
	"time"
)

const good = `name: t
models:
  - name: r18
    arch: resnet18
  - name: mine
    onnx: models/mine.onnx
    preprocess: {resize: 256, crop: 224, interpolation: bicubic, mean: [127.5, 127.5, 127.5], std: [127.5, 127.5, 127.5], channels: bgr, scale: 255}
timing: {batch_sizes: [1, 2], warmup: 3}
`

func TestParseAppliesDefaults(t *testing.T) {
	c, err := Parse("good.yaml", []byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if c.Device != "cpu" || c.Timing.Runs != 10 || c.Timing.Warmup != 3 || c.Timing.MinSeconds != 1 {
		t.Errorf("defaults not applied: %+v", c.Timing)
	}
	if c.Timing.Rounds != 2 || c.Timing.Processes != 2 || c.Timing.MaxRemeasure != 2 || c.Timing.RemeasureSeconds != 180 {
		t.Errorf("round defaults not applied: %+v", c.Timing)
	}
	if got := c.Memory.BatchSizes; len(got) != 3 || got[2] != 64 {
		t.Errorf("memory batch sizes %v, want [1 16 64]", got)
	}
	if c.Accuracy.MaxSkippedPercent() != 1 {
		t.Errorf("accuracy.max_skipped default %v, want 1 (%%)", c.Accuracy.MaxSkippedPercent())
	}
	if z, err := Parse("z.yaml", []byte(good+"accuracy: {max_skipped: 0}\n")); err != nil || z.Accuracy.MaxSkippedPercent() != 0 {
		t.Errorf("explicit max_skipped 0: %v, err %v; want 0 kept", z, err)
	}
	if p := c.Models[1].Preprocess; p.Resize != "256" {
		t.Errorf("resize 256 decoded as %q", p.Resize)
	}
	sq, err := Parse("sq.yaml", []byte("name: t\nmodels:\n  - name: a\n    arch: x\n    preprocess: {resize: 224x224, crop: 0, layout: nhwc}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if p := sq.Models[0].Preprocess; p.Resize != "224x224" || p.Crop != 0 || p.Layout != "nhwc" {
		t.Errorf("squash preprocess decoded as %+v", *p)
	}
	if c.Models[1].Preprocess.Channels != "bgr" || c.Models[1].Preprocess.Scale != 255 {
		t.Errorf("preprocess not decoded: %+v", c.Models[1].Preprocess)
	}
}

func TestParseErrorsNameFileLineAndKey(t *testing.T) {
	cases := []struct{ name, yaml, want string }{
		{"misspelt key", "name: t\nmodels:\n  - name: a\n    arch: resnet18\ntiming:\n  batch_size: [1]\n", `bad.yaml:6: unknown key "batch_size" in timing`},
		{"misspelt top key", "name: t\nmodel:\n  - name: a\n", `bad.yaml:2: unknown key "model" in the top level`},
		{"wrong type", "name: t\nmodels:\n  - name: a\n    arch: resnet18\ntiming:\n  warmup: lots\n", `bad.yaml:6:`},
		{"two sources", "name: t\nmodels:\n  - name: a\n    arch: resnet18\n    onnx: x.onnx\n", `bad.yaml:3: model "a": set exactly one of arch, onnx or url`},
		{"url without sha", "name: t\nmodels:\n  - name: a\n    url: https://example.com/a.onnx\n", `needs sha256`},
		{"unsafe name", "name: t\nmodels:\n  - name: ../../etc\n    arch: resnet18\n", `bad.yaml:3: models[0].name`},
		{"bad crop", "name: t\nmodels:\n  - name: a\n    arch: x\naccuracy: {crops: [corner]}\n", `"corner" must be center or ten`},
		{"unsorted batches", "name: t\nmodels:\n  - name: a\n    arch: x\ntiming: {batch_sizes: [4, 1]}\n", `increasing order`},
		{"more rounds than runs", "name: t\nmodels:\n  - name: a\n    arch: x\ntiming:\n  runs: 2\n  rounds: 3\n", `bad.yaml:7: timing.rounds: 3 must be between 1 and runs (2)`},
		{"processes past the runs", "name: t\nmodels:\n  - name: a\n    arch: x\ntiming:\n  runs: 10\n  rounds: 3\n  processes: 4\n", `bad.yaml:8: timing.processes: 4 must be at least 1 and processes × rounds (12) at most runs (10)`},
		{"no processes", "name: t\nmodels:\n  - name: a\n    arch: x\ntiming:\n  processes: 0\n", `bad.yaml:6: timing.processes: 0 must be at least 1`},
		{"no models", "name: t\n", `list at least one model`},
		{"max_skipped above 100", "name: t\nmodels:\n  - name: a\n    arch: x\naccuracy:\n  max_skipped: 150\n", `bad.yaml:6: accuracy.max_skipped: 150 must be a percentage between 0 and 100`},
		{"workers past the cores", "name: t\nmodels:\n  - name: a\n    arch: x\naccuracy:\n  workers: 100000\n", `bad.yaml:6: accuracy.workers: 100000 is more than 4 per core`},
		{"max_skipped negative", "name: t\nmodels:\n  - name: a\n    arch: x\naccuracy: {max_skipped: -1}\n", `must be a percentage`},
		{"bad yaml", "name: [t\n", `bad.yaml:`},
		{"url and urls", "name: t\nmodels:\n  - name: a\n    url: https://a/x\n    urls: [https://b/x]\n    sha256: " + strings.Repeat("a", 64) + "\n", `bad.yaml:3: model "a": set exactly one of arch, onnx or url (urls for mirrors)`},
		{"empty urls", "name: t\nmodels:\n  - name: a\n    urls: []\n    sha256: " + strings.Repeat("a", 64) + "\n", `bad.yaml:4: model "a": urls is empty`},
		{"mirror twice", "name: t\nmodels:\n  - name: a\n    urls: [https://b/x, https://b/x]\n    sha256: " + strings.Repeat("a", 64) + "\n", `bad.yaml:4: model "a": urls lists https://b/x twice`},
		{"mirror not http", "name: t\nmodels:\n  - name: a\n    urls: [https://b/x, ftp://c/x]\n    sha256: " + strings.Repeat("a", 64) + "\n", `bad.yaml:4: model "a": url must be http(s), not "ftp://c/x"`},
		{"urls without sha", "name: t\nmodels:\n  - name: a\n    urls: [https://b/x]\n", `needs sha256`},
		{"resize not a size", "name: t\nmodels:\n  - name: a\n    arch: x\n    preprocess:\n      resize: 224by224\n", `bad.yaml:6: model "a": preprocess resize "224by224": want a shorter side in pixels (256) or a squash WxH (224x224)`},
		{"squash side zero", "name: t\nmodels:\n  - name: a\n    arch: x\n    preprocess:\n      resize: 224x0\n", `bad.yaml:6: model "a": preprocess resize "224x0"`},
		{"resize a list", "name: t\nmodels:\n  - name: a\n    arch: x\n    preprocess:\n      resize: [224, 224]\n", `bad.yaml:6:`},
		{"crop larger than squash", "name: t\nmodels:\n  - name: a\n    arch: x\n    preprocess: {resize: 256x200, crop: 224}\n", `bad.yaml:5: model "a": preprocess resize 256x200 / crop 224 invalid`},
		{"unknown layout", "name: t\nmodels:\n  - name: a\n    arch: x\n    preprocess:\n      layout: hwc\n", `bad.yaml:6: model "a": layout "hwc" must be nchw or nhwc`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("bad.yaml", []byte(tc.yaml))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

// TestNormalisationUnits: mean/std in the units of the other scale are an
// error at the preprocess line with both fixes spelled out; consistent ones pass.
func TestNormalisationUnits(t *testing.T) {
	const head = "name: t\nmodels:\n  - name: a\n    onnx: a.onnx\n"
	cases := []struct{ name, pre, want string }{
		{"0-1 mean with scale 255", "{mean: [0.485, 0.456, 0.406], std: [1, 1, 1], scale: 255}",
			"bad.yaml:5: model \"a\": preprocess mean [0.485, 0.456, 0.406] in 0–1 units, but scale 255 means raw pixel levels 0–255: set scale: 1, or multiply by 255 (mean: [123.675, 116.28, 103.53])"},
		{"0-1 std with scale 255", "{mean: [123.675, 116.28, 103.53], std: [0.229, 0.224, 0.225], scale: 255}",
			"std [0.229, 0.224, 0.225] in 0–1 units, but scale 255"},
		{"0-255 mean with scale 1", "{mean: [123.7, 116.3, 103.5], std: [58.4, 57.1, 57.4], scale: 1}",
			"bad.yaml:5: model \"a\": preprocess mean [123.7, 116.3, 103.5] and std [58.4, 57.1, 57.4] in 0–255 units, but scale 1 means pixels in 0–1: set scale: 255, or divide by 255 (mean: [0.4851, 0.4561, 0.4059], std: [0.229, 0.2239, 0.2251])"},
		{"0-255 mean without scale", "{mean: [104, 117, 128]}", "in 0–255 units, but scale 1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("bad.yaml", []byte(head+"    preprocess: "+tc.pre+"\n"))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want it to contain %q", err, tc.want)
			}
		})
	}
	for _, pre := range []string{
		"{mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], scale: 1}",
		"{mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225]}",
		"{mean: [104, 117, 128], std: [1, 1, 1], scale: 255, channels: bgr}",
		"{mean: [0, 0, 0], std: [1, 1, 1], scale: 255}",
		"{mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5], scale: 1}",
		"{crop: 224}",
	} {
		if _, err := Parse("good.yaml", []byte(head+"    preprocess: "+pre+"\n")); err != nil {
			t.Errorf("%s: %v", pre, err)
		}
	}
	// A paper: reference may use raw levels, so without scale its mean is not judged here.
	if _, err := Parse("good.yaml", []byte(head+"    reference: paper:googlenet\n    preprocess: {mean: [104, 117, 128]}\n")); err != nil {
		t.Errorf("paper reference without scale: %v", err)
	}
}

func TestLoadDevice(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "local.yaml"), []byte("name: local\nprovider: cpu\nintra_op_threads: 2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	emb := fstest.MapFS{"devices/cpu.yaml": {Data: []byte("name: cpu\n")}, "devices/cuda.yaml": {Data: []byte("name: cuda\nprovider: cuda\nmemory_sampler: nvml\n")}}
	d, err := LoadDevice("local", dir, emb)
	if err != nil || d.IntraOpThreads != 2 || d.MemorySampler != "proc" {
		t.Fatalf("LoadDevice(local) = %+v, %v", d, err)
	}
	d, err = LoadDevice("cuda", dir, emb)
	if err != nil || d.Provider != "cuda" {
		t.Fatalf("LoadDevice(cuda) = %+v, %v", d, err)
	}
	_, err = LoadDevice("nosuch", dir, emb)
	if err == nil || !strings.Contains(err.Error(), "known devices: cpu, cuda, local") {
		t.Fatalf("unknown device error %v, want the known list", err)
	}
	_, err = LoadDevice("../etc/passwd", dir, emb)
	if err == nil || !strings.Contains(err.Error(), "unknown device") {
		t.Fatalf("hostile device name error %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "typo.yaml"), []byte("name: typo\nprovder: cuda\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = LoadDevice("typo", dir, emb)
	if err == nil || !strings.Contains(err.Error(), `typo.yaml:2: unknown key "provder"`) {
		t.Fatalf("typo error %v", err)
	}
}

func TestParseRejectsNaNAndInfinity(t *testing.T) {
	const models = "name: t\nmodels:\n  - name: a\n    arch: resnet18\n"
	cases := []struct{ name, yaml, want string }{
		{"nan min_seconds", models + "timing:\n  min_seconds: .nan\n", `bad.yaml:6: timing.min_seconds is .nan; it must be a finite number`},
		{"inf constraint", models + "report:\n  constraints: {fps: [15, .inf]}\n", `bad.yaml:6: report.constraints.fps[1] is .inf`},
		{"negative inf scale", models + "    preprocess: {scale: -.Inf}\n", `bad.yaml:5: models[0].preprocess.scale is -.Inf`},
		{"nan mean", models + "    preprocess:\n      mean: [0.5, .NaN, 0.5]\n", `bad.yaml:6: models[0].preprocess.mean[1] is .NaN`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("bad.yaml", []byte(tc.yaml))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want it to contain %q", err, tc.want)
			}
		})
	}
	_, err := ParseDevice("dev.yaml", []byte("name: dev\npeak_gflops: .inf\n"))
	if err == nil || !strings.Contains(err.Error(), "dev.yaml:2: peak_gflops is .inf") {
		t.Fatalf("device peak_gflops .inf: error %v", err)
	}
}

func TestParseDeviceBoundsThreads(t *testing.T) {
	limit := MaxThreads()
	ok := fmt.Sprintf("name: dev\nintra_op_threads: %d\ninter_op_threads: 1\n", limit)
	if _, err := ParseDevice("dev.yaml", []byte(ok)); err != nil {
		t.Fatalf("threads at the limit %d: %v", limit, err)
	}
	for _, key := range []string{"intra_op_threads", "inter_op_threads"} {
		_, err := ParseDevice("dev.yaml", []byte(fmt.Sprintf("name: dev\n\n%s: 100000\n", key)))
		want := fmt.Sprintf("dev.yaml:3: %s 100000 is more than %d", key, limit)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: 100000: error %v, want it to contain %q", key, err, want)
		}
	}
}

// TestSyntaxErrorLines holds YAML mistakes that yaml.v3 places a few lines
// early (at the start of the enclosing block, counted from 0); the error must
// name the line of the mistake.
func TestSyntaxErrorLines(t *testing.T) {
	const head = "name: t\nmodels:\n  - name: x\n    arch: y\n"
	cases := []struct{ name, yaml, want string }{
		{"key indented too little in a list item", head + "   bad: 1\ntiming:\n  runs: 3\n", "bad.yaml:5: did not find expected '-' indicator"},
		{"key indented too little in a mapping", head + "\n\n\ntiming:\n  runs: 3\n warmup: 2\n", "bad.yaml:10: did not find expected key"},
		{"tab indentation", head + "\n\n\ntiming:\n  runs: 3\n\twarmup: 2\n", "bad.yaml:10: found a tab character that violates indentation"},
		{"list item in a mapping", head + "\n\n\ntiming:\n  runs: 3\n  - 4\n", "bad.yaml:10: did not find expected key"},
		{"unclosed bracket", head + "timing: {runs: 3, warmup: 2\nreport:\n  formats: [md]\n", "bad.yaml:5: did not find expected ',' or '}'"},
		{"colon in a value", head + "\n\n\ntiming:\n  runs: 3\n  warmup: 2: 3\n", "bad.yaml:10: mapping values are not allowed in this context"},
		{"unclosed quote after a multi-line one", "name: t\nmodels:\n  - name: \"x\n      y\"\n    arch: y\ndevice: \"cpu\n\n", "bad.yaml:6: found unexpected end of stream"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("bad.yaml", []byte(tc.yaml))
			if err == nil || err.Error() != tc.want {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
		})
	}
}

func TestLoadRefusesNonRegularFiles(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "pipe.yaml")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{fifo, "/dev/zero", t.TempDir()} {
		done := make(chan error, 1)
		go func() { _, err := Load(p); done <- err }()
		select {
		case err := <-done:
			if err == nil || !strings.Contains(err.Error(), p+" is not a regular file") {
				t.Errorf("Load(%s): error %v, want it refused as not a regular file", p, err)
			}
		case <-time.After(10 * time.Second):
			t.Errorf("Load(%s) still reading after 10 s", p)
		}
	}
}

func TestURLMirrors(t *testing.T) {
	sha := strings.Repeat("a", 64)
	c, err := Parse("m.yaml", []byte("name: t\nmodels:\n  - name: a\n    urls: [https://b/x, http://c/x]\n    sha256: "+sha+"\n  - name: b\n    url: https://d/x\n    sha256: "+sha+"\n  - name: c\n    arch: resnet18\n"))
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range [][]string{{"https://b/x", "http://c/x"}, {"https://d/x"}, nil} {
		if got := c.Models[i].Sources(); strings.Join(got, " ") != strings.Join(want, " ") || (want == nil) != (got == nil) {
			t.Errorf("model %d sources %q, want %q", i, got, want)
		}
	}
}
