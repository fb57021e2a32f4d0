package cwemu_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/stepscaler/stepscaler/local/cwemu"
)

func metricNames(as []types.MetricAlarm) []string {
	var out []string
	for _, a := range as {
		out = append(out, aws.ToString(a.AlarmName))
	}
	return out
}

func compositeNames(as []types.CompositeAlarm) []string {
	var out []string
	for _, a := range as {
		out = append(out, aws.ToString(a.AlarmName))
	}
	return out
}

// Seven alarms, three a page: names in order, 3 + 3 + 1, and the last page has no token.
func TestDescribeAlarmsPaginates(t *testing.T) {
	e := start(t, cwemu.Options{})
	for _, name := range []string{"g", "c", "a", "e", "b", "f", "d"} {
		e.putAlarm(t, cpuAlarm(name))
	}
	var pages [][]string
	var token *string
	for {
		out, err := e.client.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{MaxRecords: aws.Int32(3), NextToken: token})
		if err != nil {
			t.Fatalf("DescribeAlarms page %d: %v", len(pages)+1, err)
		}
		pages = append(pages, metricNames(out.MetricAlarms))
		if token = out.NextToken; token == nil {
			break
		}
		if len(pages) > 5 {
			t.Fatal("pagination does not end")
		}
	}
	if got := fmt.Sprint(pages); got != "[[a b c] [d e f] [g]]" {
		t.Errorf("pages %s, want [[a b c] [d e f] [g]]", got)
	}
}

// Without MaxRecords a page holds 50 alarms; the SDK's paginator collects them all.
func TestDescribeAlarmsDefaultPageAndPaginator(t *testing.T) {
	e := start(t, cwemu.Options{})
	for i := range 55 {
		e.putAlarm(t, cpuAlarm(fmt.Sprintf("alarm-%02d", i)))
	}
	first, err := e.client.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{})
	if err != nil {
		t.Fatalf("DescribeAlarms: %v", err)
	}
	if len(first.MetricAlarms) != 50 || first.NextToken == nil {
		t.Errorf("first page: %d alarms, token %v; want 50 and a token", len(first.MetricAlarms), first.NextToken)
	}
	var all []string
	p := cloudwatch.NewDescribeAlarmsPaginator(e.client, &cloudwatch.DescribeAlarmsInput{})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatalf("paginator: %v", err)
		}
		all = append(all, metricNames(out.MetricAlarms)...)
	}
	if len(all) != 55 || all[0] != "alarm-00" || all[54] != "alarm-54" || !slices.IsSorted(all) {
		t.Errorf("paginator collected %d alarms: %v", len(all), all)
	}
}

// "If you omit this parameter [AlarmTypes], only metric alarms are returned, even if
// composite alarms or log alarms exist in the account." (DescribeAlarms)
func TestDescribeAlarmsTypes(t *testing.T) {
	e := start(t, cwemu.Options{})
	e.putAlarm(t, cpuAlarm("child"))
	if _, err := e.client.PutCompositeAlarm(ctx, &cloudwatch.PutCompositeAlarmInput{AlarmName: aws.String("parent"), AlarmRule: aws.String("ALARM(child)")}); err != nil {
		t.Fatalf("PutCompositeAlarm: %v", err)
	}
	tests := []struct {
		types              []types.AlarmType
		metric, composites string
	}{
		{nil, "child", ""},
		{[]types.AlarmType{types.AlarmTypeMetricAlarm}, "child", ""},
		{[]types.AlarmType{types.AlarmTypeCompositeAlarm}, "", "parent"},
		{[]types.AlarmType{types.AlarmTypeMetricAlarm, types.AlarmTypeCompositeAlarm}, "child", "parent"},
		{[]types.AlarmType{types.AlarmTypeLogAlarm}, "", ""},
	}
	for _, tt := range tests {
		out, err := e.client.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmTypes: tt.types})
		if err != nil {
			t.Fatalf("DescribeAlarms %v: %v", tt.types, err)
		}
		if m, c := strings.Join(metricNames(out.MetricAlarms), ","), strings.Join(compositeNames(out.CompositeAlarms), ","); m != tt.metric || c != tt.composites {
			t.Errorf("AlarmTypes %v: metric %q composite %q, want %q %q", tt.types, m, c, tt.metric, tt.composites)
		}
	}
}

// MaxRecords counts metric and composite alarms together, metric alarms first.
func TestDescribeAlarmsPagesAcrossKinds(t *testing.T) {
	e := start(t, cwemu.Options{})
	e.putAlarm(t, cpuAlarm("m1"))
	e.putAlarm(t, cpuAlarm("m2"))
	for _, name := range []string{"c1", "c2"} {
		if _, err := e.client.PutCompositeAlarm(ctx, &cloudwatch.PutCompositeAlarmInput{AlarmName: aws.String(name), AlarmRule: aws.String("ALARM(m1)")}); err != nil {
			t.Fatalf("PutCompositeAlarm: %v", err)
		}
	}
	in := &cloudwatch.DescribeAlarmsInput{MaxRecords: aws.Int32(3), AlarmTypes: []types.AlarmType{types.AlarmTypeCompositeAlarm, types.AlarmTypeMetricAlarm}}
	first, err := e.client.DescribeAlarms(ctx, in)
	if err != nil {
		t.Fatalf("DescribeAlarms: %v", err)
	}
	in.NextToken = first.NextToken
	second, err := e.client.DescribeAlarms(ctx, in)
	if err != nil {
		t.Fatalf("DescribeAlarms page 2: %v", err)
	}
	got := fmt.Sprint(metricNames(first.MetricAlarms), compositeNames(first.CompositeAlarms), metricNames(second.MetricAlarms), compositeNames(second.CompositeAlarms), second.NextToken == nil)
	if want := "[m1 m2] [c1] [] [c2] true"; got != want {
		t.Errorf("pages %s, want %s", got, want)
	}
}

func TestDescribeAlarmsFilters(t *testing.T) {
	e := start(t, cwemu.Options{})
	for _, name := range []string{"web-cpu", "web-mem", "api-cpu"} {
		e.putAlarm(t, cpuAlarm(name))
	}
	other := cpuAlarm("api-mem")
	other.AlarmActions = []string{"arn:aws:sns:us-east-1:123456789012:pager"}
	e.putAlarm(t, other)
	e.setState(t, "web-mem", types.StateValueAlarm, "test")
	e.setState(t, "api-cpu", types.StateValueOk, "test")

	tests := []struct {
		name string
		in   cloudwatch.DescribeAlarmsInput
		want string
	}{
		{"names", cloudwatch.DescribeAlarmsInput{AlarmNames: []string{"api-cpu", "web-cpu", "nonexistent"}}, "api-cpu,web-cpu"},
		{"prefix", cloudwatch.DescribeAlarmsInput{AlarmNamePrefix: aws.String("web-")}, "web-cpu,web-mem"},
		{"state", cloudwatch.DescribeAlarmsInput{StateValue: types.StateValueAlarm}, "web-mem"},
		{"state insufficient", cloudwatch.DescribeAlarmsInput{StateValue: types.StateValueInsufficientData}, "api-mem,web-cpu"},
		{"action prefix", cloudwatch.DescribeAlarmsInput{ActionPrefix: aws.String("arn:aws:sns:us-east-1:123456789012:pag")}, "api-mem"},
		{"prefix and state", cloudwatch.DescribeAlarmsInput{AlarmNamePrefix: aws.String("api-"), StateValue: types.StateValueOk}, "api-cpu"},
	}
	for _, tt := range tests {
		out, err := e.client.DescribeAlarms(ctx, &tt.in)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if got := strings.Join(metricNames(out.MetricAlarms), ","); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestDescribeAlarmsValidation(t *testing.T) {
	e := start(t, cwemu.Options{})
	var names []string
	for i := range 101 {
		names = append(names, fmt.Sprintf("a%d", i))
	}
	var (
		validation *types.ValidationException
		badToken   *types.InvalidNextToken
		combo      *types.InvalidParameterCombinationException
	)
	_, err := e.client.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: names})
	wantAPIError(t, err, "ValidationError", 400, &validation)
	if err != nil && !strings.Contains(err.Error(), "at 'alarmNames' failed to satisfy constraint: Member must have length less than or equal to 100") {
		t.Errorf("101 names: %v", err)
	}

	_, err = e.client.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{MaxRecords: aws.Int32(101)})
	wantAPIError(t, err, "ValidationError", 400, &validation)
	// The message AWS returns for an out-of-range MaxRecords (boto3 issue #3475).
	if want := "1 validation error detected: Value '101' at 'maxRecords' failed to satisfy constraint: Member must have value less than or equal to 100"; err != nil && !strings.Contains(err.Error(), want) {
		t.Errorf("MaxRecords 101: %v, want %q", err, want)
	}

	_, err = e.client.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{MaxRecords: aws.Int32(0)})
	wantAPIError(t, err, "ValidationError", 400, &validation)

	_, err = e.client.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{"a"}, AlarmNamePrefix: aws.String("a")})
	wantAPIError(t, err, "InvalidParameterCombination", 400, &combo)

	_, err = e.client.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{NextToken: aws.String("not-a-token")})
	wantAPIError(t, err, "InvalidNextToken", 400, &badToken)

	_, err = e.client.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{ChildrenOfAlarmName: aws.String("a")})
	wantAPIError(t, err, "ValidationError", 400, &validation)
	if err != nil && !strings.Contains(err.Error(), "The local CloudWatch emulator does not support ChildrenOfAlarmName") {
		t.Errorf("ChildrenOfAlarmName: %v", err)
	}
}
