package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
)

const good = `name: t
models:
  - name: r18
    arch: resnet18
  - name: mine
    onnx: models/mine.onnx
    preprocess: {resize: 256, crop: 224, interpolation: bicubic, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5], channels: bgr, scale: 255}
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
	if c.Timing.Rounds != 3 || c.Timing.MaxRemeasure != 2 || c.Timing.RemeasureSeconds != 180 {
		t.Errorf("round defaults not applied: %+v", c.Timing)
	}
	if got := c.Memory.BatchSizes; len(got) != 3 || got[2] != 64 {
		t.Errorf("memory batch sizes %v, want [1 16 64]", got)
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
		{"no models", "name: t\n", `list at least one model`},
		{"bad yaml", "name: [t\n", `bad.yaml:`},
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
