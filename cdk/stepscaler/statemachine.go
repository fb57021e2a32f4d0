package stepscaler

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
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/stepscaler/stepscaler/internal/deploy"
)

// placeholderPattern matches a DefinitionSubstitutions placeholder, ${Name}.
var placeholderPattern = regexp.MustCompile(`\$\{([^}]*)\}`)

// placeholders lists the distinct ${...} placeholders of an ASL document, sorted.
func placeholders(asl string) []string {
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
	for _, p := range placeholders(string(data)) {
		if !slices.Contains(known, p) {
			missing = append(missing, "${"+p+"}")
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("state machine definition %s has placeholders the stack does not substitute: %s (it substitutes ${%s})",
			path, strings.Join(missing, ", "), strings.Join(known, "}, ${"))
	}
	if err := checkTaskTimeouts(data); err != nil {
		return nil, fmt.Errorf("state machine definition %s: %w", path, err)
	}
	return &definition{path: path, body: string(data)}, nil
}

// checkTaskTimeouts requires every Task that invokes one of the stack's task functions to
// set a TimeoutSeconds longer than that function's own timeout. A function that runs out
// of time fails its invocation, which reaches the state machine as Lambda.Unknown (the
// ASL retries it); a Task timeout at or below the function's would cut the invocation
// short as States.Timeout first, and a function timeout could never be told apart.
func checkTaskTimeouts(asl []byte) error {
	var doc map[string]any
	if err := json.Unmarshal(asl, &doc); err != nil {
		return err
	}
	byPlaceholder := make(map[string]taskSpec, len(taskSpecs))
	for _, s := range taskSpecs {
		byPlaceholder["${"+placeholderFor(s)+"}"] = s
	}
	var problems []string
	for name, st := range taskStates(doc) {
		resource, _ := st["Resource"].(string)
		spec, ok := byPlaceholder[resource]
		if !ok {
			continue
		}
		timeout, ok := st["TimeoutSeconds"].(float64)
		own := deploy.Timeout(spec.name).Seconds()
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("Task %q (%s) has no TimeoutSeconds; it needs one above the function's %gs", name, spec.name, own))
		case timeout <= own:
			problems = append(problems, fmt.Sprintf("Task %q (%s) times out after %gs, not after the function's own %gs timeout", name, spec.name, timeout, own))
		}
	}
	if len(problems) > 0 {
		slices.Sort(problems)
		return fmt.Errorf("task timeouts: %s", strings.Join(problems, "; "))
	}
	return nil
}

// taskStates is every Task state of an ASL document by name, including those in Parallel
// branches and Map item processors.
func taskStates(doc map[string]any) map[string]map[string]any {
	out := map[string]map[string]any{}
	var walk func(machine map[string]any)
	walk = func(machine map[string]any) {
		states, _ := machine["States"].(map[string]any)
		for name, v := range states {
			st, _ := v.(map[string]any)
			if st == nil {
				continue
			}
			if st["Type"] == "Task" {
				out[name] = st
			}
			if branches, ok := st["Branches"].([]any); ok {
				for _, b := range branches {
					if m, ok := b.(map[string]any); ok {
						walk(m)
					}
				}
			}
			for _, key := range []string{"Iterator", "ItemProcessor"} {
				if m, ok := st[key].(map[string]any); ok {
					walk(m)
				}
			}
		}
	}
	walk(doc)
	return out
}

// newStateMachine is the Standard workflow defined by the ASL file, with each task
// function's ARN substituted for its placeholder; it logs every event, with execution data,
// to its own log group and traces with X-Ray.
//
// The definition is inlined (DefinitionBody_FromString) rather than uploaded as a file
// asset (FromFile): the template then shows the exact definition CloudFormation deploys,
// tests read it from the template, and deployment needs no S3 upload for it. A definition
// is a few kilobytes, far below the template size limit.
func newStateMachine(scope constructs.Construct, n names, def *definition, tasks map[string]goFunction) awsstepfunctions.StateMachine {
	// Step Functions delivers logs through CloudWatch Logs' vended-log delivery; a name
	// under /aws/vendedlogs/ keeps the log group's resource policy from growing per group.
	// The name is unique as n's names are: /aws/vendedlogs/states/<stack>[-<path>]-scale.
	name := []*string{jsii.String("/aws/vendedlogs/states/"), n.prefix[0]}
	for _, p := range n.prefix[1:] {
		name = append(name, jsii.String("-"+*p))
	}
	logs := awslogs.NewLogGroup(scope, jsii.String("StateMachineLogs"), &awslogs.LogGroupProps{
		LogGroupName:  join("", append(name, jsii.String("-scale"))...),
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
