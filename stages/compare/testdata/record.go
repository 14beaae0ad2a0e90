//go:build ignore

// Record writes samples.csv: real batch latencies, in milliseconds, of two
// tiny test models (internal/testmodel) timed by the timing stage's own
// Run and Worker on the CPU. Run from the repository root:
//
//	go run ./stages/compare/testdata/record.go > stages/compare/testdata/samples.csv
package main

import (
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/dnnbench/dnnbench/internal/onnxrt"
	"github.com/dnnbench/dnnbench/internal/sweep"
	"github.com/dnnbench/dnnbench/internal/testmodel"
	"github.com/dnnbench/dnnbench/stages/timing"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "record:", err)
		os.Exit(1)
	}
}

func run() error {
	ctx := context.Background()
	if len(os.Args) > 1 && os.Args[1] == "worker" {
		return timing.Worker(ctx, os.Stdin, os.Stdout)
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "record-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	cfg := timing.Config{Worker: sweep.Worker{Exe: exe, Session: onnxrt.Options{Provider: "cpu", IntraOpThreads: 1, InterOpThreads: 1}}, Device: "cpu",
		Warmup: 20, Runs: 120, Rounds: 3}
	w := csv.NewWriter(os.Stdout)
	w.Write([]string{"series", "batch", "round", "ms"})
	for _, m := range []struct {
		series string
		spec   testmodel.Spec
	}{{"small", testmodel.Spec{Size: 32, Hidden: 256}}, {"large", testmodel.Spec{Size: 32, Hidden: 2048}}} {
		path := filepath.Join(dir, m.series+".onnx")
		if err := testmodel.Write(path, m.spec); err != nil {
			return err
		}
		res, err := timing.Run(ctx, cfg, timing.Inputs{Model: timing.Model{Name: m.series, Path: path}, Batches: []int{1, 8}})
		if err != nil {
			return err
		}
		for _, r := range res.Rows {
			if r.Status != "ok" {
				return fmt.Errorf("%s batch %d: %s %s", m.series, r.Batch, r.Status, r.Error)
			}
			for i, x := range r.SamplesMs {
				w.Write([]string{m.series, strconv.FormatInt(r.Batch, 10), strconv.FormatInt(r.SampleRound[i], 10), strconv.FormatFloat(x, 'g', -1, 64)})
			}
		}
	}
	w.Flush()
	return w.Error()
}
