package cwemu

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// Metric math, as "Metric math syntax and functions" (Amazon CloudWatch User Guide)
// defines it, for the part the emulator implements: numbers, query ids, parentheses,
// + - * / ^ and unary minus, and the functions SUM, AVG, MIN, MAX, ABS and FILL with a
// number. Everything else CloudWatch offers (comparison and logical operators, IF,
// METRICS, SEARCH, RATE, FILL with REPEAT/LINEAR, ...) is refused with an error saying
// the emulator does not support it. Function names are upper case and ids start with a
// lower-case letter, as the guide requires.

// node is a parsed expression.
type node interface{}

type (
	numberNode float64
	refNode    string // a query id
	negNode    struct{ x node }
	binaryNode struct {
		op   byte
		l, r node
	}
	callNode struct {
		fn   string
		args []node
	}
	arrayNode struct{ elems []node }
)

// supportedFunctions are the functions the emulator evaluates.
var supportedFunctions = []string{"SUM", "AVG", "MIN", "MAX", "ABS", "FILL"}

// cloudWatchFunctions are the other functions of the guide's table, which the emulator
// recognises in order to say it does not support them.
var cloudWatchFunctions = []string{
	"ANOMALY_DETECTION_BAND", "CEIL", "DATAPOINT_COUNT", "DIFF", "DIFF_TIME", "FIRST", "LAST",
	"FLOOR", "IF", "INSIGHT_RULE_METRIC", "LOG", "LOG10", "METRIC_COUNT", "METRICS", "MINUTE",
	"HOUR", "DAY", "DATE", "MONTH", "YEAR", "EPOCH", "PERIOD", "RATE", "REMOVE_EMPTY",
	"RUNNING_SUM", "SEARCH", "SERVICE_QUOTA", "SLICE", "SORT", "STDDEV", "TIME_SERIES",
	"AT_LEAST", "CONCAT", "DB_PERF_INSIGHTS", "LAMBDA", "SELECT",
}

// exprError is a problem with an expression, reported by the caller with the query id.
type exprError struct {
	msg         string
	unsupported bool
}

func (e *exprError) Error() string { return e.msg }

func badExpr(format string, args ...any) error {
	return &exprError{msg: fmt.Sprintf(format, args...)}
}

func unsupportedExpr(format string, args ...any) error {
	return &exprError{msg: fmt.Sprintf(format, args...), unsupported: true}
}

// expressionError turns an expression problem into the API error for query id.
func expressionError(id string, err error) *apiError {
	var ee *exprError
	if errors.As(err, &ee) && ee.unsupported {
		return unsupported("%s (in the expression of query %s)", ee.msg, id)
	}
	return validationError("Error in expression %s: %v", id, err)
}

// parseExpression parses a metric math expression.
func parseExpression(src string) (node, error) {
	toks, err := lex(src)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks}
	n, err := p.expr()
	if err != nil {
		return nil, err
	}
	if p.peek().kind != tokEOF {
		return nil, badExpr("unexpected %s", p.peek())
	}
	return n, nil
}

type tokenKind int

const (
	tokEOF tokenKind = iota
	tokNumber
	tokIdent
	tokString
	tokOp
)

type token struct {
	kind tokenKind
	text string
	num  float64
}

func (t token) String() string {
	if t.kind == tokEOF {
		return "end of expression"
	}
	return strconv.Quote(t.text)
}

func lex(src string) ([]token, error) {
	var toks []token
	for i := 0; i < len(src); {
		c := src[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case isDigit(c) || c == '.':
			j := numberEnd(src, i)
			v, err := strconv.ParseFloat(src[i:j], 64)
			if err != nil {
				return nil, badExpr("%q is not a number", src[i:j])
			}
			toks = append(toks, token{kind: tokNumber, text: src[i:j], num: v})
			i = j
		case c == '_' || unicode.IsLetter(rune(c)):
			j := i
			for j < len(src) && (src[j] == '_' || isDigit(src[j]) || unicode.IsLetter(rune(src[j]))) {
				j++
			}
			toks = append(toks, token{kind: tokIdent, text: src[i:j]})
			i = j
		case c == '"':
			j := strings.IndexByte(src[i+1:], '"')
			if j < 0 {
				return nil, badExpr("unterminated string")
			}
			toks = append(toks, token{kind: tokString, text: src[i+1 : i+1+j]})
			i += j + 2
		case strings.IndexByte("+-*/^()[],", c) >= 0:
			toks = append(toks, token{kind: tokOp, text: string(c)})
			i++
		case strings.IndexByte("<>=!&|", c) >= 0:
			j := i + 1
			for j < len(src) && strings.IndexByte("<>=&|", src[j]) >= 0 {
				j++
			}
			return nil, unsupportedExpr("the operator %s", src[i:j])
		default:
			return nil, badExpr("unexpected character %q", c)
		}
	}
	return append(toks, token{kind: tokEOF}), nil
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// numberEnd is where the number starting at src[i] ends: digits and points, then an
// optional exponent (e or E, a sign, digits).
func numberEnd(src string, i int) int {
	j := i
	for j < len(src) && (isDigit(src[j]) || src[j] == '.') {
		j++
	}
	if j+1 < len(src) && (src[j] == 'e' || src[j] == 'E') {
		k := j + 1
		if src[k] == '+' || src[k] == '-' {
			k++
		}
		if k < len(src) && isDigit(src[k]) {
			for j = k; j < len(src) && isDigit(src[j]); j++ {
			}
		}
	}
	return j
}

type parser struct {
	toks []token
	pos  int
}

func (p *parser) peek() token { return p.toks[p.pos] }
func (p *parser) next() token { t := p.toks[p.pos]; p.pos++; return t }

func (p *parser) isOp(ops string) (byte, bool) {
	t := p.peek()
	if t.kind == tokOp && len(t.text) == 1 && strings.IndexByte(ops, t.text[0]) >= 0 {
		return t.text[0], true
	}
	return 0, false
}

func (p *parser) expect(op string) error {
	if t := p.next(); t.kind != tokOp || t.text != op {
		return badExpr("expected %q, found %s", op, t)
	}
	return nil
}

func (p *parser) expr() (node, error) {
	l, err := p.term()
	if err != nil {
		return nil, err
	}
	for {
		op, ok := p.isOp("+-")
		if !ok {
			return l, nil
		}
		p.next()
		r, err := p.term()
		if err != nil {
			return nil, err
		}
		l = binaryNode{op: op, l: l, r: r}
	}
}

func (p *parser) term() (node, error) {
	l, err := p.unary()
	if err != nil {
		return nil, err
	}
	for {
		op, ok := p.isOp("*/")
		if !ok {
			return l, nil
		}
		p.next()
		r, err := p.unary()
		if err != nil {
			return nil, err
		}
		l = binaryNode{op: op, l: l, r: r}
	}
}

// unary binds looser than ^, so -2^2 is -(2^2), as in arithmetic.
func (p *parser) unary() (node, error) {
	if _, ok := p.isOp("-"); ok {
		p.next()
		x, err := p.unary()
		if err != nil {
			return nil, err
		}
		return negNode{x}, nil
	}
	return p.power()
}

func (p *parser) power() (node, error) {
	base, err := p.primary()
	if err != nil {
		return nil, err
	}
	if _, ok := p.isOp("^"); !ok {
		return base, nil
	}
	p.next()
	exp, err := p.unary()
	if err != nil {
		return nil, err
	}
	return binaryNode{op: '^', l: base, r: exp}, nil
}

func (p *parser) primary() (node, error) {
	t := p.next()
	switch {
	case t.kind == tokNumber:
		return numberNode(t.num), nil
	case t.kind == tokIdent:
		if _, ok := p.isOp("("); ok {
			return p.call(t.text)
		}
		if t.text == "REPEAT" || t.text == "LINEAR" {
			return nil, unsupportedExpr("FILL with %s", t.text)
		}
		if !unicode.IsLower(rune(t.text[0])) {
			return nil, badExpr("%q is not a query id: ids start with a lower-case letter", t.text)
		}
		return refNode(t.text), nil
	case t.kind == tokOp && t.text == "(":
		n, err := p.expr()
		if err != nil {
			return nil, err
		}
		return n, p.expect(")")
	case t.kind == tokOp && t.text == "[":
		var elems []node
		for {
			n, err := p.expr()
			if err != nil {
				return nil, err
			}
			elems = append(elems, n)
			if _, ok := p.isOp(","); !ok {
				break
			}
			p.next()
		}
		return arrayNode{elems}, p.expect("]")
	case t.kind == tokString:
		return nil, badExpr("unexpected string %s", t)
	}
	return nil, badExpr("unexpected %s", t)
}

func (p *parser) call(fn string) (node, error) {
	switch {
	case slices.Contains(supportedFunctions, fn):
	case slices.Contains(cloudWatchFunctions, fn):
		return nil, unsupportedExpr("the function %s", fn)
	default:
		return nil, badExpr("unknown function %s", fn)
	}
	p.next() // (
	var args []node
	if _, ok := p.isOp(")"); !ok {
		for {
			n, err := p.expr()
			if err != nil {
				return nil, err
			}
			args = append(args, n)
			if _, ok := p.isOp(","); !ok {
				break
			}
			p.next()
		}
	}
	if err := p.expect(")"); err != nil {
		return nil, err
	}
	want := 1
	if fn == "FILL" {
		want = 2
	}
	if len(args) != want {
		return nil, badExpr("%s takes %d argument(s), got %d", fn, want, len(args))
	}
	if fn == "FILL" {
		if _, ok := constant(args[1]); !ok {
			return nil, unsupportedExpr("FILL with anything but a number")
		}
	}
	return callNode{fn: fn, args: args}, nil
}

// constant evaluates a node made only of numbers.
func constant(n node) (float64, bool) {
	switch n := n.(type) {
	case numberNode:
		return float64(n), true
	case negNode:
		v, ok := constant(n.x)
		return -v, ok
	}
	return 0, false
}

// refs lists the query ids n refers to.
func refs(n node) []string {
	switch n := n.(type) {
	case refNode:
		return []string{string(n)}
	case negNode:
		return refs(n.x)
	case binaryNode:
		return append(refs(n.l), refs(n.r)...)
	case callNode:
		var out []string
		for _, a := range n.args {
			out = append(out, refs(a)...)
		}
		return out
	case arrayNode:
		var out []string
		for _, e := range n.elems {
			out = append(out, refs(e)...)
		}
		return out
	}
	return nil
}

// Values of metric math: a scalar (S), a time series (TS) or an array of them (TS[]).
type valueKind int

const (
	scalarValue valueKind = iota
	seriesValue
	arrayValue
)

type value struct {
	kind  valueKind
	num   float64 // NaN: no value (e.g. AVG of an empty series)
	ts    series
	array []series
}

func scalar(v float64) value { return value{kind: scalarValue, num: v} }
func ts(s series) value      { return value{kind: seriesValue, ts: s} }

// evaluator evaluates expressions over one grid; resolve returns a query's series.
type evaluator struct {
	n       int // periods in the grid
	resolve func(id string) (series, error)
}

func (ev *evaluator) eval(n node) (value, error) {
	switch n := n.(type) {
	case numberNode:
		return scalar(float64(n)), nil
	case refNode:
		s, err := ev.resolve(string(n))
		if err != nil {
			return value{}, err
		}
		return ts(s), nil
	case negNode:
		x, err := ev.eval(n.x)
		if err != nil {
			return value{}, err
		}
		return ev.arith('-', scalar(0), x)
	case binaryNode:
		l, err := ev.eval(n.l)
		if err != nil {
			return value{}, err
		}
		r, err := ev.eval(n.r)
		if err != nil {
			return value{}, err
		}
		return ev.arith(n.op, l, r)
	case arrayNode:
		return ev.array(n)
	case callNode:
		return ev.call(n)
	}
	return value{}, fmt.Errorf("cwemu: unknown expression node %T", n)
}

func (ev *evaluator) array(n arrayNode) (value, error) {
	out := value{kind: arrayValue}
	for _, e := range n.elems {
		v, err := ev.eval(e)
		if err != nil {
			return value{}, err
		}
		switch v.kind {
		case seriesValue:
			out.array = append(out.array, v.ts)
		case arrayValue:
			out.array = append(out.array, v.array...)
		default:
			return value{}, unsupportedExpr("a number inside an array of time series")
		}
	}
	return out, nil
}

// arith applies a basic arithmetic operator. "Missing values in a time series are
// treated as 0. If the value of a data point causes a function to attempt to divide by
// zero, the data point is dropped." (the guide's basic arithmetic functions). A period
// missing from every operand stays missing.
func (ev *evaluator) arith(op byte, l, r value) (value, error) {
	apply := func(a, b float64) float64 {
		switch op {
		case '+':
			return a + b
		case '-':
			return a - b
		case '*':
			return a * b
		case '/':
			if b == 0 {
				return math.NaN()
			}
			return a / b
		}
		return math.Pow(a, b)
	}
	switch {
	case l.kind == scalarValue && r.kind == scalarValue:
		return scalar(apply(l.num, r.num)), nil
	case l.kind == arrayValue && r.kind == arrayValue:
		return value{}, unsupportedExpr("arithmetic between two arrays of time series")
	case l.kind == arrayValue || r.kind == arrayValue:
		arr, other, arrLeft := l, r, true
		if r.kind == arrayValue {
			arr, other, arrLeft = r, l, false
		}
		out := value{kind: arrayValue}
		for _, s := range arr.array {
			a, b := ts(s), other
			if !arrLeft {
				a, b = other, ts(s)
			}
			v, err := ev.arith(op, a, b)
			if err != nil {
				return value{}, err
			}
			out.array = append(out.array, v.ts)
		}
		return out, nil
	}
	out := newSeries(ev.n)
	for i := range ev.n {
		a, aok := pointOf(l, i)
		b, bok := pointOf(r, i)
		// With a number, the series decides which periods exist; between two series, a
		// period either has is kept, the other's missing value reading 0.
		switch {
		case l.kind == scalarValue && r.kind == seriesValue && !r.ts.ok[i],
			r.kind == scalarValue && l.kind == seriesValue && !l.ts.ok[i],
			!aok && !bok:
			continue
		}
		v := apply(a, b)
		out.vals[i], out.ok[i] = v, !math.IsNaN(v) && !math.IsInf(v, 0)
	}
	return ts(out), nil
}

// pointOf is v at period i, for a scalar or a series; a missing point reads 0 and not ok.
func pointOf(v value, i int) (float64, bool) {
	if v.kind == scalarValue {
		return v.num, !math.IsNaN(v.num)
	}
	if v.ts.ok[i] {
		return v.ts.vals[i], true
	}
	return 0, false
}

func (ev *evaluator) call(n callNode) (value, error) {
	arg, err := ev.eval(n.args[0])
	if err != nil {
		return value{}, err
	}
	if arg.kind == scalarValue {
		return value{}, badExpr("%s takes a time series or an array of time series, not a number", n.fn)
	}
	switch n.fn {
	case "ABS":
		return mapSeries(arg, func(s series) series { return s.mapped(math.Abs) }), nil
	case "FILL":
		filler, _ := constant(n.args[1])
		return mapSeries(arg, func(s series) series { return s.filled(filler) }), nil
	}
	if arg.kind == seriesValue {
		return scalar(reduce(n.fn, present(arg.ts))), nil
	}
	return ts(ev.across(n.fn, arg.array)), nil
}

// across applies SUM, AVG, MIN or MAX period by period over an array of series, giving a
// series. SUM and AVG count a missing value as 0 ("Missing values are treated as 0", the
// guide's AVG); MIN and MAX take the values present. A period missing from every series
// stays missing.
func (ev *evaluator) across(fn string, arr []series) series {
	out := newSeries(ev.n)
	for i := range ev.n {
		var vals []float64
		for _, s := range arr {
			if s.ok[i] {
				vals = append(vals, s.vals[i])
			}
		}
		if len(vals) == 0 {
			continue
		}
		if fn == "SUM" || fn == "AVG" {
			for len(vals) < len(arr) {
				vals = append(vals, 0)
			}
		}
		out.vals[i], out.ok[i] = reduce(fn, vals), true
	}
	return out
}

// reduce is SUM, AVG, MIN or MAX of values; NaN for none.
func reduce(fn string, vals []float64) float64 {
	if len(vals) == 0 {
		return math.NaN()
	}
	switch fn {
	case "MIN":
		return slices.Min(vals)
	case "MAX":
		return slices.Max(vals)
	}
	sum := 0.0
	for _, v := range vals {
		sum += v
	}
	if fn == "AVG" {
		return sum / float64(len(vals))
	}
	return sum
}

func present(s series) []float64 {
	var out []float64
	for i, ok := range s.ok {
		if ok {
			out = append(out, s.vals[i])
		}
	}
	return out
}

func mapSeries(v value, f func(series) series) value {
	if v.kind == seriesValue {
		return ts(f(v.ts))
	}
	out := value{kind: arrayValue}
	for _, s := range v.array {
		out.array = append(out.array, f(s))
	}
	return out
}

func (s series) mapped(f func(float64) float64) series {
	out := newSeries(len(s.vals))
	for i := range s.vals {
		if s.ok[i] {
			out.vals[i], out.ok[i] = f(s.vals[i]), true
		}
	}
	return out
}

// filled fills every missing period of the range with v (the guide's FILL(m1, 10)).
func (s series) filled(v float64) series {
	out := newSeries(len(s.vals))
	for i := range s.vals {
		out.vals[i], out.ok[i] = s.vals[i], true
		if !s.ok[i] {
			out.vals[i] = v
		}
	}
	return out
}
