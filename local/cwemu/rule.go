package cwemu

import (
	"fmt"
	"slices"
	"strings"

	"github.com/stepscaler/stepscaler/internal/alarmeval"
)

// A composite alarm's AlarmRule, as the PutCompositeAlarm API Reference defines it:
// the functions ALARM("name or ARN"), OK(...) and INSUFFICIENT_DATA(...), true when the
// named alarm is in that state; TRUE and FALSE; the operators AND, OR and NOT; and
// parentheses. Names may be quoted or not. The reference gives no precedence between
// AND and OR; the emulator applies the usual one (NOT, then AND, then OR). AT_LEAST,
// documented in the User Guide, is refused as unsupported.

// ruleNode is a parsed alarm rule.
type ruleNode interface {
	eval(state func(ref string) alarmeval.State) bool
}

type (
	ruleConst bool
	ruleState struct {
		state alarmeval.State
		ref   string // a name or an ARN, as written
	}
	ruleNot struct{ x ruleNode }
	ruleAnd struct{ l, r ruleNode }
	ruleOr  struct{ l, r ruleNode }
)

func (c ruleConst) eval(func(string) alarmeval.State) bool { return bool(c) }
func (s ruleState) eval(state func(string) alarmeval.State) bool {
	return state(s.ref) == s.state
}
func (n ruleNot) eval(state func(string) alarmeval.State) bool { return !n.x.eval(state) }
func (a ruleAnd) eval(state func(string) alarmeval.State) bool {
	return a.l.eval(state) && a.r.eval(state)
}
func (o ruleOr) eval(state func(string) alarmeval.State) bool {
	return o.l.eval(state) || o.r.eval(state)
}

// Limits of an AlarmRule: "The AlarmRule can specify as many as 100 "children" alarms.
// The AlarmRule expression can have as many as 500 elements. Elements are child alarms,
// TRUE or FALSE statements, and parentheses." (PutCompositeAlarm).
const (
	maxRuleChildren = 100
	maxRuleElements = 500
	maxRuleLength   = 10240
)

// ruleError is a problem with a rule; unsupported marks a construct the emulator does
// not evaluate.
type ruleError struct {
	msg         string
	unsupported bool
}

func (e *ruleError) Error() string { return e.msg }

// parsedRule is a rule with the alarms it refers to, in order of first mention.
type parsedRule struct {
	root     ruleNode
	children []string
}

func parseRule(src string) (parsedRule, error) {
	p := &ruleParser{src: src}
	root, err := p.or()
	if err != nil {
		return parsedRule{}, err
	}
	if p.skipSpace(); p.pos < len(p.src) {
		return parsedRule{}, p.errorf("unexpected %q", p.rest())
	}
	switch {
	case len(p.children) > maxRuleChildren:
		return parsedRule{}, p.errorf("the rule names %d alarms; at most %d are allowed", len(p.children), maxRuleChildren)
	case p.elements > maxRuleElements:
		return parsedRule{}, p.errorf("the rule has %d elements; at most %d are allowed", p.elements, maxRuleElements)
	}
	return parsedRule{root: root, children: p.children}, nil
}

type ruleParser struct {
	src      string
	pos      int
	children []string
	elements int
}

func (p *ruleParser) errorf(format string, args ...any) error {
	return &ruleError{msg: fmt.Sprintf(format, args...)}
}

func (p *ruleParser) rest() string {
	r := p.src[p.pos:]
	if len(r) > 20 {
		r = r[:20] + "..."
	}
	return r
}

func (p *ruleParser) skipSpace() {
	for p.pos < len(p.src) && strings.ContainsRune(" \t\r\n", rune(p.src[p.pos])) {
		p.pos++
	}
}

// keyword consumes word if it comes next as a whole word.
func (p *ruleParser) keyword(word string) bool {
	p.skipSpace()
	if !strings.HasPrefix(p.src[p.pos:], word) {
		return false
	}
	end := p.pos + len(word)
	if end < len(p.src) && (isRuleWordByte(p.src[end])) {
		return false
	}
	p.pos = end
	return true
}

func isRuleWordByte(c byte) bool {
	return c == '_' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
}

func (p *ruleParser) or() (ruleNode, error) {
	l, err := p.and()
	if err != nil {
		return nil, err
	}
	for p.keyword("OR") {
		r, err := p.and()
		if err != nil {
			return nil, err
		}
		l = ruleOr{l, r}
	}
	return l, nil
}

func (p *ruleParser) and() (ruleNode, error) {
	l, err := p.not()
	if err != nil {
		return nil, err
	}
	for p.keyword("AND") {
		r, err := p.not()
		if err != nil {
			return nil, err
		}
		l = ruleAnd{l, r}
	}
	return l, nil
}

func (p *ruleParser) not() (ruleNode, error) {
	if p.keyword("NOT") {
		x, err := p.not()
		if err != nil {
			return nil, err
		}
		return ruleNot{x}, nil
	}
	return p.primary()
}

var ruleFunctions = map[string]alarmeval.State{
	"ALARM":             alarmeval.Alarm,
	"OK":                alarmeval.OK,
	"INSUFFICIENT_DATA": alarmeval.InsufficientData,
}

func (p *ruleParser) primary() (ruleNode, error) {
	p.skipSpace()
	switch {
	case p.pos >= len(p.src):
		return nil, p.errorf("the rule ends where a function, TRUE, FALSE or ( was expected")
	case p.src[p.pos] == '(':
		p.pos++
		p.elements += 2
		n, err := p.or()
		if err != nil {
			return nil, err
		}
		if p.skipSpace(); p.pos >= len(p.src) || p.src[p.pos] != ')' {
			return nil, p.errorf("missing )")
		}
		p.pos++
		return n, nil
	case p.keyword("TRUE"):
		p.elements++
		return ruleConst(true), nil
	case p.keyword("FALSE"):
		p.elements++
		return ruleConst(false), nil
	case p.keyword("AT_LEAST"):
		return nil, &ruleError{msg: "the AT_LEAST function", unsupported: true}
	}
	for fn, state := range ruleFunctions {
		if p.keyword(fn) {
			ref, err := p.argument(fn)
			if err != nil {
				return nil, err
			}
			p.elements++
			if !slices.Contains(p.children, ref) {
				p.children = append(p.children, ref)
			}
			return ruleState{state: state, ref: ref}, nil
		}
	}
	return nil, p.errorf("unexpected %q: expected ALARM(), OK(), INSUFFICIENT_DATA(), TRUE, FALSE, NOT or (", p.rest())
}

// argument reads a function's argument: "quoted" or bare up to the closing parenthesis.
func (p *ruleParser) argument(fn string) (string, error) {
	if p.skipSpace(); p.pos >= len(p.src) || p.src[p.pos] != '(' {
		return "", p.errorf("%s must be followed by (", fn)
	}
	p.pos++
	p.skipSpace()
	var ref string
	if p.pos < len(p.src) && p.src[p.pos] == '"' {
		end := strings.IndexByte(p.src[p.pos+1:], '"')
		if end < 0 {
			return "", p.errorf("unterminated quoted alarm name in %s()", fn)
		}
		ref = p.src[p.pos+1 : p.pos+1+end]
		p.pos += end + 2
		p.skipSpace()
	} else {
		end := strings.IndexByte(p.src[p.pos:], ')')
		if end < 0 {
			return "", p.errorf("missing ) after %s(", fn)
		}
		ref = strings.TrimSpace(p.src[p.pos : p.pos+end])
		p.pos += end
	}
	if p.pos >= len(p.src) || p.src[p.pos] != ')' {
		return "", p.errorf("missing ) after %s(", fn)
	}
	p.pos++
	if ref == "" {
		return "", p.errorf("%s() names no alarm", fn)
	}
	return ref, nil
}
