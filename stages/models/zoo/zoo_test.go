package zoo

import (
	"context"
	"encoding/csv"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/dnnbench/dnnbench/configs"
	"github.com/dnnbench/dnnbench/internal/onnxrt"
	"github.com/dnnbench/dnnbench/stages/flops"
)

// published is a reference row: parameters and MACs at the native size.
type published struct {
	params   float64 // exact count (torchvision) or millions (timm)
	gmacs    float64
	exact    bool    // torchvision: params must be equal
	paramTol float64 // absolute tolerance in parameters
	macTol   float64 // relative tolerance
	// macRound is half a unit of the last published digit of gmacs (in
	// GMACs): a count that rounds to the published figure passes even
	// where that is more than macTol away (shufflenet_v2_x0_5: 0.0405 vs 0.04).
	macRound float64
}

func readCSV(t testing.TB, name string) []map[string]string {
	t.Helper()
	f, err := configs.FS.Open("reference/" + name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	var rows []map[string]string
	for _, r := range recs[1:] {
		m := map[string]string{}
		for i, h := range recs[0] {
			m[h] = r[i]
		}
		rows = append(rows, m)
	}
	return rows
}

func num(t testing.TB, s string) float64 {
	v, err := strconv.ParseFloat(strings.ReplaceAll(s, ",", ""), 64)
	if err != nil {
		t.Fatalf("bad number %q: %v", s, err)
	}
	return v
}

// reference finds the published parameters and MACs of an architecture.
func reference(t testing.TB, a Arch) published {
	t.Helper()
	src, key, _ := strings.Cut(a.Reference, ":")
	size := a.Size
	if size == 0 {
		size = 224
	}
	switch src {
	case "torchvision":
		for _, r := range readCSV(t, "torchvision.csv") {
			if r["name"] == key {
				params := num(t, r["num_params"]) - float64(trainingOnlyParams(a.Name))
				return published{params: params, gmacs: num(t, r["gmacs"]), exact: true, macTol: 0.01, macRound: 0.0005}
			}
		}
	case "timm":
		model, _, _ := strings.Cut(key, ".")
		for _, r := range readCSV(t, "timm_benchmark_cpu_i7-12700h.csv") {
			if r["model"] == model && num(t, r["infer_img_size"]) == float64(size) {
				return published{params: num(t, r["param_count"]) * 1e6, gmacs: num(t, r["infer_gmacs"]), paramTol: 0.005e6, macTol: 0.02}
			}
		}
	}
	t.Fatalf("%s: no reference row for %q at %d px", a.Name, a.Reference, size)
	return published{}
}

// TestArchitectures checks every architecture's parameters and MACs against
// the published figures, and that ONNX Runtime runs it at batch 1 and 2.
func TestArchitectures(t *testing.T) {
	lib, err := onnxrt.Locate("")
	if err != nil {
		t.Fatalf("%v (make test runs 'make setup' first)", err)
	}
	if _, err := onnxrt.Init(lib); err != nil {
		t.Fatal(err)
	}
	for _, a := range Archs() {
		t.Run(a.Name, func(t *testing.T) {
			ref := reference(t, a)
			g, _, err := NewFor(a)
			if err != nil {
				t.Fatal(err)
			}
			p := float64(g.Params())
			if ref.exact && p != ref.params {
				t.Errorf("params %.0f, want %.0f (diff %+.0f)", p, ref.params, p-ref.params)
			}
			if !ref.exact && math.Abs(p-ref.params) > ref.paramTol {
				t.Errorf("params %.0f, want %.0f ± %.0f", p, ref.params, ref.paramTol)
			}
			macs := float64(g.MACs()) / 1e9
			if rel := math.Abs(macs-ref.gmacs) / ref.gmacs; rel > ref.macTol && math.Abs(macs-ref.gmacs) > ref.macRound {
				t.Errorf("GMACs %.4f, want %.4f (off by %.2f%%, tolerance %.0f%%)", macs, ref.gmacs, 100*rel, 100*ref.macTol)
			}
			path := filepath.Join(t.TempDir(), a.Name+".onnx")
			if _, err := Build(a.Name, path, DefaultSeed); err != nil {
				t.Fatal(err)
			}
			// The flops stage, counting the written file, must agree.
			res, err := flops.Run(context.Background(), flops.Config{Batch: 1}, flops.Inputs{Files: []flops.File{{Name: a.Name, Path: path}}})
			if err != nil {
				t.Fatal(err)
			}
			row := res.Rows[0]
			if row.Params != g.Params() || row.UnknownOps != "" {
				t.Errorf("flops.Run: params %d (builder %d), unknown ops %q", row.Params, g.Params(), row.UnknownOps)
			}
			fm := float64(row.MACs) / 1e9
			if rel := math.Abs(fm-ref.gmacs) / ref.gmacs; rel > ref.macTol && math.Abs(fm-ref.gmacs) > ref.macRound {
				t.Errorf("flops.Run GMACs %.4f, want %.4f (off by %.2f%%)", fm, ref.gmacs, 100*rel)
			}
			s, err := onnxrt.NewSession(path, onnxrt.Options{IntraOpThreads: 2})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			for _, n := range []int{1, 2} {
				b, err := s.NewBatch(n)
				if err != nil {
					t.Fatal(err)
				}
				in := b.Input()
				for i := range in {
					in[i] = float32(i%255)/255 - 0.5
				}
				if err := b.Run(); err != nil {
					t.Fatalf("batch %d: %v", n, err)
				}
				out := b.Output()
				if len(out) != n*1000 {
					t.Fatalf("batch %d: %d outputs, want %d", n, len(out), n*1000)
				}
				for i, v := range out {
					if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
						t.Fatalf("batch %d: output %d is %v", n, i, v)
					}
				}
				b.Close()
			}
		})
	}
}

func TestLookupSuggestsClosest(t *testing.T) {
	_, err := Lookup("alexnt")
	if err == nil || !strings.Contains(err.Error(), "alexnet") {
		t.Fatalf("Lookup(alexnt) = %v, want an error suggesting alexnet", err)
	}
}
