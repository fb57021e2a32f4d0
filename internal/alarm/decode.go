package alarm

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// The input is decoded into a generic tree (maps, slices, json.Number) and
// then walked by hand, rather than unmarshalled into tagged structs. That
// costs a little speed but buys what hostile input needs: every error names
// the exact path including array indices (encoding/json reports
// "Trigger.Metrics.Id" without the index, and no path at all for a string in
// a json.Number field), keys match exactly rather than case-insensitively, and
// numbers are checked for range by us instead of failing deep inside the
// decoder.

// jsonSpace is the whitespace JSON allows between tokens.
const jsonSpace = " \t\r\n"

// decodeObject decodes data, which must hold exactly one JSON object.
func decodeObject(data []byte) (map[string]any, *FieldError) {
	// JSON exchanged between systems must be UTF-8 (RFC 8259, section 8.1); encoding/json
	// would quietly turn invalid bytes into U+FFFD, and a name with them into another name.
	if !utf8.Valid(data) {
		return nil, &FieldError{Problem: fmt.Sprintf("not valid UTF-8 (first invalid byte at offset %d)", invalidUTF8(data))}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, jsonError(err, len(data))
	}
	// The decoder stops after the first value; anything but whitespace after
	// it means the input was not one JSON document.
	if rest := bytes.TrimLeft(data[dec.InputOffset():], jsonSpace); len(rest) > 0 {
		return nil, &FieldError{Problem: fmt.Sprintf("malformed JSON at offset %d: unexpected data after the top-level value", len(data)-len(rest))}
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, &FieldError{Problem: "not a JSON object (got " + describe(v) + ")"}
	}
	if ferr := checkDuplicateKeys(data); ferr != nil {
		return nil, ferr
	}
	return m, nil
}

// checkDuplicateKeys reports the first object key that appears twice in one object of
// data, which must be valid JSON. encoding/json keeps the last of duplicate keys, other
// parsers the first, and RFC 8259 leaves it open ("the behavior of software that receives
// such an object is unpredictable"): a message in which a reader that checks AlarmName and
// one that acts on it may see different names is refused. CloudWatch never repeats a key.
func checkDuplicateKeys(data []byte) *FieldError {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	// One frame per open object or array: the keys seen (objects) or the next index
	// (arrays), and the path of the value the frame is.
	type frame struct {
		path  string
		keys  map[string]bool // nil for an array
		index int
		key   string // the object's key whose value is being read
		inKey bool   // an object expects a key next
	}
	var stack []*frame
	// valuePath is the path of the value about to be read, in the innermost frame.
	valuePath := func() string {
		if len(stack) == 0 {
			return ""
		}
		f := stack[len(stack)-1]
		if f.keys == nil {
			return indexPath(f.path, f.index)
		}
		return object{path: f.path}.field(f.key)
	}
	// consumed moves the innermost frame past one complete value.
	consumed := func() {
		if len(stack) == 0 {
			return
		}
		f := stack[len(stack)-1]
		if f.keys == nil {
			f.index++
		} else {
			f.inKey = true
		}
	}
	for {
		tok, err := dec.Token()
		if err != nil {
			// data was decoded once already, so the only error is the end of it.
			return nil
		}
		if len(stack) > 0 {
			if f := stack[len(stack)-1]; f.keys != nil && f.inKey {
				if key, ok := tok.(string); ok {
					if f.keys[key] {
						return &FieldError{Field: object{path: f.path}.field(key), Problem: "appears twice in one object; a JSON object's keys must be unique"}
					}
					f.keys[key] = true
					f.key, f.inKey = key, false
					continue
				}
			}
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &frame{path: valuePath(), keys: map[string]bool{}, inKey: true})
		case json.Delim('['):
			stack = append(stack, &frame{path: valuePath()})
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
			consumed()
		default:
			consumed()
		}
	}
}

// invalidUTF8 returns the offset of the first byte of data that is not part of valid
// UTF-8.
func invalidUTF8(data []byte) int {
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && size == 1 {
			return i
		}
		i += size
	}
	return len(data)
}

// jsonError turns a decoder error into a FieldError that says the JSON itself
// is broken and where.
func jsonError(err error, size int) *FieldError {
	var syn *json.SyntaxError
	switch {
	case errors.As(err, &syn):
		// Offset is Go's: the number of bytes read when the error was
		// found, so it points just past an invalid character.
		return &FieldError{Problem: fmt.Sprintf("malformed JSON at offset %d: %s", syn.Offset, syn.Error()), Err: err}
	case errors.Is(err, io.EOF):
		return &FieldError{Problem: "empty input, expected a JSON object", Err: err}
	case errors.Is(err, io.ErrUnexpectedEOF):
		// The streaming decoder reports truncation without an offset; the
		// offset is the end of the input.
		return &FieldError{Problem: fmt.Sprintf("malformed JSON at offset %d: unexpected end of input", size), Err: err}
	default:
		return &FieldError{Problem: "malformed JSON: " + err.Error(), Err: err}
	}
}

// object is a decoded JSON object together with its path from the root, so
// that everything read from it can be blamed precisely.
type object struct {
	path string
	m    map[string]any
}

func (o object) field(key string) string {
	if o.path == "" {
		return key
	}
	return o.path + "." + key
}

func indexPath(path string, i int) string {
	return path + "[" + strconv.Itoa(i) + "]"
}

// decoder reads typed values out of objects. It keeps the first error and
// turns later reads into no-ops (the same sticky-error pattern as
// bufio.Scanner), so the field-by-field code below reads straight through.
type decoder struct {
	err *FieldError
}

func (d *decoder) fail(field, format string, args ...any) {
	if d.err == nil {
		d.err = &FieldError{Field: field, Problem: fmt.Sprintf(format, args...)}
	}
}

func (d *decoder) typeError(field, want string, got any) {
	d.fail(field, "expected %s, got %s", want, describe(got))
}

// describe names a decoded JSON value's type for an error message, with the
// value itself when it is a short scalar.
func describe(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case string:
		return "a string (" + quote(v) + ")"
	case json.Number:
		return "a number (" + quote(string(v)) + ")"
	case bool:
		return "a boolean (" + strconv.FormatBool(v) + ")"
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	default:
		return fmt.Sprintf("%T", v)
	}
}

// str returns o[key] as a string; absent and null both read as "", as
// CloudWatch writes null for unset strings (AlarmDescription, Unit).
func (d *decoder) str(o object, key string) string {
	switch v := o.m[key].(type) {
	case nil:
		return ""
	case string:
		return v
	default:
		d.typeError(o.field(key), "a string", v)
		return ""
	}
}

func (d *decoder) boolean(o object, key string) bool {
	switch v := o.m[key].(type) {
	case nil:
		return false
	case bool:
		return v
	default:
		d.typeError(o.field(key), "a boolean", v)
		return false
	}
}

func (d *decoder) number(o object, key string) (json.Number, bool) {
	switch v := o.m[key].(type) {
	case nil:
		return "", false
	case json.Number:
		return v, true
	default:
		d.typeError(o.field(key), "a number", v)
		return "", false
	}
}

// float returns o[key] as a finite float64, or nil when absent or null. nil
// matters: an anomaly-detection alarm has no Threshold at all, which is not
// the same as a threshold of zero.
func (d *decoder) float(o object, key string) *float64 {
	num, ok := d.number(o, key)
	if !ok {
		return nil
	}
	f, err := strconv.ParseFloat(string(num), 64)
	if math.IsInf(f, 0) || math.IsNaN(f) {
		d.fail(o.field(key), "not a finite number (%s)", quote(string(num)))
		return nil
	}
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		// json.Number only holds valid JSON numbers, so this is unexpected;
		// an underflow to zero (ErrRange with a finite result) is fine.
		d.fail(o.field(key), "not a number (%s)", quote(string(num)))
		return nil
	}
	return &f
}

// maxCount is the largest value accepted for periods and counts. CloudWatch's
// API types them as 32-bit integers, so anything larger was not written by
// CloudWatch.
const maxCount = math.MaxInt32

// count returns o[key] as a non-negative whole number (0 when absent).
func (d *decoder) count(o object, key string) int64 {
	num, ok := d.number(o, key)
	if !ok {
		return 0
	}
	f, err := strconv.ParseFloat(string(num), 64)
	switch {
	case err != nil && (math.IsInf(f, 0) || !errors.Is(err, strconv.ErrRange)):
		d.fail(o.field(key), "not a finite number (%s)", quote(string(num)))
	case f != math.Trunc(f):
		d.fail(o.field(key), "not a whole number (%s)", quote(string(num)))
	case f < 0:
		d.fail(o.field(key), "negative (%s)", quote(string(num)))
	case f > maxCount:
		d.fail(o.field(key), "too large (%s, more than %d)", quote(string(num)), maxCount)
	default:
		return int64(f)
	}
	return 0
}

// obj returns o[key] as an object; ok is false when it is absent or null.
func (d *decoder) obj(o object, key string) (object, bool) {
	switch v := o.m[key].(type) {
	case nil:
		return object{}, false
	case map[string]any:
		return object{path: o.field(key), m: v}, true
	default:
		d.typeError(o.field(key), "an object", v)
		return object{}, false
	}
}

func (d *decoder) array(o object, key string) []any {
	switch v := o.m[key].(type) {
	case nil:
		return nil
	case []any:
		return v
	default:
		d.typeError(o.field(key), "an array", v)
		return nil
	}
}

// objects returns the elements of the array o[key], each of which must be an
// object.
func (d *decoder) objects(o object, key string) []object {
	arr := d.array(o, key)
	if len(arr) == 0 {
		return nil
	}
	out := make([]object, 0, len(arr))
	for i, v := range arr {
		p := indexPath(o.field(key), i)
		m, ok := v.(map[string]any)
		if !ok {
			d.typeError(p, "an object", v)
			return nil
		}
		out = append(out, object{path: p, m: m})
	}
	return out
}

// strs returns the array o[key] of strings. An empty array reads as nil, the
// same as an absent one: the 2019 format has no action lists and the current
// one writes [], and no caller should have to tell the two apart.
func (d *decoder) strs(o object, key string) []string {
	arr := d.array(o, key)
	if len(arr) == 0 {
		return nil
	}
	out := make([]string, 0, len(arr))
	for i, v := range arr {
		s, ok := v.(string)
		if !ok {
			d.typeError(indexPath(o.field(key), i), "a string", v)
			return nil
		}
		out = append(out, s)
	}
	return out
}

// Timestamps. CloudWatch writes StateChangeTime as
// "2015-06-03T17:43:27.123+0000": an RFC 3339 look-alike whose offset has no
// colon, which time.RFC3339 rejects. RFC 3339 proper is accepted too, for
// messages that were written or re-serialised by other tools.
const (
	cloudWatchLayout = "2006-01-02T15:04:05-0700" // fractional seconds are accepted after the seconds when parsing
	minYear          = 1970
	maxYear          = 9999
)

func parseTime(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	t, err := time.Parse(cloudWatchLayout, s)
	if err != nil {
		if t, err = time.Parse(time.RFC3339Nano, s); err != nil {
			return time.Time{}, false
		}
	}
	return t.UTC(), true
}

// timestamp returns o[key] as a UTC time. A timestamp outside 1970–9999 is
// rejected: CloudWatch never writes one, and a year past 9999 could not be
// written back in the same format.
func (d *decoder) timestamp(o object, key string, required bool) time.Time {
	s := d.str(o, key)
	if s == "" {
		if required {
			d.fail(o.field(key), "missing")
		}
		return time.Time{}
	}
	t, ok := parseTime(s)
	if !ok {
		d.fail(o.field(key), "not a timestamp (%s)", quote(s))
		return time.Time{}
	}
	if y := t.Year(); y < minYear || y > maxYear {
		d.fail(o.field(key), "out of range (%s)", quote(s))
		return time.Time{}
	}
	return t
}
