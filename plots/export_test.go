package plots

import "gonum.org/v1/plot"

// NiceTicks exposes niceTicks to the tests.
func NiceTicks(min, max float64) []plot.Tick { return niceTicks{}.Ticks(min, max) }

// LogTicks exposes logTicks to the tests.
func LogTicks(min, max float64) []plot.Tick { return logTicks{}.Ticks(min, max) }
