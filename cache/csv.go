package cache

import (
	"fmt"
	"io"

	"github.com/dnnbench/dnnbench/internal/csvtable"
)

// WriteCSV writes rows, a stage table, as CSV to w: a header of the fields'
// parquet tag names in field order, then one line per row, skipping fields
// tagged csv:"-". Floats are written in the shortest form that reads back
// exactly (csvtable.Exact), booleans as true/false, so equal rows give
// equal bytes. The caller opens the file (the pipeline, atomically).
func WriteCSV[T any](w io.Writer, rows []T) error {
	if err := csvtable.Write(w, rows, csvtable.Exact); err != nil {
		return fmt.Errorf("cache: csv: %w", err)
	}
	return nil
}
