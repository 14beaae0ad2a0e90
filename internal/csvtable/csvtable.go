// Package csvtable writes a slice of structs as a CSV table: one column per
// field, named by the field's parquet tag, so the CSV export and the
// Parquet cache share their column names. It is the one CSV writer of the
// stage tables (cache) and of the analysis tables (stages/analyse).
package csvtable

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"strconv"
	"strings"
)

// FloatFormat says how a float column is written.
type FloatFormat int

const (
	// Exact writes the shortest decimal that reads back as the value: plain
	// notation for magnitudes in [1e-6, 1e21) (as JSON numbers do), exponent
	// notation beyond, and NaN, +Inf and -Inf. The stage tables use it.
	Exact FloatFormat = iota
	// Sig10 writes at most 10 significant digits (%g), so results that
	// differ only in the last bits of floating point print the same. The
	// analysis tables use it.
	Sig10
)

// FormatFloat writes x, a float of the given bit size (32 or 64), in format f.
func FormatFloat(x float64, bits int, f FloatFormat) string {
	if f == Sig10 {
		return strconv.FormatFloat(x, 'g', 10, 64)
	}
	if a := math.Abs(x); a == 0 || (a >= 1e-6 && a < 1e21) {
		return strconv.FormatFloat(x, 'f', -1, bits)
	}
	return strconv.FormatFloat(x, 'g', -1, bits)
}

// ListSeparator joins the items of a list column ([]string) in its CSV
// cell; the Parquet cache keeps the list itself.
const ListSeparator = "; "

// Column is one CSV column: a struct field and its header name.
type Column struct {
	// Name is the header: the field's parquet tag name, or its Go name
	// when it has none.
	Name  string
	index int
	kind  reflect.Kind
	bits  int
}

// Columns lists the CSV columns of the struct type t in field order: every
// exported field not tagged csv:"-" or parquet:"-". Only strings,
// booleans, integers, floats and lists of strings can be columns; a field of another kind is
// an error that says to tag it csv:"-".
func Columns(t reflect.Type) ([]Column, error) {
	if t.Kind() != reflect.Struct {
		return nil, fmt.Errorf("csvtable: row type %s is not a struct", t)
	}
	var cols []Column
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() || f.Tag.Get("csv") == "-" {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("parquet"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		k := f.Type.Kind()
		switch {
		case k == reflect.String, k == reflect.Bool,
			k == reflect.Int, k == reflect.Int8, k == reflect.Int16, k == reflect.Int32, k == reflect.Int64,
			k == reflect.Uint, k == reflect.Uint8, k == reflect.Uint16, k == reflect.Uint32, k == reflect.Uint64,
			k == reflect.Float32, k == reflect.Float64:
		case k == reflect.Slice && f.Type.Elem().Kind() == reflect.String:
		default:
			return nil, fmt.Errorf("csvtable: row type %s: field %s is a %s, which CSV cannot hold; tag it csv:\"-\"", t, f.Name, f.Type)
		}
		c := Column{Name: name, index: i, kind: k}
		if k == reflect.Float32 || k == reflect.Float64 {
			c.bits = f.Type.Bits()
		}
		cols = append(cols, c)
	}
	return cols, nil
}

// Records returns the header and one record per row of rows, a slice of
// structs, with floats in format f.
func Records(rows any, f FloatFormat) ([][]string, error) {
	v := reflect.ValueOf(rows)
	if v.Kind() != reflect.Slice {
		return nil, errors.New("csvtable: rows must be a slice of structs")
	}
	cols, err := Columns(v.Type().Elem())
	if err != nil {
		return nil, err
	}
	out := make([][]string, 0, v.Len()+1)
	header := make([]string, len(cols))
	for i, c := range cols {
		header[i] = c.Name
	}
	out = append(out, header)
	for i := 0; i < v.Len(); i++ {
		row := v.Index(i)
		rec := make([]string, len(cols))
		for j, c := range cols {
			rec[j] = c.format(row.Field(c.index), f)
		}
		out = append(out, rec)
	}
	return out, nil
}

// Write writes rows, a slice of structs, as CSV to w: the header, then one
// line per row; floats in format f, booleans as true/false, so equal rows
// give equal bytes.
func Write(w io.Writer, rows any, f FloatFormat) error {
	recs, err := Records(rows, f)
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(w)
	cw := csv.NewWriter(bw)
	if err := cw.WriteAll(recs); err != nil {
		return fmt.Errorf("csvtable: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("csvtable: %w", err)
	}
	return nil
}

func (c Column) format(v reflect.Value, f FloatFormat) string {
	switch c.kind {
	case reflect.String:
		return v.String()
	case reflect.Slice:
		items := make([]string, v.Len())
		for i := range items {
			items[i] = v.Index(i).String()
		}
		return strings.Join(items, ListSeparator)
	case reflect.Bool:
		return strconv.FormatBool(v.Bool())
	case reflect.Float32, reflect.Float64:
		return FormatFloat(v.Float(), c.bits, f)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return strconv.FormatUint(v.Uint(), 10)
	default:
		return strconv.FormatInt(v.Int(), 10)
	}
}
