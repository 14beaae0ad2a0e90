// Package cachekey builds the content-addressed names of cache entries. It
// is a leaf, apart from package cache, so that a stage package can build its
// own keys while cache's tests still import the stages' row types.
package cachekey

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
)

// Key hashes everything that determines a cache entry and returns the hex
// SHA-256 digest (64 lowercase hex digits) used as the entry's name.
//
// Key JSON-encodes the schema version and every part in order. JSON encodes
// map keys sorted and struct fields in declaration order, so equal inputs
// always give the same key; changing the schema version, any part, the number
// of parts or their order gives a different key. Only exported struct fields
// (and those not tagged json:"-") take part. A part that JSON cannot encode
// (a channel, a function, a NaN or infinite float) is an error.
func Key(schema int, parts ...any) (string, error) {
	if parts == nil {
		parts = []any{}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	doc := struct {
		Schema int   `json:"schema"`
		Parts  []any `json:"parts"`
	}{schema, parts}
	if err := enc.Encode(doc); err != nil {
		return "", fmt.Errorf("cache: key: %w", err)
	}
	sum := sha256.Sum256(buf.Bytes())
	return hex.EncodeToString(sum[:]), nil
}
