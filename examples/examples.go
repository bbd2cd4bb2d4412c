// Package examples embeds the example files, so the demo finds them
// wherever it runs.
package examples

import _ "embed"

// Rules is examples/rules.yaml.
//
//go:embed rules.yaml
var Rules []byte
