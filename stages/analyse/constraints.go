package analyse

import (
	"fmt"
	"sort"
)

// constraintTable builds Table 3: for each device and each pair of limits,
// the models whose batch-1 total memory is at most the limit and whose
// batch-1 speed is at least the floor, best top-1 first (ties by name).
//
// This is a filter and a sort over one device's rows; plain Go says it in a
// dozen lines, so no dataframe library is used (see ARCHITECTURE.md).
func constraintTable(dms []DeviceModelRow, devices []string, cfg Config) ([]ConstraintRow, error) {
	var rows []ConstraintRow
	for _, d := range devices {
		var cands []DeviceModelRow
		for _, r := range dms {
			if r.Device == d && r.HasAccuracy && r.TimingStatus == StatusOK && r.MemoryStatus == StatusOK {
				cands = append(cands, r)
			}
		}
		sort.SliceStable(cands, func(i, j int) bool {
			if cands[i].Top1 != cands[j].Top1 {
				return cands[i].Top1 > cands[j].Top1
			}
			return cands[i].Model < cands[j].Model
		})
		for _, mem := range cfg.MemoryGB {
			for _, f := range cfg.FPS {
				rank := 0
				for _, r := range cands {
					if float64(r.PeakBytes)/1e9 > mem || r.FPS < f || rank == cfg.TopN {
						continue
					}
					rank++
					rows = append(rows, ConstraintRow{
						Device: d, MemoryGB: mem, FPS: f, Rank: rank,
						Model: r.Model, TimingStable: r.TimingStable,
						Top1: r.Top1, PeakBytes: r.PeakBytes, ModelFPS: r.FPS,
					})
				}
				if rank == 0 {
					rows = append(rows, ConstraintRow{Device: d, MemoryGB: mem, FPS: f,
						Note: fmt.Sprintf("no model with an accuracy runs within %.2g GB at ≥ %.0f FPS on %s", mem, f, d)})
				}
			}
		}
	}
	return rows, nil
}
