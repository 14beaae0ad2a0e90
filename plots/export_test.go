package plots

import "gonum.org/v1/plot"

// NiceTicks exposes niceTicks to the tests.
func NiceTicks(min, max float64) []plot.Tick { return niceTicks{}.Ticks(min, max) }
