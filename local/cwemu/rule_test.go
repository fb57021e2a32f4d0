package cwemu

import (
	"errors"
	"slices"
	"testing"

	"github.com/stepscaler/stepscaler/internal/alarmeval"
)

func TestRuleEvaluation(t *testing.T) {
	states := map[string]alarmeval.State{
		"a": alarmeval.Alarm, "b": alarmeval.OK, "c": alarmeval.InsufficientData,
		"name with spaces": alarmeval.Alarm,
	}
	lookup := func(ref string) alarmeval.State { return states[ref] }
	tests := []struct {
		rule string
		want bool
	}{
		{"ALARM(a)", true},
		{"ALARM(b)", false},
		{`OK("b")`, true},
		{"INSUFFICIENT_DATA(c)", true},
		{"INSUFFICIENT_DATA(a)", false},
		{"NOT ALARM(a)", false},
		{"NOT NOT ALARM(a)", true},
		{"ALARM(a) AND OK(b)", true},
		{"ALARM(a) AND ALARM(b)", false},
		{"ALARM(b) OR ALARM(a)", true},
		// NOT binds tighter than AND, and AND tighter than OR.
		{"ALARM(b) AND ALARM(b) OR ALARM(a)", true},
		{"ALARM(b) AND (ALARM(b) OR ALARM(a))", false},
		{"NOT ALARM(a) OR OK(b)", true},
		{"TRUE", true},
		{"FALSE OR FALSE", false},
		{"( TRUE ) AND NOT ( FALSE )", true},
		{"ALARM( name with spaces )", true},
		{`ALARM("name with spaces")`, true},
	}
	for _, tt := range tests {
		r, err := parseRule(tt.rule)
		if err != nil {
			t.Errorf("%s: %v", tt.rule, err)
			continue
		}
		if got := r.root.eval(lookup); got != tt.want {
			t.Errorf("%s = %v, want %v", tt.rule, got, tt.want)
		}
	}
}

func TestRuleChildren(t *testing.T) {
	r, err := parseRule(`ALARM(a) OR OK("b") AND NOT ALARM(a) OR INSUFFICIENT_DATA(arn:aws:cloudwatch:us-east-1:123456789012:alarm:c)`)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"a", "b", "arn:aws:cloudwatch:us-east-1:123456789012:alarm:c"}
	if !slices.Equal(r.children, want) {
		t.Errorf("children %v, want %v", r.children, want)
	}
}

func TestRuleErrors(t *testing.T) {
	tests := []struct {
		rule        string
		unsupported bool
	}{
		{"", false},
		{"ALARM(a) AND", false},
		{"ALARM a", false},
		{"alarm(a)", false},
		{"ALARM(a) ALARM(b)", false},
		{`ALARM("a)`, false},
		{"AT_LEAST(2, ALARM, (a, b, c))", true},
	}
	for _, tt := range tests {
		_, err := parseRule(tt.rule)
		var re *ruleError
		if !errors.As(err, &re) || re.unsupported != tt.unsupported {
			t.Errorf("%q: error %v, want a rule error (unsupported %v)", tt.rule, err, tt.unsupported)
		}
	}
}
