package compare

import (
	"encoding/csv"
	"io"
	"math"
	"strconv"
	"strings"
)

// Columns are compare.csv's header. Latencies are batch latencies in
// milliseconds; ratio is new/base (below 1 is faster); ci bounds are at the
// result's confidence and empty when unbounded; p_value is the
// Mann–Whitney U test's; delta is benchstat's change of the median ("~"
// when not significant); warnings are "; "-separated. The last row, model
// "(geomean)" with an empty batch, holds the geometric means of the
// medians and of the ratios.
var Columns = []string{"model", "batch", "base", "new", "base_n", "new_n",
	"base_latency_ms_median", "base_latency_ms_ci_low", "base_latency_ms_ci_high",
	"new_latency_ms_median", "new_latency_ms_ci_low", "new_latency_ms_ci_high",
	"ratio", "ratio_ci_low", "ratio_ci_high", "p_value", "significant", "delta", "warnings"}

// GeomeanModel is the model column of compare.csv's geometric-mean row; it
// is not a valid model name, so it never collides with one.
const GeomeanModel = "(geomean)"

// EncodeCSV writes the result as compare.csv (see Columns).
func (r *Result) EncodeCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(Columns); err != nil {
		return err
	}
	for _, c := range r.Cells {
		rec := []string{c.Model, strconv.FormatInt(c.Batch, 10), r.Base, r.New,
			strconv.Itoa(c.Base.N), strconv.Itoa(c.New.N),
			num(c.Base.MedianMs), num(c.Base.LoMs), num(c.Base.HiMs),
			num(c.New.MedianMs), num(c.New.LoMs), num(c.New.HiMs),
			num(c.Ratio), num(c.RatioLo), num(c.RatioHi), num(c.P),
			strconv.FormatBool(c.Significant), c.Delta, strings.Join(c.Warnings, "; ")}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	msgs := make([]string, len(r.Warnings))
	for i, w := range r.Warnings {
		msgs[i] = w.Message
	}
	geo := []string{GeomeanModel, "", r.Base, r.New, "", "",
		num(r.GeomeanBaseMs), "", "", num(r.GeomeanNewMs), "", "",
		num(r.GeomeanRatio), "", "", "", "", "", strings.Join(msgs, "; ")}
	if err := cw.Write(geo); err != nil {
		return err
	}
	cw.Flush()
	return cw.Error()
}

// num formats a finite number in its shortest exact form; an infinite or
// NaN one is an empty cell.
func num(x float64) string {
	if math.IsInf(x, 0) || math.IsNaN(x) {
		return ""
	}
	return strconv.FormatFloat(x, 'g', -1, 64)
}
