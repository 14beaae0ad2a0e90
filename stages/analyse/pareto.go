package analyse

import "sort"

// paretoPoint is a model with a cost (lower is better) and an accuracy.
type paretoPoint struct {
	Model string
	Cost  float64
	Top1  float64
}

// paretoFront returns the points that no other point dominates, by
// increasing cost. A point is dominated when another has cost ≤ and
// accuracy ≥ with one of them strict; exact ties are both kept.
func paretoFront(pts []paretoPoint) []paretoPoint {
	ps := append([]paretoPoint(nil), pts...)
	sort.Slice(ps, func(i, j int) bool {
		if ps[i].Cost != ps[j].Cost {
			return ps[i].Cost < ps[j].Cost
		}
		if ps[i].Top1 != ps[j].Top1 {
			return ps[i].Top1 > ps[j].Top1
		}
		return ps[i].Model < ps[j].Model
	})
	var front []paretoPoint
	for i, p := range ps {
		dominated := false
		for _, q := range ps[:i] {
			if q.Top1 > p.Top1 || (q.Top1 == p.Top1 && q.Cost < p.Cost) {
				dominated = true
				break
			}
		}
		if !dominated {
			front = append(front, p)
		}
	}
	return front
}

// fronts computes the FLOPs front and, per device, the FPS and memory fronts.
func fronts(ms []ModelRow, dms []DeviceModelRow, devices []string) []FrontRow {
	var rows []FrontRow
	var pts []paretoPoint
	for _, m := range ms {
		if m.HasAccuracy && m.FLOPs > 0 {
			pts = append(pts, paretoPoint{m.Model, float64(m.FLOPs), m.Top1})
		}
	}
	for _, p := range paretoFront(pts) {
		rows = append(rows, FrontRow{Axis: "flops", Model: p.Model, X: p.Cost, Top1: p.Top1})
	}
	for _, d := range devices {
		var fps, mem []paretoPoint
		for _, r := range dms {
			if r.Device != d || !r.HasAccuracy {
				continue
			}
			if r.TimingStatus == StatusOK {
				fps = append(fps, paretoPoint{r.Model, -r.FPS, r.Top1})
			}
			if r.MemoryStatus == StatusOK {
				mem = append(mem, paretoPoint{r.Model, float64(r.PeakBytes), r.Top1})
			}
		}
		for _, p := range paretoFront(fps) {
			rows = append(rows, FrontRow{Device: d, Axis: "fps", Model: p.Model, X: -p.Cost, Top1: p.Top1})
		}
		for _, p := range paretoFront(mem) {
			rows = append(rows, FrontRow{Device: d, Axis: "memory", Model: p.Model, X: p.Cost, Top1: p.Top1})
		}
	}
	return rows
}
