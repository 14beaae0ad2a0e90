package accuracy

import (
	"encoding/csv"
	"fmt"
	"io"
	"io/fs"
	"math"
	"strconv"
	"strings"

	"github.com/dnnbench/dnnbench/configs"
)

// PublishedDataset is the Dataset of published rows.
const PublishedDataset = "ImageNet-1k val"

// referenceTable says where each reference kind lives and which columns hold
// the key and the accuracies.
type referenceTable struct {
	file, key, top1, top5 string
}

var referenceTables = map[string]referenceTable{
	"torchvision": {"reference/torchvision.csv", "name", "acc1", "acc5"},
	"timm":        {"reference/timm_results_imagenet.csv", "model", "top1", "top5"},
	"paper":       {"reference/paper_accuracy.csv", "model", "top1", "top5"},
	"zoo":         {"reference/zoo.csv", "model", "top1", "top5"},
}

// Published returns the published centre-crop accuracy for a reference key
// "torchvision:<name>", "timm:<model>", "paper:<model>" or "zoo:<file stem>"
// (the ONNX Model Zoo's figures) from the reference
// tables in configs.FS. The row's Model is empty (the caller names it) and
// its Source is "published:<reference>". ok is false when the table has no
// such row; an unknown kind or a broken table is an error.
func Published(reference string) (Row, bool, error) {
	return published(configs.FS, reference)
}

func published(fsys fs.FS, reference string) (Row, bool, error) {
	kind, key, found := strings.Cut(reference, ":")
	t, known := referenceTables[kind]
	if !found || !known || key == "" {
		return Row{}, false, fmt.Errorf("accuracy: reference %q: want torchvision:<weights name>, timm:<model>, paper:<model> or zoo:<file stem>", reference)
	}
	f, err := fsys.Open(t.file)
	if err != nil {
		return Row{}, false, fmt.Errorf("accuracy: reference %q: %w", reference, err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	head, err := r.Read()
	if err != nil {
		return Row{}, false, fmt.Errorf("accuracy: %s: %w", t.file, err)
	}
	col := map[string]int{}
	for i, h := range head {
		col[h] = i
	}
	ki, ok1 := col[t.key]
	i1, ok2 := col[t.top1]
	i5, ok3 := col[t.top5]
	if !ok1 || !ok2 || !ok3 {
		return Row{}, false, fmt.Errorf("accuracy: %s: header lacks %s, %s or %s", t.file, t.key, t.top1, t.top5)
	}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return Row{}, false, nil
		}
		if err != nil {
			return Row{}, false, fmt.Errorf("accuracy: %s: %w", t.file, err)
		}
		if rec[ki] != key {
			continue
		}
		line, _ := r.FieldPos(0)
		top1, err1 := parsePercent(rec[i1])
		top5, err5 := parsePercent(rec[i5])
		if err1 != nil || err5 != nil {
			return Row{}, false, fmt.Errorf("accuracy: %s:%d: %s: top1 %q, top5 %q are not percentages", t.file, line, key, rec[i1], rec[i5])
		}
		return Row{
			Dataset: PublishedDataset,
			Crop:    CropCenter,
			Top1:    top1,
			Top5:    top5,
			Source:  "published:" + reference,
		}, true, nil
	}
}

func parsePercent(s string) (float64, error) {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, err
	}
	if math.IsNaN(v) || v < 0 || v > 100 {
		return 0, fmt.Errorf("%g is not a percentage", v)
	}
	return v, nil
}
