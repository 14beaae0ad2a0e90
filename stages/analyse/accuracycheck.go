package analyse

import (
	"cmp"
	"math"
	"slices"
	"strings"

	"github.com/dnnbench/dnnbench/stages/accuracy"
)

// AccuracyCheckRule states when a published accuracy counts as reproduced.
const AccuracyCheckRule = "a published top-1 is reproduced when it lies inside the 95% Wilson interval of the top-1 measured here"

// AccuracyCheckRow sets a measured top-1 beside the published figure for the
// same model and crop.
type AccuracyCheckRow struct {
	Model string `parquet:"model"`
	Crop  string `parquet:"crop"`
	// N is the number of images scored; DatasetImages the number the dataset
	// lists. Subset is true when accuracy.limit scored only part of it.
	N             int64 `parquet:"n"`
	DatasetImages int64 `parquet:"dataset_images"`
	Subset        bool  `parquet:"subset"`
	// Top1 is the measured top-1 (%), Top1Low and Top1High its 95% Wilson interval (%).
	Top1     float64 `parquet:"top1"`
	Top1Low  float64 `parquet:"top1_low"`
	Top1High float64 `parquet:"top1_high"`
	// PublishedTop1 (%) comes from PublishedSource ("published:<reference>").
	PublishedTop1   float64 `parquet:"published_top1"`
	PublishedSource string  `parquet:"published_source"`
	// DiffPoints is Top1 − PublishedTop1, in percentage points.
	DiffPoints float64 `parquet:"diff_points"`
	// Reproduced is true when PublishedTop1 lies within [Top1Low, Top1High].
	Reproduced bool `parquet:"reproduced"`
}

// accuracyChecks pairs every measured row with the model's published centre-crop row.
func accuracyChecks(rows []accuracy.Row) []AccuracyCheckRow {
	published := map[string]accuracy.Row{}
	for _, r := range rows {
		if strings.HasPrefix(r.Source, "published:") && r.Status != accuracy.StatusError {
			if cur, ok := published[r.Model]; !ok || r.Source < cur.Source {
				published[r.Model] = r
			}
		}
	}
	var out []AccuracyCheckRow
	for _, r := range rows {
		pub, ok := published[r.Model]
		if !ok || r.Source != "measured" || r.Status == accuracy.StatusError || r.N <= 0 {
			continue
		}
		k := int64(math.Round(r.Top1 / 100 * float64(r.N)))
		lo, hi := accuracy.WilsonInterval(k, r.N)
		c := AccuracyCheckRow{
			Model: r.Model, Crop: r.Crop, N: r.N, DatasetImages: r.DatasetImages,
			Subset: r.DatasetImages > 0 && r.N+r.Skipped < r.DatasetImages,
			Top1:   r.Top1, Top1Low: 100 * lo, Top1High: 100 * hi,
			PublishedTop1: pub.Top1, PublishedSource: pub.Source,
			DiffPoints: r.Top1 - pub.Top1,
		}
		c.Reproduced = pub.Top1 >= c.Top1Low && pub.Top1 <= c.Top1High
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b AccuracyCheckRow) int {
		return cmp.Or(strings.Compare(a.Model, b.Model), strings.Compare(a.Crop, b.Crop))
	})
	return out
}
