package plots_test

import (
	"bytes"
	"context"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dnnbench/dnnbench/plots"
	"github.com/dnnbench/dnnbench/stages/analyse"
	"github.com/dnnbench/dnnbench/stages/analyse/analysetest"
)

// svgGroup is an SVG <g> with what the tooltip test needs of it.
type svgGroup struct {
	Title  string     `xml:"title"`
	Paths  []struct{} `xml:"path"`
	Groups []svgGroup `xml:"g"`
}

// titles returns the title of every group that has one and the number of
// shapes it groups, walking the whole tree.
func titles(g svgGroup, out map[string]int) {
	if g.Title != "" {
		out[g.Title] += len(g.Paths)
	}
	for _, c := range g.Groups {
		titles(c, out)
	}
}

// TestTooltips: in every figure's SVG each drawn model's marker is a group
// whose <title> names the model, its family and its values; a hostile name
// is escaped (the SVG stays valid XML and decodes to the name).
func TestTooltips(t *testing.T) {
	res, err := analyse.Run(context.Background(), analyse.Config{}, analysetest.Inputs())
	if err != nil {
		t.Fatal(err)
	}
	withAcc := 0
	for _, m := range res.Models {
		if m.HasAccuracy {
			withAcc++
		}
	}
	for _, logAxes := range []bool{false, true} {
		figs, err := plots.Render(res, plots.Options{LogAxes: logAxes})
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range figs {
			if f.Missing != "" {
				t.Errorf("%s: missing: %s", f.Name, f.Missing)
				continue
			}
			var root svgGroup
			if err := xml.Unmarshal(f.SVG, &root); err != nil {
				t.Fatalf("%s: SVG is not valid XML: %v", f.Name, err)
			}
			got := map[string]int{}
			titles(root, got)
			want := map[string]string{}
			switch f.Name {
			case "fig1a", "fig1b", "fig2a", "fig2b":
				for _, m := range res.Models {
					if m.HasAccuracy {
						want[m.Model+" ("+m.Family+"): "] = ""
					}
				}
			case "fig3":
				for _, r := range res.DeviceModels {
					if r.HasAccuracy && r.TimingStatus == analyse.StatusOK && r.FPS > 0 {
						want[r.Model+" ("] = " on " + r.Device + ": top-1 "
					}
				}
			case "fig6":
				for _, r := range res.DeviceModels {
					if r.HasAccuracy && r.TimingStatus == analyse.StatusOK && r.JoulesPerImage > 0 {
						want[r.Model+" ("] = " on " + r.Device + ": top-1 "
					}
				}
			case "fig5":
				for _, r := range res.Roofline {
					if r.Batch == 1 {
						want[r.Model+" ("] = " on " + r.Device + " at batch 1: "
					}
				}
			case "fig4":
				for _, r := range res.DeviceModels {
					if r.MemoryStatus == analyse.StatusOK {
						want[r.Model+" ("] = " on " + r.Device + ": "
					}
				}
			}
			if len(want) == 0 {
				t.Fatalf("%s: no expectations", f.Name)
			}
			for prefix, mid := range want {
				n := 0
				for title, shapes := range got {
					if strings.HasPrefix(title, prefix) && strings.Contains(title, mid) {
						n++
						if shapes == 0 {
							t.Errorf("%s: tooltip %q groups no shape", f.Name, title)
						}
					}
				}
				if n == 0 {
					t.Errorf("%s: no tooltip starting %q containing %q; have %v", f.Name, prefix, mid, got)
				}
			}
			// Fig 1a: one tooltip per model with an accuracy, plus one per
			// measured-vs-published check (its interval bar and diamond).
			if f.Name == "fig1a" && len(got) != withAcc+len(res.AccuracyChecks) {
				t.Errorf("fig1a: %d tooltips, want %d", len(got), withAcc+len(res.AccuracyChecks))
			}
			if f.Name == "fig1a" && len(res.AccuracyChecks) > 0 && !bytes.Contains(f.SVG, []byte("<title>resnet50: measured top-1 76 % [75.6, 76.4], published 76.1 %")) {
				t.Errorf("fig1a: no tooltip for resnet50's measured-vs-published check")
			}
			if f.Name == "fig4" && !bytes.Contains(f.SVG, []byte("<title>edge&lt;cnn&gt;&amp;v2 (other) on cpu:")) {
				t.Errorf("fig4: hostile model name not escaped in its tooltip")
			}
			if bytes.ContainsRune(f.SVG, '\uE000') {
				t.Errorf("%s: a tooltip placeholder is left in the SVG", f.Name)
			}
		}
	}
}

// TestWriteFilesAtomic: WriteFiles replaces existing figures and leaves no
// temporary file behind.
func TestWriteFilesAtomic(t *testing.T) {
	figs := fixture(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "fig1a.svg"), []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	paths, err := plots.WriteFiles(dir, figs)
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) != 3*len(figs) {
		t.Errorf("%d files written, want %d", len(paths), 3*len(figs))
	}
	got, err := os.ReadFile(filepath.Join(dir, "fig1a.svg"))
	if err != nil || !bytes.Equal(got, figs[0].SVG) {
		t.Errorf("fig1a.svg not replaced (err %v)", err)
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != len(paths) {
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		t.Errorf("folder holds %v, want only the %d figures", names, len(paths))
	}
}
