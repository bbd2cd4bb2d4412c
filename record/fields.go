package record

import (
	"encoding"
	"encoding/json"
	"reflect"
	"strings"
	"time"
	"unicode"
	"unsafe"

	"github.com/mcpscope/mcpscope/proxy"
)

// fieldCodec says how lineEncoder writes one field of Observation. The
// table is built once, by reflection, from the struct and its json tags,
// following encoding/json's rules, so a field added to Observation is
// written without anyone touching this package; a field it cannot write the
// way encoding/json would sends every line back to encoding/json (see
// observationCodec.exact).
type fieldCodec struct {
	key       string // `"name":`
	name      string
	off       uintptr
	typ       reflect.Type
	kind      codecKind
	omitEmpty bool // omitempty
	omitZero  bool // omitzero
}

type codecKind uint8

const (
	codecString  codecKind = iota // any string kind
	codecInt                      // any signed integer kind (time.Duration too)
	codecUint                     // any unsigned integer kind
	codecBool                     // bool
	codecTime                     // time.Time (its MarshalJSON)
	codecRawJSON                  // proxy.RawJSON (its MarshalJSON: the text, compacted)
	codecStrings                  // []string
	codecOther                    // anything else, through encoding/json
)

// observationCodec is the field table of Observation. exact is false when
// some field cannot be written as encoding/json writes it (then lines go
// through encoding/json); body and raw are the indexes of those fields, or
// -1.
type observationCodec struct {
	fields    []fieldCodec
	exact     bool
	body, raw int
	unhandled string // why exact is false
}

var obsCodec = compileObservation()

func compileObservation() *observationCodec {
	c := &observationCodec{exact: true, body: -1, raw: -1}
	t := reflect.TypeFor[Observation]()
	seen := make(map[string]bool)
	for i := range t.NumField() {
		sf := t.Field(i)
		tag := sf.Tag.Get("json")
		if tag == "-" || !sf.IsExported() && !sf.Anonymous {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		f := fieldCodec{name: name, off: sf.Offset, typ: sf.Type, kind: kindOf(sf.Type)}
		for _, opt := range strings.Split(opts, ",") {
			switch opt {
			case "":
			case "omitempty":
				f.omitEmpty = true
			case "omitzero":
				f.omitZero = true
			default:
				c.fail("field " + sf.Name + " has option " + opt)
			}
		}
		if !validTagName(name) {
			f.name = sf.Name
		}
		switch {
		case sf.Anonymous:
			c.fail("embedded field " + sf.Name)
		case seen[f.name]:
			c.fail("two fields named " + f.name)
		case f.omitZero && f.kind != codecTime && hasIsZero(sf.Type):
			c.fail("field " + sf.Name + " is omitzero with an IsZero method")
		}
		seen[f.name] = true
		f.key = `"` + f.name + `":`
		switch {
		case f.name == "body" && f.kind == codecString:
			c.body = len(c.fields)
		case f.name == "raw" && f.kind == codecString:
			c.raw = len(c.fields)
		}
		c.fields = append(c.fields, f)
	}
	return c
}

func (c *observationCodec) fail(why string) {
	if c.exact {
		c.exact, c.unhandled = false, why
	}
}

// kindOf picks how a field of type t is written.
func kindOf(t reflect.Type) codecKind {
	switch {
	case t == reflect.TypeFor[time.Time]():
		return codecTime
	case t == reflect.TypeFor[proxy.RawJSON]():
		return codecRawJSON
	case marshals(t):
		return codecOther
	}
	switch t.Kind() {
	case reflect.String:
		return codecString
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return codecInt
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return codecUint
	case reflect.Bool:
		return codecBool
	case reflect.Slice:
		if t.Elem().Kind() == reflect.String && !marshals(t.Elem()) {
			return codecStrings
		}
	}
	return codecOther
}

// marshals reports whether encoding/json would call a method of t (or *t)
// to write it.
func marshals(t reflect.Type) bool {
	m, tm := reflect.TypeFor[json.Marshaler](), reflect.TypeFor[encoding.TextMarshaler]()
	p := reflect.PointerTo(t)
	return t.Implements(m) || t.Implements(tm) || p.Implements(m) || p.Implements(tm)
}

func hasIsZero(t reflect.Type) bool {
	_, ok := t.MethodByName("IsZero")
	_, pok := reflect.PointerTo(t).MethodByName("IsZero")
	return ok || pok
}

// validTagName is encoding/json's rule for a name it takes from a tag;
// otherwise it uses the Go name.
func validTagName(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		switch {
		case strings.ContainsRune("!#$%&()*+-./:;<=>?@[]^_{|}~ ", c):
		case !unicode.IsLetter(c) && !unicode.IsDigit(c):
			return false
		}
	}
	return true
}

// omitted reports whether the field at p is left out.
func (f *fieldCodec) omitted(p unsafe.Pointer) bool {
	if !f.omitEmpty && !f.omitZero {
		return false
	}
	switch f.kind {
	case codecString, codecRawJSON:
		return *(*string)(p) == ""
	case codecInt:
		return loadInt(p, f.typ.Kind()) == 0
	case codecUint:
		return loadUint(p, f.typ.Kind()) == 0
	case codecBool:
		return !*(*bool)(p)
	case codecTime:
		return f.omitZero && (*time.Time)(p).IsZero()
	case codecStrings:
		s := *(*[]string)(p)
		return f.omitEmpty && len(s) == 0 || f.omitZero && s == nil
	}
	if f.typ.Kind() == reflect.Pointer { // nil is both empty and zero; no reflection on the hot path
		return *(*unsafe.Pointer)(p) == nil
	}
	v := reflect.NewAt(f.typ, p).Elem()
	if f.omitZero && v.IsZero() {
		return true
	}
	if !f.omitEmpty {
		return false
	}
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Interface, reflect.Pointer:
		return v.IsNil()
	case reflect.Float32, reflect.Float64:
		return v.Float() == 0
	}
	return false
}

func loadInt(p unsafe.Pointer, k reflect.Kind) int64 {
	switch k {
	case reflect.Int8:
		return int64(*(*int8)(p))
	case reflect.Int16:
		return int64(*(*int16)(p))
	case reflect.Int32:
		return int64(*(*int32)(p))
	case reflect.Int64:
		return *(*int64)(p)
	}
	return int64(*(*int)(p))
}

func loadUint(p unsafe.Pointer, k reflect.Kind) uint64 {
	switch k {
	case reflect.Uint8:
		return uint64(*(*uint8)(p))
	case reflect.Uint16:
		return uint64(*(*uint16)(p))
	case reflect.Uint32:
		return uint64(*(*uint32)(p))
	case reflect.Uint64:
		return *(*uint64)(p)
	case reflect.Uintptr:
		return uint64(*(*uintptr)(p))
	}
	return uint64(*(*uint)(p))
}
