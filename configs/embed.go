// Package configs embeds the default configurations, device profiles and
// published reference tables, so the binary runs from any directory.
package configs

import "embed"

// FS holds *.yaml, devices/*.yaml and reference/*.csv.
//
//go:embed *.yaml devices/*.yaml reference/*.csv
var FS embed.FS
