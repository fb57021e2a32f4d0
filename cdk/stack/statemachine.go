package stack

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	"github.com/aws/jsii-runtime-go"
)

// placeholderPattern matches a DefinitionSubstitutions placeholder, ${Name}.
var placeholderPattern = regexp.MustCompile(`\$\{([^}]*)\}`)

// Placeholders lists the distinct ${...} placeholders of an ASL document, sorted.
func Placeholders(asl string) []string {
	var names []string
	for _, m := range placeholderPattern.FindAllStringSubmatch(asl, -1) {
		if !slices.Contains(names, m[1]) {
			names = append(names, m[1])
		}
	}
	slices.Sort(names)
	return names
}

// placeholderFor is the ASL placeholder that stands for a task function's ARN.
func placeholderFor(s taskSpec) string { return s.id + "FunctionArn" }

type definition struct {
	path string
	body string
}

// readDefinition reads the ASL file and checks that it is JSON and that the stack
// substitutes every placeholder in it, so a renamed or added task fails synth rather than
// the deployment.
func readDefinition(path string) (*definition, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read state machine definition: %w", err)
	}
	if !json.Valid(data) {
		return nil, fmt.Errorf("state machine definition %s is not valid JSON", path)
	}
	known := make([]string, 0, len(taskSpecs))
	for _, s := range taskSpecs {
		known = append(known, placeholderFor(s))
	}
	var missing []string
	for _, p := range Placeholders(string(data)) {
		if !slices.Contains(known, p) {
			missing = append(missing, "${"+p+"}")
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("state machine definition %s has placeholders the stack does not substitute: %s (it substitutes ${%s})",
			path, strings.Join(missing, ", "), strings.Join(known, "}, ${"))
	}
	return &definition{path: path, body: string(data)}, nil
}

// newStateMachine is the Standard workflow defined by the ASL file, with each task
// function's ARN substituted for its placeholder; it logs every event, with execution data,
// to its own log group and traces with X-Ray.
//
// The definition is inlined (DefinitionBody_FromString) rather than uploaded as a file
// asset (FromFile): the template then shows the exact definition CloudFormation deploys,
// tests read it from the template, and deployment needs no S3 upload for it. A definition
// is a few kilobytes, far below the template size limit.
func newStateMachine(scope awscdk.Stack, def *definition, tasks map[string]goFunction) awsstepfunctions.StateMachine {
	// Step Functions delivers logs through CloudWatch Logs' vended-log delivery; a name
	// under /aws/vendedlogs/ keeps the log group's resource policy from growing per group.
	logs := awslogs.NewLogGroup(scope, jsii.String("StateMachineLogs"), &awslogs.LogGroupProps{
		LogGroupName: awscdk.Fn_Join(jsii.String(""), &[]*string{
			jsii.String("/aws/vendedlogs/states/"), awscdk.Aws_STACK_NAME(), jsii.String("-scale"),
		}),
		Retention:     logRetention,
		RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	})

	subs := map[string]*string{}
	invoke := make([]*string, 0, len(taskSpecs))
	for _, s := range taskSpecs {
		arn := tasks[s.name].fn.FunctionArn()
		subs[placeholderFor(s)] = arn
		invoke = append(invoke, arn)
	}
	sm := awsstepfunctions.NewStateMachine(scope, jsii.String("StateMachine"), &awsstepfunctions.StateMachineProps{
		DefinitionBody:          awsstepfunctions.DefinitionBody_FromString(jsii.String(def.body)),
		DefinitionSubstitutions: &subs,
		StateMachineType:        awsstepfunctions.StateMachineType_STANDARD,
		Logs: &awsstepfunctions.LogOptions{
			Destination:          logs,
			Level:                awsstepfunctions.LogLevel_ALL,
			IncludeExecutionData: jsii.Bool(true),
		},
		TracingEnabled: jsii.Bool(true),
	})
	// The unqualified function ARNs only: the definition invokes no version or alias, so no
	// "<arn>:*" grant.
	sm.AddToRolePolicy(allow([]string{"lambda:InvokeFunction"}, invoke...))
	return sm
}
