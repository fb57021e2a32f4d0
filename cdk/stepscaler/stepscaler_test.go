package stepscaler

import (
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// TestNewRefusesInvalidProps: every invalid prop is refused with a message naming it, and
// nothing is added to the scope.
func TestNewRefusesInvalidProps(t *testing.T) {
	synthesized(t) // shares the jsii runtime
	example := repoFile(t, exampleConfig)
	for _, tt := range []struct {
		name  string
		props *Props
		want  string
	}{
		{"no props", nil, "props are required"},
		{"no configuration", &Props{SourceDir: fixture.root}, "configuration is missing"},
		{"both configurations", &Props{ConfigFile: example, Config: &Config{}, SourceDir: fixture.root}, "not both"},
		{"no such file", &Props{ConfigFile: "no-such.json", SourceDir: fixture.root}, "no-such.json"},
		{"ECS share", &Props{ConfigFile: example, ECSAPIShare: 0.01, SourceDir: fixture.root}, "ECS API share"},
		{"operator email", &Props{ConfigFile: example, Operator: Operator{Emails: []string{"oncall"}}, SourceDir: fixture.root}, `"oncall" is not an email address`},
		{"operator topic", &Props{ConfigFile: example, Operator: Operator{TopicArn: "arn:aws:sqs:us-east-1:123456789012:q"}, SourceDir: fixture.root}, "not an SNS topic ARN"},
		{"deployment quoted", &Props{ConfigFile: example, Deployment: `prod "blue"`, SourceDir: fixture.root}, "deployment name"},
		{"deployment not ASCII", &Props{ConfigFile: example, Deployment: "prod-ä", SourceDir: fixture.root}, "deployment name"},
		{"source without the definition", &Props{ConfigFile: example, SourceDir: t.TempDir()}, "state machine definition"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(t.TempDir())})
			st := awscdk.NewStack(app, jsii.String("Team"), nil)
			s, err := New(st, "Scaler", tt.props)
			if err == nil || s != nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New = %v, %v; want an error saying %q", s, err, tt.want)
			}
			if n := len(*st.Node().Children()); n != 0 {
				t.Errorf("the stack has %d children after a refused New", n)
			}
		})
	}
}

// TestDefaultDeployment: the stack's name, then the construct's path below it; IDs
// "Default" are left out, and characters a dashboard search could not quote replaced.
func TestDefaultDeployment(t *testing.T) {
	synthesized(t)
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(t.TempDir())})
	shop := awscdk.NewStack(app, jsii.String("Shop"), &awscdk.StackProps{StackName: jsii.String("shop-prod")})
	other := awscdk.NewStack(app, jsii.String("Other"), nil)
	nested := constructs.NewConstruct(shop, jsii.String("Scaling"))
	for _, tt := range []struct {
		scope constructs.Construct
		id    string
		want  string
	}{
		{shop, "Scaler", "shop-prod/Scaler"},
		{shop, "Default", "shop-prod"},
		{nested, "Web\"Tier", "shop-prod/Scaling/Web-Tier"},
		{other, "Scaler", "Other/Scaler"},
	} {
		got, err := defaultDeployment(tt.scope, tt.id)
		if err != nil || got != tt.want {
			t.Errorf("defaultDeployment(%s) = %q, %v; want %q", tt.id, got, err, tt.want)
		}
		if err := checkName(got); err != nil {
			t.Errorf("%q: %v", got, err)
		}
	}
}

// TestStepscalerIsAScope: a *Stepscaler is a construct of its own, registered with jsii,
// so a team can create constructs under it (a jsii object is found by its registration,
// not by what a Go struct embeds).
func TestStepscalerIsAScope(t *testing.T) {
	synthesized(t)
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(t.TempDir()), Context: &map[string]any{"aws:cdk:bundling-stacks": []any{}}})
	st := awscdk.NewStack(app, jsii.String("Team"), nil)
	sc, err := New(st, "Scaler", &Props{ConfigFile: repoFile(t, exampleConfig), SourceDir: fixture.root})
	if err != nil {
		t.Fatal(err)
	}
	q := awssqs.NewQueue(sc, jsii.String("Extra"), nil)
	if got := *q.Node().Path(); got != "Team/Scaler/Extra" {
		t.Errorf("a queue under the construct has the path %s, want Team/Scaler/Extra", got)
	}
	if got := *awscdk.Stack_Of(sc).StackName(); got != "Team" {
		t.Errorf("the construct's stack is %s", got)
	}
	if sc.Deployment() != "Team/Scaler" || sc.Topic() == nil || sc.StateMachine() == nil || sc.Table() == nil || sc.Dashboard() == nil ||
		sc.StarterFailureQueue() == nil || sc.EvaluationFailureQueue() == nil || sc.EvaluationSchedule() == nil || sc.EvaluationScheduleGroup() == nil {
		t.Errorf("the construct does not expose what it made: deployment %q", sc.Deployment())
	}
	if sc.OperatorTopic() != nil {
		t.Error("an operator topic without an operator")
	}
}
