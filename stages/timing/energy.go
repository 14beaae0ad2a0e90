package timing

import (
	"math"

	"github.com/dnnbench/dnnbench/internal/energy"
)

// energyProbe is a probe with an energy meter, read around each chunk's
// timed runs.
type energyProbe interface {
	meter() energy.Meter
}

// meteredProbe is the worker's probe: the host's clock, load and canary,
// and the device's energy meter.
type meteredProbe struct {
	hostProbe
	*canary
	m energy.Meter
}

func (p meteredProbe) meter() energy.Meter { return p.m }

// startEnergy starts p's meter, if it has one, and returns the function
// that stops it: the joules since the start, or NaN and why not.
func startEnergy(p probe) func() (float64, string) {
	ep, ok := p.(energyProbe)
	if !ok {
		return func() (float64, string) { return math.NaN(), "" }
	}
	m := ep.meter()
	if err := m.Start(); err != nil {
		return func() (float64, string) { return math.NaN(), err.Error() }
	}
	return func() (float64, string) {
		j, err := m.Stop()
		if err != nil {
			return math.NaN(), err.Error()
		}
		return j, ""
	}
}

// addEnergy records a round event's energy reading.
func (c *cellState) addEnergy(ev event) {
	j := math.NaN()
	if ev.Joules != nil {
		j = *ev.Joules
	}
	c.joules = append(c.joules, j)
	if ev.EnergyError != "" && c.energyErr == "" {
		c.energyErr = ev.EnergyError
	}
}

// setEnergy sets r's joules per image from this attempt's rounds: the
// energy of the rounds the latency estimate uses (used, indexed like
// c.rounds) divided by the images they ran, or of all this attempt's
// rounds when it uses none of them and there is no earlier attempt to keep.
// A failed reading leaves NaN, and the source says why.
func (s *sweepState) setEnergy(r *Row, c *cellState, used []bool, prior Row, hasPrior bool) {
	r.JoulesPerImage, r.EnergySource = math.NaN(), s.energySrc
	if c.energyErr != "" {
		r.EnergySource = "none: " + c.energyErr
		return
	}
	sum := func(onlyUsed bool) (joules float64, images int) {
		for i, rd := range c.rounds {
			if i >= len(c.joules) || math.IsNaN(c.joules[i]) || (onlyUsed && (i >= len(used) || !used[i])) {
				continue
			}
			joules += c.joules[i]
			images += len(rd.SamplesMs) * int(r.Batch)
		}
		return joules, images
	}
	j, n := sum(true)
	if n == 0 && hasPrior {
		r.JoulesPerImage, r.EnergySource = prior.JoulesPerImage, prior.EnergySource
		return
	}
	if n == 0 {
		j, n = sum(false)
	}
	if n > 0 {
		r.JoulesPerImage = j / float64(n)
	}
}
