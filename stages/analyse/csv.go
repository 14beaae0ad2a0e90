package analyse

import (
	"encoding/csv"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
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

// WriteCSV writes every result table as CSV into dir, creating it.
func (r *Result) WriteCSV(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("analyse: %w", err)
	}
	for _, t := range r.Tables() {
		if err := writeTable(filepath.Join(dir, t.Name), t.Rows); err != nil {
			return fmt.Errorf("analyse: %s: %w", t.Name, err)
		}
	}
	return nil
}

// EncodeCSV returns the header and records of a slice of structs, using
// parquet tags as column names; numbers are formatted reproducibly.
func EncodeCSV(rows any) ([][]string, error) {
	v := reflect.ValueOf(rows)
	if v.Kind() != reflect.Slice || v.Type().Elem().Kind() != reflect.Struct {
		return nil, errors.New("rows must be a slice of structs")
	}
	et := v.Type().Elem()
	var header []string
	var fields []int
	for i := 0; i < et.NumField(); i++ {
		f := et.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("parquet"), ",")
		if name == "" || name == "-" || f.Tag.Get("csv") == "-" {
			continue
		}
		header = append(header, name)
		fields = append(fields, i)
	}
	out := [][]string{header}
	for i := 0; i < v.Len(); i++ {
		rec := make([]string, len(fields))
		for j, fi := range fields {
			s, err := formatValue(v.Index(i).Field(fi))
			if err != nil {
				return nil, fmt.Errorf("column %s: %w", header[j], err)
			}
			rec[j] = s
		}
		out = append(out, rec)
	}
	return out, nil
}

func formatValue(f reflect.Value) (string, error) {
	switch f.Kind() {
	case reflect.String:
		return f.String(), nil
	case reflect.Int, reflect.Int64, reflect.Int32:
		return strconv.FormatInt(f.Int(), 10), nil
	case reflect.Bool:
		return strconv.FormatBool(f.Bool()), nil
	case reflect.Float64, reflect.Float32:
		return FormatFloat(f.Float()), nil
	}
	return "", fmt.Errorf("unsupported kind %s", f.Kind())
}

// FormatFloat writes a float with at most 10 significant digits, so results
// that differ only in the last bits of floating point print the same.
func FormatFloat(x float64) string {
	return strconv.FormatFloat(x, 'g', 10, 64)
}

func writeTable(path string, rows any) (err error) {
	recs, err := EncodeCSV(rows)
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			err = os.Rename(tmp, path)
		} else {
			os.Remove(tmp)
		}
	}()
	w := csv.NewWriter(f)
	if err := w.WriteAll(recs); err != nil {
		return err
	}
	return w.Error()
}
