package otlp

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"sync"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/encoding/protojson"
)

// jsonLines is a span exporter that writes each batch as one line of OTLP
// JSON: an ExportTraceServiceRequest ({"resourceSpans":[...]}), the OTLP
// file format that the collector's otlpjsonfile receiver reads. Writes are
// serialised; the first write error is kept and returned by every later
// export.
type jsonLines struct {
	mu  sync.Mutex
	w   io.Writer
	err error
}

func (j *jsonLines) ExportSpans(_ context.Context, spans []sdktrace.ReadOnlySpan) error {
	line, err := MarshalJSON(&coltracepb.ExportTraceServiceRequest{ResourceSpans: resourceSpans(spans)})
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.err != nil {
		return j.err
	}
	if err != nil {
		j.err = err
		return err
	}
	if _, err := j.w.Write(append(line, '\n')); err != nil {
		j.err = fmt.Errorf("writing spans: %w", err)
	}
	return j.err
}

func (j *jsonLines) Shutdown(context.Context) error { return nil }

// MarshalJSON encodes req in the OTLP/JSON encoding: protobuf's JSON
// mapping with lowerCamelCase names and enums as numbers, except that
// trace and span ids are hex strings, not base64 (OTLP specification,
// "JSON Protobuf Encoding").
func MarshalJSON(req *coltracepb.ExportTraceServiceRequest) ([]byte, error) {
	raw, err := protojson.MarshalOptions{UseEnumNumbers: true}.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("encoding spans: %w", err)
	}
	return recodeIDs(raw, func(s string) (string, error) {
		b, err := base64.StdEncoding.DecodeString(s)
		return hex.EncodeToString(b), err
	})
}

// UnmarshalJSON decodes one line of OTLP JSON (hex ids) into req.
func UnmarshalJSON(line []byte, req *coltracepb.ExportTraceServiceRequest) error {
	raw, err := recodeIDs(line, func(s string) (string, error) {
		b, err := hex.DecodeString(s)
		return base64.StdEncoding.EncodeToString(b), err
	})
	if err != nil {
		return err
	}
	return protojson.Unmarshal(raw, req)
}

// idFields are the fields OTLP/JSON encodes as hex.
var idFields = map[string]bool{"traceId": true, "spanId": true, "parentSpanId": true}

// recodeIDs rewrites the id fields of a JSON document with recode.
func recodeIDs(doc []byte, recode func(string) (string, error)) ([]byte, error) {
	d := json.NewDecoder(bytes.NewReader(doc))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, fmt.Errorf("OTLP JSON: %w", err)
	}
	var walk func(any) error
	walk = func(v any) error {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				if s, ok := x.(string); ok && idFields[k] {
					r, err := recode(s)
					if err != nil {
						return fmt.Errorf("OTLP JSON: %s %q: %w", k, s, err)
					}
					v[k] = r
				} else if err := walk(x); err != nil {
					return err
				}
			}
		case []any:
			for _, x := range v {
				if err := walk(x); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if err := walk(v); err != nil {
		return nil, err
	}
	return json.Marshal(v)
}
