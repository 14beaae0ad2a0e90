package analyse

import (
	"fmt"
	"io"

	"github.com/dnnbench/dnnbench/internal/csvtable"
)

// Table is one result table ready for export: a file name and its rows
// (a slice of structs whose parquet tags name the columns).
type Table struct {
	// Name is the CSV file name, e.g. "table3_constraints.csv".
	Name string
	Rows any
}

// Tables lists the result tables in a fixed order.
func (r *Result) Tables() []Table {
	return []Table{
		{"models.csv", r.Models},
		{"devices.csv", r.DeviceInfo},
		{"device_models.csv", r.DeviceModels},
		{"pareto_fronts.csv", r.Fronts},
		{"table1_ms_per_image.csv", r.Table1},
		{"table2_memory.csv", r.Table2},
		{"table3_constraints.csv", r.Constraints},
		{"memory_fit.csv", r.MemoryFits},
		{"correlations.csv", r.Correlations},
		{"accuracy_check.csv", r.AccuracyChecks},
		{"ceilings.csv", r.Ceilings},
		{"roofline.csv", r.Roofline},
		{"findings.csv", r.Findings},
		{"warnings.csv", r.Warnings},
	}
}

// WriteCSV writes the table as CSV to w, with floats to 10 significant
// digits (csvtable.Sig10) so that results differing only in the last bits
// of floating point print the same. The caller opens the file.
func (t Table) WriteCSV(w io.Writer) error {
	if err := csvtable.Write(w, t.Rows, csvtable.Sig10); err != nil {
		return fmt.Errorf("analyse: %s: %w", t.Name, err)
	}
	return nil
}
