package cwemu

import "testing"

// Precedence and associativity of metric math, worked out by hand on numbers: * and /
// before + and -, both left-associative; ^ before unary minus and right-associative.
func TestMetricMathPrecedence(t *testing.T) {
	tests := []struct {
		expr string
		want float64
	}{
		{"1 + 2 * 3", 7},
		{"(1 + 2) * 3", 9},
		{"10 - 2 - 3", 5},
		{"8 / 2 / 2", 2},
		{"-2 ^ 2", -4},
		{"2 ^ 3 ^ 2", 512},
		{"1e3 / 4", 250},
		{"2.5E-1 * 4", 1},
		{"1.5e+2 - -50", 200},
	}
	for _, tt := range tests {
		n, err := parseExpression(tt.expr)
		if err != nil {
			t.Errorf("%s: %v", tt.expr, err)
			continue
		}
		v, err := (&evaluator{}).eval(n)
		if err != nil || v.kind != scalarValue || v.num != tt.want {
			t.Errorf("%s = %+v (%v), want %v", tt.expr, v, err, tt.want)
		}
	}
	for _, bad := range []string{"1e", "1 2", "(1", "1 +", "[1,", ".", "m1 m2"} {
		if _, err := parseExpression(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}
