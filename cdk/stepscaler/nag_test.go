package stepscaler

import (
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
)

// TestNoUnsuppressedNagFindings fails on any AwsSolutions error or warning that no
// suppression covers.
func TestNoUnsuppressedNagFindings(t *testing.T) {
	st, _ := synthesized(t)
	checkNoUnsuppressedNagFindings(t, st)
}

func checkNoUnsuppressedNagFindings(t *testing.T, st awscdk.Stack) {
	t.Helper()
	ann := assertions.Annotations_FromStack(st)
	match := assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-.*"))
	for _, m := range *ann.FindError(jsii.String("*"), match) {
		t.Errorf("cdk-nag error at %s: %v", *m.Id, firstLine(m.Entry.Data))
	}
	for _, m := range *ann.FindWarning(jsii.String("*"), match) {
		t.Errorf("cdk-nag warning at %s: %v", *m.Id, firstLine(m.Entry.Data))
	}
}

// TestEverySuppressionHasAReason reads the suppressions cdk-nag records in the template.
func TestEverySuppressionHasAReason(t *testing.T) {
	_, tmpl := synthesized(t)
	n := 0
	for id, r := range tmpl["Resources"].(map[string]any) {
		md, _ := r.(map[string]any)["Metadata"].(map[string]any)
		nag, _ := md["cdk_nag"].(map[string]any)
		rules, _ := nag["rules_to_suppress"].([]any)
		for _, x := range rules {
			n++
			rule := x.(map[string]any)
			reason, _ := rule["reason"].(string)
			if len(strings.TrimSpace(reason)) < 40 {
				t.Errorf("%s: suppression of %v has no real reason: %q", id, rule["id"], reason)
			}
			if rule["id"] == "AwsSolutions-IAM5" {
				if a := strs(rule["applies_to"]); len(a) != 1 || a[0] != "Resource::*" {
					t.Errorf("%s: IAM5 suppression applies to %v, want only Resource::*", id, rule["applies_to"])
				}
			}
		}
	}
	if n == 0 {
		t.Error("no suppression found; the template should record the IAM5 and SQS3 ones")
	}
	t.Logf("%d resources, %d cdk-nag suppressions", len(tmpl["Resources"].(map[string]any)), n)
}

func firstLine(v any) string {
	s, _ := v.(string)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
