package declarative

import (
	"bytes"
	_ "embed"
)

//go:embed catalogue.yaml
var catalogue []byte

// Catalogue returns the default price catalogue: a declarative file with the
// public list prices of well-known models (models only). Seed it with
// Options{CreateOnly: true}: models the store lacks are created, and prices
// the operator has set stay as they are.
func Catalogue() []byte { return bytes.Clone(catalogue) }
