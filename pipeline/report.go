package main

import (
	"context"
	"fmt"

	"github.com/dnnbench/dnnbench/stages/analyse"
)

// analyseAndReport runs analyse (and report when selected) on the stage tables.
func (r *runner) analyseAndReport(ctx context.Context, t tables) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	res, err := analyse.Run(analyse.Inputs{Models: t.Models, Flops: t.Flops, Ops: t.Ops, Accuracy: t.Accuracy, Timing: t.Timing, Memory: t.Memory},
		analyse.Config{MemoryGB: r.cfg.Report.Constraints.MemoryGB, FPS: r.cfg.Report.Constraints.FPS})
	if err != nil {
		return fmt.Errorf("analyse: %w", err)
	}
	if err := res.WriteCSV(r.outDir + "/analysis"); err != nil {
		return err
	}
	r.log.Step("analyse  tables written to " + r.outDir + "/analysis")
	return nil
}
