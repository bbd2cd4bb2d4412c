// Package record turns the observation bus into files and back: JSON Lines
// (the --headless stream, and recordings with a header line and redaction),
// the reader that tolerates a cut last line, and exports.
package record
