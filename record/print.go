package record

// Printer formats observations one at a time as --headless prints them,
// for outputs other than a stream of lines (the control API's events).
// A line is what encoding/json writes for the observation with HTML
// escaping off, except that the body, when it is valid JSON, is that JSON
// value rather than a string, C1 controls and bidirectional overrides are
// escaped too (see appendString), and a string that is not valid UTF-8 has
// its exact bytes beside it (see lineEncoder). A Printer is not safe for
// concurrent use.
type Printer struct {
	enc      *lineEncoder
	redactor *Redactor
}

// NewPrinter returns a Printer redacting with redactor (nil: nothing).
func NewPrinter(redactor *Redactor) *Printer {
	return &Printer{enc: newHeadlessEncoder(), redactor: redactor}
}

// AppendLine appends o, redacted, as one JSON object and a newline. On
// error dst is returned as it was.
func (p *Printer) AppendLine(dst []byte, o *Observation) ([]byte, error) {
	return p.enc.appendLine(dst, p.redactor.Apply(o))
}
