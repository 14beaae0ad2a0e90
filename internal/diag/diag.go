// Package diag defines the warning every stage returns as data rather than
// printing it: what it is about (stage, model, device, batch), a short
// stable code a program can match, and a message a person reads.
package diag

import (
	"fmt"
	"strings"
)

// Warning is one stage warning. Empty fields do not apply (a dataset warning
// has no model; a flops warning has no device or batch).
type Warning struct {
	Stage  string `parquet:"stage" json:"stage,omitempty"`
	Model  string `parquet:"model" json:"model,omitempty"`
	Device string `parquet:"device" json:"device,omitempty"`
	// Batch is the batch size, 0 when the warning is not about one.
	Batch int64 `parquet:"batch" json:"batch,omitempty"`
	// Code names the kind of warning in kebab case, e.g. "image-skipped".
	Code    string `parquet:"code" json:"code,omitempty"`
	Message string `parquet:"message" json:"message"`
}

// String renders w as one line: "stage: model device batch N: message".
func (w Warning) String() string {
	var about []string
	for _, s := range []string{w.Model, w.Device} {
		if s != "" {
			about = append(about, s)
		}
	}
	if w.Batch > 0 {
		about = append(about, fmt.Sprintf("batch %d", w.Batch))
	}
	var b strings.Builder
	if w.Stage != "" {
		b.WriteString(w.Stage + ": ")
	}
	if len(about) > 0 {
		b.WriteString(strings.Join(about, " ") + ": ")
	}
	b.WriteString(w.Message)
	return b.String()
}
