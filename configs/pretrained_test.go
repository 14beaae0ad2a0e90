package configs_test

import (
	"encoding/csv"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/dnnbench/dnnbench/configs"
	"github.com/dnnbench/dnnbench/internal/config"
	"github.com/dnnbench/dnnbench/internal/preprocess"
	"github.com/dnnbench/dnnbench/stages/accuracy"
	"github.com/dnnbench/dnnbench/stages/models"
)

// zooRows reads reference/zoo.csv keyed by model.
func zooRows(t *testing.T) map[string]map[string]string {
	t.Helper()
	f, err := configs.FS.Open("reference/zoo.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]map[string]string{}
	for _, rec := range recs[1:] {
		row := map[string]string{}
		for i, h := range recs[0] {
			row[h] = rec[i]
		}
		rows[row["model"]] = row
	}
	return rows
}

// TestPretrainedConfig parses configs/pretrained.yaml offline and checks
// every model against reference/zoo.csv: 64-hex-digit sha256s equal to the
// table's, the Hugging Face mirror then GitHub, a preprocessing that
// validates and equals what its zoo: reference derives, and a reference
// that resolves to the table's published accuracy.
func TestPretrainedConfig(t *testing.T) {
	data, err := configs.FS.ReadFile("pretrained.yaml")
	if err != nil {
		t.Fatal(err)
	}
	c, err := config.Parse("pretrained.yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	zoo := zooRows(t)
	if len(c.Models) != len(zoo) {
		t.Errorf("%d models in pretrained.yaml, %d rows in zoo.csv", len(c.Models), len(zoo))
	}
	hex64 := regexp.MustCompile(`^[0-9a-f]{64}$`)
	referenced := 0
	for _, m := range c.Models {
		row, ok := zoo[m.Name]
		if !ok {
			t.Errorf("%s: not in zoo.csv", m.Name)
			continue
		}
		if !hex64.MatchString(m.SHA256) || m.SHA256 != row["sha256"] {
			t.Errorf("%s: sha256 %q, want zoo.csv's %q (64 hex digits)", m.Name, m.SHA256, row["sha256"])
		}
		if urls := m.Sources(); len(urls) != 2 || urls[0] != row["hf_url"] || urls[1] != row["github_url"] ||
			!strings.HasPrefix(urls[0], "https://huggingface.co/onnxmodelzoo/") || !strings.HasPrefix(urls[1], "https://github.com/onnx/models/") {
			t.Errorf("%s: urls %q, want the Hugging Face mirror then GitHub", m.Name, urls)
		}
		p := m.Preprocess
		if p == nil {
			t.Errorf("%s: no preprocess", m.Name)
			continue
		}
		side, sw, sh, err := preprocess.ParseResize(p.Resize)
		if err != nil {
			t.Errorf("%s: %v", m.Name, err)
		}
		got := preprocess.Spec{Resize: side, SquashWidth: sw, SquashHeight: sh, Crop: p.Crop, Interpolation: p.Interpolation,
			Mean: [3]float64(p.Mean), Std: [3]float64(p.Std), BGR: p.Channels == "bgr", Scale: p.Scale, NHWC: p.Layout == "nhwc"}
		// Parse validated every key; each model must also set resize and
		// scale itself, in consistent units, and a crop unless it squashes.
		if err := config.CheckNormalisation(p.Mean, p.Std, p.Scale); err != nil || p.Scale == 0 || (p.Crop == 0 && sw == 0) {
			t.Errorf("%s: preprocess %+v: %v (want resize and scale set, and a crop or a squash)", m.Name, *p, err)
		}
		if err := accuracy.Preprocess(got).Validate(); err != nil {
			t.Errorf("%s: the accuracy stage cannot carry out %+v: %v", m.Name, got, err)
		}
		// Every row, with a reference or not, gets zoo.csv's preprocessing.
		derived, err := models.ReferencePreprocess(configs.FS, "zoo:"+m.Name)
		if err != nil {
			t.Errorf("%s: %v", m.Name, err)
		} else if derived != got {
			t.Errorf("%s: preprocess %+v differs from what zoo:%s derives: %+v", m.Name, got, m.Name, derived)
		}
		if m.Reference == "" {
			if row["top5"] != "" {
				t.Errorf("%s: no reference although zoo.csv has top-1 and top-5", m.Name)
			}
			continue
		}
		referenced++
		if m.Reference != "zoo:"+m.Name {
			t.Errorf("%s: reference %q, want zoo:%s", m.Name, m.Reference, m.Name)
		}
		pub, ok, err := accuracy.Published(m.Reference)
		if err != nil || !ok {
			t.Errorf("%s: reference %s: found %v, %v", m.Name, m.Reference, ok, err)
		} else if top1, top5 := row["top1"], row["top5"]; strconv.FormatFloat(pub.Top1, 'f', 2, 64) != top1 || strconv.FormatFloat(pub.Top5, 'f', 2, 64) != top5 {
			t.Errorf("%s: published %v/%v, want zoo.csv's %s/%s", m.Name, pub.Top1, pub.Top5, top1, top5)
		}
	}
	if referenced < 40 {
		t.Errorf("only %d models have a reference", referenced)
	}
}

// TestZooReferences checks the zoo: source on rows worked out by hand from
// the ONNX Model Zoo READMEs: an MXNet squash-then-crop model, a Caffe BGR
// model scored on the squashed image without a crop, a torchvision-style
// shorter-side model, an NHWC model, and a row with no published top-5.
func TestZooReferences(t *testing.T) {
	imagenetMean, imagenetStd := [3]float64{0.485, 0.456, 0.406}, [3]float64{0.229, 0.224, 0.225}
	for ref, want := range map[string]preprocess.Spec{
		"zoo:resnet50-v1-7":         {SquashWidth: 256, SquashHeight: 256, Crop: 224, Interpolation: "bilinear", Mean: imagenetMean, Std: imagenetStd, Scale: 1},
		"zoo:bvlcalexnet-12":        {SquashWidth: 224, SquashHeight: 224, Interpolation: "bicubic", Mean: [3]float64{103.939, 116.779, 123.68}, Std: [3]float64{1, 1, 1}, BGR: true, Scale: 255},
		"zoo:shufflenet-v2-10":      {Resize: 256, Crop: 224, Interpolation: "bilinear", Mean: imagenetMean, Std: imagenetStd, Scale: 1},
		"zoo:efficientnet-lite4-11": {Resize: 256, Crop: 224, Interpolation: "bilinear", Mean: [3]float64{127, 127, 127}, Std: [3]float64{128, 128, 128}, Scale: 255, NHWC: true},
	} {
		got, err := models.ReferencePreprocess(configs.FS, ref)
		if err != nil || got != want {
			t.Errorf("%s: preprocess %+v (%v), want %+v", ref, got, err, want)
		}
	}
	row, ok, err := accuracy.Published("zoo:resnet50-v1-7")
	if err != nil || !ok || row.Top1 != 74.93 || row.Top5 != 92.38 || row.Source != "published:zoo:resnet50-v1-7" {
		t.Errorf("zoo:resnet50-v1-7: %+v, %v, %v; want 74.93/92.38", row, ok, err)
	}
	if _, ok, err := accuracy.Published("zoo:no-such-model"); ok || err != nil {
		t.Errorf("unknown zoo row: found %v, error %v; want not found", ok, err)
	}
	// DenseNet-121's README gives top-1 only: the row cannot serve as a
	// reference, and says where.
	if _, _, err := accuracy.Published("zoo:densenet-12"); err == nil || !strings.Contains(err.Error(), "reference/zoo.csv:") {
		t.Errorf("zoo:densenet-12 without top-5: error %v, want one naming the table line", err)
	}
}
