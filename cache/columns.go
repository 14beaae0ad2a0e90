package cache

import (
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"unsafe"

	"github.com/parquet-go/parquet-go"
)

// The generic Parquet reader assembles every row as a list of values and then
// reflects it into the struct, which cost 7 µs per timing row here (74 ms for
// 10,000 rows of stages/timing, BenchmarkAllTimingOneEntry before). The
// stage tables are flat structs of strings, booleans, integers and floats,
// plus lists of floats, so for them decodeColumns reads each column chunk's
// values in one pass and stores them straight into the rows' fields. Any other
// shape falls back to the generic reader; TestColumnsMatchGenericReader keeps
// the two equal.

// columnPlan says where one leaf column's values go.
type columnPlan struct {
	offset uintptr      // of the field in T
	kind   reflect.Kind // of the field, or of the list's elements
	list   bool         // a LIST of kind
	maxDef int          // definition level of a present list element
}

// columnName is the column a struct field maps to: its parquet tag's name,
// or its Go name without one; ok is false for unexported fields and fields
// tagged parquet:"-".
func columnName(f reflect.StructField) (name string, ok bool) {
	if !f.IsExported() {
		return "", false
	}
	name, _, _ = strings.Cut(f.Tag.Get("parquet"), ",")
	if name == "-" {
		return "", false
	}
	if name == "" {
		name = f.Name
	}
	return name, true
}

// planColumns maps each leaf column of schema onto a field of T; ok is false
// when some column has a shape decodeColumns does not handle.
func planColumns(t reflect.Type, schema *parquet.Schema) (plans []columnPlan, ok bool) {
	if t.Kind() != reflect.Struct {
		return nil, false
	}
	fields := map[string]reflect.StructField{}
	for i := 0; i < t.NumField(); i++ {
		if name, ok := columnName(t.Field(i)); ok {
			fields[name] = t.Field(i)
		}
	}
	for _, path := range schema.Columns() {
		leaf, ok := schema.Lookup(path...)
		if !ok {
			return nil, false
		}
		f, ok := fields[path[0]]
		if !ok {
			return nil, false
		}
		p := columnPlan{offset: f.Offset, kind: f.Type.Kind(), maxDef: leaf.MaxDefinitionLevel}
		switch {
		case len(path) == 1 && leaf.MaxRepetitionLevel == 0 && leaf.MaxDefinitionLevel == 0:
		case len(path) == 3 && path[1] == "list" && path[2] == "element" && f.Type.Kind() == reflect.Slice &&
			leaf.MaxRepetitionLevel == 1 && leaf.MaxDefinitionLevel == 1:
			p.list, p.kind = true, f.Type.Elem().Kind()
			if p.kind != reflect.Float64 && p.kind != reflect.Int64 && p.kind != reflect.String {
				return nil, false
			}
		default:
			return nil, false
		}
		if !p.list && !flatKind(f.Type) {
			return nil, false
		}
		plans = append(plans, p)
	}
	return plans, true
}

// flatKind reports whether decodeColumns stores fields of type t directly.
func flatKind(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.String, reflect.Bool, reflect.Int64, reflect.Int32, reflect.Float64, reflect.Float32:
		return true
	case reflect.Int:
		return t.Size() == 8
	}
	return false
}

// decodeColumns fills rows from a file's row groups column by column. It
// returns false, having written nothing, when T's shape is not handled.
func decodeColumns[T any](f *parquet.File, rows []T) (bool, error) {
	t := reflect.TypeFor[T]()
	plans, ok := planColumns(t, f.Schema())
	if !ok {
		return false, nil
	}
	if len(rows) == 0 {
		return true, nil
	}
	base := unsafe.Pointer(unsafe.SliceData(rows))
	size := t.Size()
	buf := make([]parquet.Value, 512)
	start := 0
	for _, g := range f.RowGroups() {
		n := int(g.NumRows())
		if n > len(rows)-start {
			return true, errors.New("row groups hold more rows than the file")
		}
		for i, chunk := range g.ColumnChunks() {
			if i >= len(plans) {
				return true, errors.New("row group has more columns than the schema")
			}
			got, err := decodeChunk(chunk, plans[i], base, size, start, n, buf)
			if err != nil {
				return true, fmt.Errorf("column %s: %w", strings.Join(f.Schema().Columns()[i], "."), err)
			}
			if got != n {
				return true, fmt.Errorf("column %s has %d rows, row group %d", strings.Join(f.Schema().Columns()[i], "."), got, n)
			}
		}
		start += n
	}
	if start != len(rows) {
		return true, fmt.Errorf("read %d of %d rows", start, len(rows))
	}
	return true, nil
}

// decodeChunk stores one column chunk's values into rows [start, start+n)
// and returns how many rows it saw. Repeated strings share one allocation,
// and each list column's elements share one backing array, each row's list
// capped at its length so that appending to it copies.
func decodeChunk(chunk parquet.ColumnChunk, p columnPlan, base unsafe.Pointer, size uintptr, start, n int, buf []parquet.Value) (int, error) {
	pages := chunk.Pages()
	defer pages.Close()
	d := chunkDecoder{strs: map[string]string{}}
	if p.list {
		d.bounds = make([]int, 0, n+1)
	}
	row := -1 // index within the row group of the row being filled
	for {
		page, err := pages.ReadPage()
		if err == io.EOF {
			break
		}
		if err != nil {
			return 0, err
		}
		values := page.Values()
		for {
			k, err := values.ReadValues(buf)
			for _, v := range buf[:k] {
				if !p.list || v.RepetitionLevel() == 0 {
					row++
					if row >= n {
						parquet.Release(page)
						return row + 1, nil
					}
					if p.list {
						d.bounds = append(d.bounds, d.elems(p.kind))
					}
				}
				if p.list {
					if v.DefinitionLevel() == p.maxDef {
						d.appendElem(p.kind, v)
					}
					continue
				}
				d.setField(unsafe.Add(base, uintptr(start+row)*size+p.offset), p.kind, v)
			}
			if err == io.EOF {
				break
			}
			if err != nil {
				parquet.Release(page)
				return 0, err
			}
			if k == 0 {
				break
			}
		}
		parquet.Release(page)
	}
	if p.list {
		d.bounds = append(d.bounds, d.elems(p.kind))
		for r := 0; r+1 < len(d.bounds); r++ {
			d.setList(unsafe.Add(base, uintptr(start+r)*size+p.offset), p.kind, d.bounds[r], d.bounds[r+1])
		}
	}
	return row + 1, nil
}

// chunkDecoder holds one column chunk's shared allocations.
type chunkDecoder struct {
	strs map[string]string
	// f64, i64 and str back the rows' lists; bounds[r] is row r's first element.
	f64    []float64
	i64    []int64
	str    []string
	bounds []int
}

// intern returns b as a string, reusing an earlier equal one.
func (d *chunkDecoder) intern(b []byte) string {
	if s, ok := d.strs[string(b)]; ok {
		return s
	}
	s := string(b)
	if len(b) <= 128 && len(d.strs) < 4096 {
		d.strs[s] = s
	}
	return s
}

func (d *chunkDecoder) setField(field unsafe.Pointer, kind reflect.Kind, v parquet.Value) {
	switch kind {
	case reflect.String:
		*(*string)(field) = d.intern(v.ByteArray())
	case reflect.Bool:
		*(*bool)(field) = v.Boolean()
	case reflect.Int, reflect.Int64:
		*(*int64)(field) = v.Int64()
	case reflect.Int32:
		*(*int32)(field) = v.Int32()
	case reflect.Float64:
		*(*float64)(field) = v.Double()
	case reflect.Float32:
		*(*float32)(field) = v.Float()
	}
}

func (d *chunkDecoder) elems(kind reflect.Kind) int {
	switch kind {
	case reflect.Float64:
		return len(d.f64)
	case reflect.Int64:
		return len(d.i64)
	default:
		return len(d.str)
	}
}

func (d *chunkDecoder) appendElem(kind reflect.Kind, v parquet.Value) {
	switch kind {
	case reflect.Float64:
		d.f64 = append(d.f64, v.Double())
	case reflect.Int64:
		d.i64 = append(d.i64, v.Int64())
	case reflect.String:
		d.str = append(d.str, d.intern(v.ByteArray()))
	}
}

// setList stores elements [i, j) as a row's list; an empty list is empty and
// non-nil, as the generic reader returns it.
func (d *chunkDecoder) setList(field unsafe.Pointer, kind reflect.Kind, i, j int) {
	switch kind {
	case reflect.Float64:
		if i == j {
			*(*[]float64)(field) = []float64{}
		} else {
			*(*[]float64)(field) = d.f64[i:j:j]
		}
	case reflect.Int64:
		if i == j {
			*(*[]int64)(field) = []int64{}
		} else {
			*(*[]int64)(field) = d.i64[i:j:j]
		}
	case reflect.String:
		if i == j {
			*(*[]string)(field) = []string{}
		} else {
			*(*[]string)(field) = d.str[i:j:j]
		}
	}
}
