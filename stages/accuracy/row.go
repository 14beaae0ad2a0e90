package accuracy

import "github.com/dnnbench/dnnbench/internal/sweep"

// Row is one model × crop mode accuracy: the accuracy stage's table.
// The first nine columns are the stable accuracy.csv contract; later ones
// are appended after them.
type Row struct {
	Model string `parquet:"model"`
	// Dataset is the dataset folder or, for published values, the dataset name.
	Dataset string `parquet:"dataset"`
	// Crop is "center" or "ten".
	Crop string `parquet:"crop"`
	// N is the number of images scored (0 for published values).
	N int64 `parquet:"n"`
	// Top1 and Top5 are percentages.
	Top1 float64 `parquet:"top1"`
	Top5 float64 `parquet:"top5"`
	// Top1CI95 is the half-width of the binomial 95% interval of Top1, in points.
	Top1CI95 float64 `parquet:"top1_ci95"`
	// Source is "measured" or "published:<reference>".
	Source string `parquet:"source"`
	// Skipped counts images that could not be read.
	Skipped int64 `parquet:"skipped"`
	// Warnings name skipped images (the first ten, then how many more).
	Warnings []string `parquet:"warnings,list"`
	// Status is StatusOK, or StatusError when more than accuracy.max_skipped
	// of the images could not be read; Top1, Top5 and Top1CI95 are then 0
	// and Error says why.
	Status string `parquet:"status"`
	Error  string `parquet:"error"`
	// Ignored counts dataset entries ignored while listing (folders that are
	// not classes, files that are not images, broken links).
	Ignored int64 `parquet:"ignored"`
	// DatasetImages is the number of images the dataset lists, before
	// accuracy.limit picks a subset (0 for published values): a measured row
	// with N + Skipped below it was scored on a subset.
	DatasetImages int64 `parquet:"dataset_images"`
}

// Row statuses, those of the timing and memory tables.
const (
	StatusOK    = sweep.OK
	StatusError = sweep.Error
)

// ChunkSchema is the version of cached chunk scores in cache keys, and
// ChunkEntries their cache folder (see timing.Schema).
// v2: keys cover image files and the dataset location.
const (
	ChunkSchema  = 2
	ChunkEntries = "accuracy_chunks-v1"
)
