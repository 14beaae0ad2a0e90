package models

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/dnnbench/dnnbench/internal/diag"
)

// resolveOne resolves one spec through Run.
func resolveOne(ctx context.Context, s Spec, cfg Config) (Row, []diag.Warning, error) {
	return resolveOneProgress(ctx, s, cfg, nil)
}

// resolveOneProgress resolves one spec through Run, reporting to progress.
func resolveOneProgress(ctx context.Context, s Spec, cfg Config, progress func(Progress)) (Row, []diag.Warning, error) {
	res, err := Run(ctx, cfg, Inputs{Specs: []Spec{s}, Progress: progress})
	if err != nil {
		return Row{}, nil, err
	}
	if len(res.Rows) != 1 {
		return Row{}, nil, errors.New("Run returned no row for one spec")
	}
	return res.Rows[0], res.Warnings, nil
}

func TestRunResolvesInOrderAndStopsAtAFailure(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.onnx"), filepath.Join(dir, "b.onnx")
	for _, p := range []string{a, b} {
		if err := os.WriteFile(p, tinyONNX(t, 32), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var started []int
	progress := func(p Progress) {
		if !p.Downloading {
			started = append(started, p.Index)
		}
	}
	res, err := Run(context.Background(), opts(t), Inputs{Specs: []Spec{{Name: "a", ONNX: a}, {Name: "b", ONNX: b}}, Progress: progress})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) != 2 || res.Rows[0].Model != "a" || res.Rows[1].Model != "b" {
		t.Fatalf("rows %+v, want a then b", res.Rows)
	}
	if len(started) != 2 || started[0] != 0 || started[1] != 1 {
		t.Errorf("start reports %v, want [0 1]", started)
	}
	// Both lack a reference and preprocessing: one warning each, in order.
	if len(res.Warnings) != 2 || res.Warnings[0].Model != "a" || res.Warnings[1].Model != "b" || res.Warnings[0].Code != "preprocess-assumed" {
		t.Errorf("warnings %+v, want preprocess-assumed for a then b", res.Warnings)
	}

	// A model that cannot be resolved fails the run, naming it; no rows.
	res, err = Run(context.Background(), opts(t), Inputs{Specs: []Spec{{Name: "a", ONNX: a}, {Name: "gone", ONNX: filepath.Join(dir, "gone.onnx")}}})
	if err == nil || res != nil || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Run with a missing file = %+v, %v; want an error", res, err)
	} else if want := "models: gone: "; len(err.Error()) < len(want) || err.Error()[:len(want)] != want {
		t.Errorf("error %q does not start with %q", err, want)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if res, err := Run(ctx, opts(t), Inputs{Specs: []Spec{{Name: "a", ONNX: a}}}); !errors.Is(err, context.Canceled) || res != nil {
		t.Errorf("cancelled Run = %+v, %v; want context.Canceled", res, err)
	}
}
