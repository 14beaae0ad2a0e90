package cache

import (
	"crypto/sha256"

	"github.com/dnnbench/dnnbench/internal/cachekey"
)

// Key returns cachekey.Key(schema, parts...): the hex SHA-256 digest naming
// an entry, built from the schema version and every part in order. It
// errors when a part cannot be JSON-encoded.
func Key(schema int, parts ...any) (string, error) {
	return cachekey.Key(schema, parts...)
}

// validKey reports whether key has the form Key returns.
func validKey(key string) bool {
	if len(key) != sha256.Size*2 {
		return false
	}
	for i := 0; i < len(key); i++ {
		c := key[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
