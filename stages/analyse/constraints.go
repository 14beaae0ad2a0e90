package analyse

import (
	"fmt"

	"github.com/go-gota/gota/dataframe"
	"github.com/go-gota/gota/series"
)

// constraintTable builds Table 3 with gota: for each device and each pair of
// limits, the models whose batch-1 total memory is at most the limit and
// whose batch-1 speed is at least the floor, best top-1 first.
func constraintTable(dms []DeviceModelRow, devices []string, cfg Config) ([]ConstraintRow, error) {
	var rows []ConstraintRow
	for _, d := range devices {
		var names []string
		var top1, memGB, fps []float64
		var peak []int
		stable := map[string]bool{}
		for _, r := range dms {
			if r.Device != d || !r.HasAccuracy || r.TimingStatus != StatusOK || r.MemoryStatus != StatusOK {
				continue
			}
			names = append(names, r.Model)
			stable[r.Model] = r.TimingStable
			top1 = append(top1, r.Top1)
			memGB = append(memGB, float64(r.PeakBytes)/1e9)
			fps = append(fps, r.FPS)
			peak = append(peak, int(r.PeakBytes))
		}
		var df dataframe.DataFrame
		if len(names) > 0 {
			df = dataframe.New(
				series.New(names, series.String, "model"),
				series.New(top1, series.Float, "top1"),
				series.New(memGB, series.Float, "memory_gb"),
				series.New(fps, series.Float, "fps"),
				series.New(peak, series.Int, "peak_bytes"),
			)
			if df.Err != nil {
				return nil, fmt.Errorf("analyse: table 3: %s: %w", d, df.Err)
			}
		}
		for _, mem := range cfg.MemoryGB {
			for _, f := range cfg.FPS {
				note := fmt.Sprintf("no model with an accuracy runs within %.2g GB at ≥ %.0f FPS on %s", mem, f, d)
				if len(names) == 0 {
					rows = append(rows, ConstraintRow{Device: d, MemoryGB: mem, FPS: f, Note: note})
					continue
				}
				sel := df.FilterAggregation(dataframe.And,
					dataframe.F{Colname: "memory_gb", Comparator: series.LessEq, Comparando: mem},
					dataframe.F{Colname: "fps", Comparator: series.GreaterEq, Comparando: f},
				)
				if sel.Err != nil {
					return nil, fmt.Errorf("analyse: table 3: %s: %w", d, sel.Err)
				}
				if sel.Nrow() == 0 {
					rows = append(rows, ConstraintRow{Device: d, MemoryGB: mem, FPS: f, Note: note})
					continue
				}
				sel = sel.Arrange(dataframe.RevSort("top1"), dataframe.Sort("model"))
				if sel.Err != nil {
					return nil, fmt.Errorf("analyse: table 3: %s: %w", d, sel.Err)
				}
				n := min(sel.Nrow(), cfg.TopN)
				for i := 0; i < n; i++ {
					model := sel.Col("model").Elem(i).String()
					rows = append(rows, ConstraintRow{
						Device: d, MemoryGB: mem, FPS: f, Rank: i + 1,
						Model:        model,
						TimingStable: stable[model],
						Top1:         sel.Col("top1").Elem(i).Float(),
						PeakBytes:    int64(sel.Col("peak_bytes").Elem(i).Float()),
						ModelFPS:     sel.Col("fps").Elem(i).Float(),
					})
				}
			}
		}
	}
	return rows, nil
}
