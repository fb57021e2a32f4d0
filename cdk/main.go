// Command cdk is Stepscaler's AWS CDK app. The CDK CLI runs it through cdk.json
// ("go run ./cdk" from the repository root): `npx cdk synth` writes the CloudFormation
// template to cdk.out and `npx cdk deploy` deploys it. docs/deploy.md walks through both.
//
// The scaling configuration comes from the context value stepscaler:config (a path relative
// to the repository root; cdk.json names config/stepscaler.json and `-c
// stepscaler:config=PATH` overrides it). An invalid configuration stops synth with the
// validation message and exit status 1.
package main

import (
	"fmt"
	"os"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/stepscaler/stepscaler/cdk/stack"
)

func main() {
	os.Exit(run())
}

func run() int {
	defer jsii.Close()

	app := awscdk.NewApp(nil)
	if _, err := stack.FromApp(app); err != nil {
		fmt.Fprintf(os.Stderr, "stepscaler: %v\n", err)
		return 1
	}
	app.Synth(nil)
	return 0
}
