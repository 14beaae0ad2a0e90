package cache

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
)

// csvColumn is one exported column: a struct field and its header name.
type csvColumn struct {
	index int
	name  string
	kind  reflect.Kind
	bits  int
}

// csvColumns lists the CSV columns of row type t in field order: every
// exported field not tagged csv:"-" or parquet:"-", named by its parquet tag
// (or its Go name without one). Only strings, booleans, integers and floats
// can be columns.
func csvColumns(t reflect.Type) ([]csvColumn, error) {
	if t.Kind() != reflect.Struct {
		return nil, fmt.Errorf("row type %s is not a struct", t)
	}
	var cols []csvColumn
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, ok := columnName(f)
		if !ok || f.Tag.Get("csv") == "-" {
			continue
		}
		k := f.Type.Kind()
		switch k {
		case reflect.String, reflect.Bool,
			reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
			reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
			reflect.Float32, reflect.Float64:
		default:
			return nil, fmt.Errorf("row type %s: field %s is a %s, which CSV cannot hold; tag it csv:\"-\"", t, f.Name, f.Type)
		}
		c := csvColumn{index: i, name: name, kind: k}
		if k == reflect.Float32 || k == reflect.Float64 {
			c.bits = f.Type.Bits()
		}
		cols = append(cols, c)
	}
	return cols, nil
}

// WriteCSV writes rows as a CSV table to path: a header of the fields'
// parquet tag names in field order, then one line per row, skipping fields
// tagged csv:"-". Floats are written in the shortest form that reads back
// exactly (see formatFloat), booleans as true/false, so equal rows give equal
// files. Like Put, it writes a temporary file and renames it, creating the
// parent directory if needed.
func WriteCSV[T any](path string, rows []T) error {
	cols, err := csvColumns(reflect.TypeFor[T]())
	if err != nil {
		return fmt.Errorf("cache: csv %s: %w", path, err)
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("cache: csv: %w", err)
	}
	err = writeAtomic(path, func(w io.Writer) error {
		bw := bufio.NewWriter(w)
		cw := csv.NewWriter(bw)
		rec := make([]string, len(cols))
		for i, c := range cols {
			rec[i] = c.name
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
		for _, row := range rows {
			v := reflect.ValueOf(&row).Elem()
			for i, c := range cols {
				rec[i] = formatField(v.Field(c.index), c)
			}
			if err := cw.Write(rec); err != nil {
				return err
			}
		}
		cw.Flush()
		if err := cw.Error(); err != nil {
			return err
		}
		return bw.Flush()
	})
	if err != nil {
		return fmt.Errorf("cache: csv: %w", err)
	}
	return nil
}

func formatField(v reflect.Value, c csvColumn) string {
	switch c.kind {
	case reflect.String:
		return v.String()
	case reflect.Bool:
		return strconv.FormatBool(v.Bool())
	case reflect.Float32, reflect.Float64:
		return formatFloat(v.Float(), c.bits)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return strconv.FormatUint(v.Uint(), 10)
	default:
		return strconv.FormatInt(v.Int(), 10)
	}
}

// formatFloat writes the shortest decimal that reads back as f: plain
// notation for magnitudes in [1e-6, 1e21) (as JSON numbers do), exponent
// notation beyond, and NaN, +Inf and -Inf.
func formatFloat(f float64, bits int) string {
	if a := math.Abs(f); a == 0 || (a >= 1e-6 && a < 1e21) {
		return strconv.FormatFloat(f, 'f', -1, bits)
	}
	return strconv.FormatFloat(f, 'g', -1, bits)
}
