package plots

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"gonum.org/v1/plot"

	"github.com/dnnbench/dnnbench/stages/analyse"
)

// energyFigure is Figure 6: top-1 accuracy vs. energy per image at batch 1
// (log scale), one point per model and device with a reading. With no point
// to draw it returns 0 and why: the devices' energy sources when no row has
// a reading. It also returns the families drawn, for the legend.
func energyFigure(res *analyse.Result) (*plot.Plot, int, string, []string) {
	fam := families(res)
	withEnergy := map[string]bool{}
	var rows []analyse.DeviceModelRow
	for _, r := range res.DeviceModels {
		if r.TimingStatus != analyse.StatusOK || !(r.JoulesPerImage > 0) || math.IsInf(r.JoulesPerImage, 0) {
			continue
		}
		withEnergy[r.Device] = true
		if r.HasAccuracy {
			rows = append(rows, r)
		}
	}
	if len(withEnergy) == 0 {
		return nil, 0, "no batch-1 timing row has an energy reading (" + energyReasons(res) + ")", nil
	}
	if len(rows) == 0 {
		return nil, 0, "no model with an accuracy has an energy reading", nil
	}
	devices := map[string]bool{}
	for _, r := range rows {
		devices[r.Device] = true
	}
	p := newPlot("Top-1 accuracy vs. energy per image", "Energy per image at batch 1 [J, log]", "Top-1 accuracy [%]")
	p.X.Scale = plot.LogScale{}
	p.X.Tick.Marker = logTicks{}
	pts := make([]Ball, 0, len(rows))
	var fams []string
	for _, r := range rows {
		label := cleanLabel(r.Model)
		if len(devices) > 1 {
			label += " (" + cleanLabel(r.Device) + ")"
		}
		// An energy figure from a timing cell that failed the stability
		// rule is drawn hollow, as in Figure 3.
		tip := fmt.Sprintf("%s (%s) on %s: top-1 %s %%, %s J per image at batch 1", r.Model, fam[r.Model], r.Device, gfmt(r.Top1), gfmt(r.JoulesPerImage))
		pts = append(pts, Ball{X: r.JoulesPerImage, Y: r.Top1, R: 3.5, Label: label, Tip: tip, Color: FamilyColor(fam[r.Model]), Filled: r.TimingStable})
		fams = append(fams, fam[r.Model])
	}
	p.Add(NewBalls(pts, 7.5))
	return p, len(pts), "", fams
}

// energyReasons lists, per device, the energy source of its batch-1 timing
// rows ("none: …" says why there is no reading).
func energyReasons(res *analyse.Result) string {
	srcs := map[string][]string{}
	var devs []string
	for _, r := range res.DeviceModels {
		if r.TimingStatus == analyse.StatusNotRun || r.EnergySource == "" {
			continue
		}
		if _, ok := srcs[r.Device]; !ok {
			devs = append(devs, r.Device)
		}
		if !contains(srcs[r.Device], r.EnergySource) {
			srcs[r.Device] = append(srcs[r.Device], r.EnergySource)
		}
	}
	if len(devs) == 0 {
		return "no timing row records an energy source"
	}
	sort.Strings(devs)
	parts := make([]string, len(devs))
	for i, d := range devs {
		parts[i] = cleanLabel(d) + ": " + cleanLabel(strings.Join(srcs[d], "; "))
	}
	return strings.Join(parts, "; ")
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// energyTitle is Figure 6's caption.
func energyTitle(res *analyse.Result) string {
	t := "Top-1 accuracy vs. energy per image at batch 1 (log scale): the sensor's energy over the timed runs divided by the images they ran; colour is the architecture family; the method section names each device's sensor."
	for _, r := range res.DeviceModels {
		if r.HasAccuracy && r.TimingStatus == analyse.StatusOK && r.JoulesPerImage > 0 && !r.TimingStable {
			t += " Hollow points: figures from timing cells that failed the stability rule (marked † in Table 1)."
			break
		}
	}
	return t
}
