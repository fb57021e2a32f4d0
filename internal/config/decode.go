package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The configuration is decoded from encoding/json's tokens rather than with Unmarshal,
// because Unmarshal lets broken files through: of two duplicate keys it keeps the last
// ("maxCapacity": 3 then 5000 gives 5000), it matches field names whatever their case
// ("MaxCapacity" sets maxCapacity), it reads null as "leave the zero value" (a missing
// minCapacity becomes 0), it stops at the first type error, and it names that field
// without its array indexes. The walk below fills the same structs, led by their json
// tags, and reports every such mistake with its full path.
//
// A field's `config` tag says what the walk cannot learn from its Go type:
// "required" (absent or null is an error) or "nullable" (null is a value of its own:
// an infinite step bound). Any other field may be left out, but not set to null.

// decoded is what the walk learns about a file besides the values it fills in.
type decoded struct {
	// fatal is set when the file is not one well-formed JSON object; nothing else is
	// reported then.
	fatal *Problem
	// problems are the file's structural mistakes (unknown, duplicate, missing or null
	// fields, wrong types), in file order.
	problems []Problem
	// given holds the path of every field the file sets to a non-null value, so the
	// validation can tell "adjustmentType": "" from a field left out.
	given map[string]bool
	// partial holds the entries (see entryOf) in which the walk found a problem.
	partial map[string]bool
}

// unreadable reports whether field belongs to an entry the walk could fill in only
// partly: checks that combine that entry's fields would report consequences of its
// mistake rather than mistakes of their own.
func (d *decoded) unreadable(field string) bool { return d.partial[entryOf(field)] }

// entryPattern matches the configuration entry a field belongs to: an alarm, a scheduled
// action, a service (its own fields, not its alarms' or actions') or an alarm source.
var entryPattern = regexp.MustCompile(`^(services\[\d+\](\.alarms\[\d+\]|\.scheduledActions\[\d+\])?|alarmSources\[\d+\])`)

// entryOf is the entry field belongs to, or "" for the top level.
func entryOf(field string) string { return entryPattern.FindString(field) }

type decoder struct {
	json *json.Decoder
	decoded
}

// errTrailing stops the walk when a complete top-level value is followed by another.
var errTrailing = errors.New("unexpected data after the top-level object")

// decode fills c from data.
func decode(data []byte, c *Config) decoded {
	d := &decoder{json: json.NewDecoder(bytes.NewReader(data)), decoded: decoded{given: map[string]bool{}, partial: map[string]bool{}}}
	d.json.UseNumber() // keeps 1e400 and 2.5 apart from integers, to say which is wrong
	err := d.document(reflect.ValueOf(c).Elem())
	var syntax *json.SyntaxError
	switch {
	case err == nil:
		return d.decoded
	case errors.As(err, &syntax):
		line, col := position(data, syntax.Offset)
		d.fatal = &Problem{"(file)", fmt.Sprintf("not valid JSON at line %d, column %d: %v", line, col, syntax)}
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		d.fatal = &Problem{"(file)", "empty or truncated JSON"}
	default:
		d.fatal = &Problem{"(file)", err.Error()}
	}
	return d.decoded
}

// document reads the top-level value, which must be the only one.
func (d *decoder) document(v reflect.Value) error {
	tok, err := d.json.Token()
	if err != nil {
		return err
	}
	if _, err := d.value("", tok, v); err != nil {
		return err
	}
	if _, err := d.json.Token(); !errors.Is(err, io.EOF) {
		if err == nil {
			return errTrailing
		}
		return err
	}
	return nil
}

// value decodes the JSON value that starts with tok into v. ok is false when the value
// has the wrong type: v is left as it was and the problem recorded. err is set only
// when the file is not well-formed JSON.
func (d *decoder) value(path string, tok json.Token, v reflect.Value) (ok bool, err error) {
	switch v.Kind() {
	case reflect.Pointer:
		p := reflect.New(v.Type().Elem())
		if ok, err = d.value(path, tok, p.Elem()); ok {
			v.Set(p)
		}
		return ok, err
	case reflect.Struct:
		if tok != json.Delim('{') {
			return false, d.mismatch(path, tok, v.Type())
		}
		return true, d.object(path, v)
	case reflect.Map:
		if tok != json.Delim('{') {
			return false, d.mismatch(path, tok, v.Type())
		}
		return true, d.mapping(path, v)
	case reflect.Slice:
		if tok != json.Delim('[') {
			return false, d.mismatch(path, tok, v.Type())
		}
		return true, d.array(path, v)
	case reflect.String:
		s, isString := tok.(string)
		if !isString {
			return false, d.mismatch(path, tok, v.Type())
		}
		v.SetString(s)
	case reflect.Bool:
		b, isBool := tok.(bool)
		if !isBool {
			return false, d.mismatch(path, tok, v.Type())
		}
		v.SetBool(b)
	case reflect.Int:
		n, isNumber := tok.(json.Number)
		if !isNumber {
			return false, d.mismatch(path, tok, v.Type())
		}
		i, fits := integer(n)
		if !fits {
			return false, d.mismatch(path, tok, v.Type())
		}
		v.SetInt(int64(i))
	case reflect.Float64:
		n, isNumber := tok.(json.Number)
		if !isNumber {
			return false, d.mismatch(path, tok, v.Type())
		}
		f, err := strconv.ParseFloat(string(n), 64)
		if err != nil {
			d.add(path, "number %s is out of range (at most ±%.1e)", n, math.MaxFloat64)
			return false, nil
		}
		v.SetFloat(f)
	default:
		panic(fmt.Sprintf("config: no decoding for %s at %s", v.Type(), path)) // a field added without teaching the walk its type
	}
	return true, nil
}

// object decodes a JSON object into the struct v: exactly the fields its json tags name,
// each at most once, and every required one.
func (d *decoder) object(path string, v reflect.Value) error {
	fields := fieldsOf(v.Type())
	seen := map[string]bool{}
	for d.json.More() {
		key, tok, err := d.pair()
		if err != nil {
			return err
		}
		at := member(path, key)
		f, known := lookup(fields, key)
		switch {
		case seen[key]:
			d.add(at, "duplicate key: the object already sets %s, and JSON readers disagree on which value wins", key)
			err = d.skip(tok)
		case !known:
			d.add(at, "%s", unknownField(key, fields))
			err = d.skip(tok)
		case tok == nil && f.required:
			d.add(at, "required, got null")
		case tok == nil && !f.nullable:
			d.add(at, "must not be null: leave the field out to use its default")
		case tok != nil:
			d.given[at] = true
			_, err = d.value(at, tok, v.Field(f.index))
		}
		if err != nil {
			return err
		}
		seen[key] = true
	}
	for _, f := range fields {
		// A field spelt with other capitals is missing too, but the unknown-field problem
		// already says what to write instead.
		if f.required && !seen[f.name] && !seenFold(seen, f.name) {
			d.add(member(path, f.name), "required")
		}
	}
	_, err := d.json.Token() // the closing brace
	return err
}

// mapping decodes a JSON object into the map v, refusing duplicate keys.
func (d *decoder) mapping(path string, v reflect.Value) error {
	m := reflect.MakeMap(v.Type())
	for d.json.More() {
		key, tok, err := d.pair()
		if err != nil {
			return err
		}
		at := member(path, key)
		if m.MapIndex(reflect.ValueOf(key)).IsValid() {
			d.add(at, "duplicate key: the object already sets %s, and JSON readers disagree on which value wins", key)
			err = d.skip(tok)
		} else {
			elem := reflect.New(v.Type().Elem()).Elem()
			var ok bool
			if ok, err = d.value(at, tok, elem); ok {
				m.SetMapIndex(reflect.ValueOf(key), elem)
			}
		}
		if err != nil {
			return err
		}
	}
	v.Set(m)
	_, err := d.json.Token()
	return err
}

// array decodes a JSON array into the slice v. An element of the wrong type is kept as
// a zero value, so that every later element keeps the index the file gives it.
func (d *decoder) array(path string, v reflect.Value) error {
	s := reflect.MakeSlice(v.Type(), 0, 0) // [] stays an empty list, not a missing one
	for i := 0; d.json.More(); i++ {
		tok, err := d.json.Token()
		if err != nil {
			return err
		}
		elem := reflect.New(v.Type().Elem()).Elem()
		if _, err := d.value(fmt.Sprintf("%s[%d]", path, i), tok, elem); err != nil {
			return err
		}
		s = reflect.Append(s, elem)
	}
	v.Set(s)
	_, err := d.json.Token()
	return err
}

// pair reads an object member's key and the first token of its value.
func (d *decoder) pair() (key string, value json.Token, err error) {
	tok, err := d.json.Token()
	if err != nil {
		return "", nil, err
	}
	key, _ = tok.(string) // the tokenizer returns only strings for keys
	value, err = d.json.Token()
	return key, value, err
}

// mismatch records that the value at path is not of type want, and skips it.
func (d *decoder) mismatch(path string, tok json.Token, want reflect.Type) error {
	if n, isNumber := tok.(json.Number); isNumber && want.Kind() == reflect.Int {
		if f, err := strconv.ParseFloat(string(n), 64); err == nil && f == math.Trunc(f) {
			d.add(path, "number %s is out of range", n)
			return nil
		}
	}
	d.add(path, "expected %s, got %s", kindName(want), describe(tok))
	return d.skip(tok)
}

// skip consumes the rest of the value that starts with tok.
func (d *decoder) skip(tok json.Token) error {
	for depth := 0; ; {
		switch tok {
		case json.Delim('{'), json.Delim('['):
			depth++
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
		if depth == 0 {
			return nil
		}
		var err error
		if tok, err = d.json.Token(); err != nil {
			return err
		}
	}
}

func (d *decoder) add(path, format string, args ...any) {
	if path == "" {
		path = "(file)"
	}
	d.problems = append(d.problems, Problem{path, fmt.Sprintf(format, args...)})
	d.partial[entryOf(path)] = true
}

// field is one struct field the walk may fill in.
type field struct {
	name               string
	index              int
	required, nullable bool
}

// fieldsOf lists the fields of a configuration struct that a file may set, in their
// declaration order.
func fieldsOf(t reflect.Type) []field {
	var fields []field
	for i := range t.NumField() {
		sf := t.Field(i)
		name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
		if !sf.IsExported() || name == "" || name == "-" {
			continue
		}
		rule := sf.Tag.Get("config")
		fields = append(fields, field{name: name, index: i, required: rule == "required", nullable: rule == "nullable"})
	}
	return fields
}

func lookup(fields []field, name string) (field, bool) {
	for _, f := range fields {
		if f.name == name {
			return f, true
		}
	}
	return field{}, false
}

func seenFold(seen map[string]bool, name string) bool {
	for k := range seen {
		if strings.EqualFold(k, name) {
			return true
		}
	}
	return false
}

// unknownField explains a key the struct does not have: a field earlier releases took,
// or a near miss of one it has.
func unknownField(key string, fields []field) string {
	if why, ok := removedFields[key]; ok {
		return why
	}
	best, bestDistance := "", 3 // two edits at most: a typo, not another word
	for _, f := range fields {
		if strings.EqualFold(f.name, key) {
			return "unknown field; did you mean " + f.name + "? Field names are case-sensitive"
		}
		if dist := editDistance(strings.ToLower(key), strings.ToLower(f.name)); dist < bestDistance {
			best, bestDistance = f.name, dist
		}
	}
	if best != "" {
		return "unknown field; did you mean " + best + "?"
	}
	names := make([]string, len(fields))
	for i, f := range fields {
		names[i] = f.name
	}
	return "unknown field; the fields here are " + strings.Join(names, ", ")
}

// editDistance is the Levenshtein distance between a and b, in bytes (field names are
// ASCII).
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// integer reads n as an int. As in JSON Schema, an integer is a number without a
// fractional part, so 2.0 is one and 2.5 is not; beyond 2^53 a float64 is no longer
// exact, and no field of the configuration needs such a number.
func integer(n json.Number) (int, bool) {
	if i, err := strconv.ParseInt(string(n), 10, strconv.IntSize); err == nil {
		return int(i), true
	}
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return 0, false
	}
	return int(f), true
}

func kindName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Slice:
		return "an array"
	case reflect.String:
		return "a string"
	case reflect.Int:
		return "an integer"
	case reflect.Float64:
		return "a number"
	case reflect.Bool:
		return "true or false"
	}
	return t.String()
}

// describe names a JSON value by its first token, as a message quotes it.
func describe(tok json.Token) string {
	switch t := tok.(type) {
	case nil:
		return "null"
	case string:
		if utf8.RuneCountInString(t) > 40 {
			t = string([]rune(t)[:40]) + "…"
		}
		return fmt.Sprintf("string %q", t)
	case json.Number:
		return "number " + string(t)
	case bool:
		return fmt.Sprintf("%t", t)
	case json.Delim:
		if t == '{' {
			return "an object"
		}
		return "an array"
	}
	return fmt.Sprint(tok)
}

// plainKey is a key a path can show after a dot.
var plainKey = regexp.MustCompile(`^[A-Za-z_$][A-Za-z0-9_$]*$`)

// member is the path of key in the object at path: services[0].cluster, or
// dimensions["Cluster Name"] for a key a dot would make ambiguous.
func member(path, key string) string {
	switch {
	case !plainKey.MatchString(key):
		return fmt.Sprintf("%s[%q]", path, key)
	case path == "":
		return key
	}
	return path + "." + key
}

func position(data []byte, offset int64) (line, col int) {
	line, col = 1, 1
	for i := int64(0); i < offset && i < int64(len(data)); i++ {
		if data[i] == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return line, col
}
