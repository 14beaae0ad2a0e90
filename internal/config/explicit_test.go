package config

import (
	"strings"
	"testing"
)

const oneModel = "name: t\nmodels:\n  - name: a\n    arch: resnet18\n"

// TestExplicitZeroIsKept: a key set to 0 keeps 0; only absent keys get
// their defaults.
func TestExplicitZeroIsKept(t *testing.T) {
	c, err := Parse("z.yaml", []byte(oneModel+"seed: 0\ntiming: {warmup: 0, min_seconds: 0}\naccuracy: {limit: 0}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Seed != 0 || c.Timing.Warmup != 0 || c.Timing.MinSeconds != 0 {
		t.Errorf("seed %d, warmup %d, min_seconds %v: want the explicit zeros", c.Seed, c.Timing.Warmup, c.Timing.MinSeconds)
	}
	if c.Timing.Runs != 10 || len(c.Timing.BatchSizes) != 7 || c.Accuracy.BatchSize != 32 {
		t.Errorf("absent keys not defaulted: %+v %+v", c.Timing, c.Accuracy)
	}
	d, err := Parse("d.yaml", []byte(oneModel))
	if err != nil {
		t.Fatal(err)
	}
	if d.Seed != 20180101 || d.Timing.Warmup != 10 || d.Timing.MinSeconds != 1 {
		t.Errorf("defaults: seed %d, warmup %d, min_seconds %v", d.Seed, d.Timing.Warmup, d.Timing.MinSeconds)
	}
}

// TestProtocolRules: what the protocol cannot mean is an error naming the
// file, the line and the key.
func TestProtocolRules(t *testing.T) {
	cases := []struct{ name, yaml, want string }{
		{"empty batch sizes", oneModel + "timing:\n  batch_sizes: []\n", `r.yaml:6: timing.batch_sizes is empty`},
		{"empty memory batch sizes", oneModel + "memory: {batch_sizes: []}\n", `r.yaml:5: memory.batch_sizes is empty`},
		{"empty crops", oneModel + "accuracy:\n  crops: []\n", `r.yaml:6: accuracy.crops is empty`},
		{"empty formats", oneModel + "report:\n  formats: []\n", `r.yaml:6: report.formats is empty`},
		{"empty fps", oneModel + "report:\n  constraints: {fps: []}\n", `report.constraints.fps is empty`},
		{"fractional batch", oneModel + "timing:\n  batch_sizes: [1, 1.5]\n", `r.yaml:6: timing.batch_sizes[1]: "1.5" is not a whole number`},
		{"fractional warmup", oneModel + "timing:\n  warmup: 2.5\n", `r.yaml:6: timing.warmup: "2.5" is not a whole number`},
		{"float seed", oneModel + "seed: 1e3\n", `r.yaml:5: seed: "1e3" is not a whole number`},
		{"repeated batch", oneModel + "timing:\n  batch_sizes: [1, 2, 2]\n", `r.yaml:6: timing.batch_sizes lists 2 twice`},
		{"repeated crop", oneModel + "accuracy: {crops: [center, center]}\n", `accuracy.crops lists center twice`},
		{"repeated format", oneModel + "report: {formats: [md, pdf, md]}\n", `report.formats lists md twice`},
		{"null value", oneModel + "timing:\n  warmup:\n", `r.yaml:6: timing.warmup has no value`},
		{"second document", oneModel + "---\nname: u\n", `r.yaml:6: a second YAML document`},
		{"third document", oneModel + "---\n---\nname: u\n", `r.yaml:7: a second YAML document`},
		{"zero runs", oneModel + "timing: {runs: 0}\n", `runs ≥ 1`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("r.yaml", []byte(tc.yaml))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want it to contain %q", err, tc.want)
			}
		})
	}
	// A leading document marker is still one document.
	if _, err := Parse("r.yaml", []byte("---\n"+oneModel+"---\n")); err != nil {
		t.Errorf("one document between --- markers: %v", err)
	}
}

// TestLogAxes: report.log_axes defaults to true, an explicit false keeps
// the paper's linear axes, and a value that is not a boolean is an error
// at its line.
func TestLogAxes(t *testing.T) {
	d, err := Parse("d.yaml", []byte(oneModel))
	if err != nil {
		t.Fatal(err)
	}
	if !d.Report.LogAxes {
		t.Errorf("report.log_axes default false, want true")
	}
	f, err := Parse("f.yaml", []byte(oneModel+"report: {log_axes: false}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if f.Report.LogAxes {
		t.Errorf("report.log_axes: false decoded as true")
	}
	_, err = Parse("b.yaml", []byte(oneModel+"report:\n  log_axes: sometimes\n"))
	if err == nil || !strings.Contains(err.Error(), "b.yaml:6:") || !strings.Contains(err.Error(), "bool") {
		t.Errorf("log_axes: sometimes: error %v, want one at b.yaml:6 asking for a bool", err)
	}
}
