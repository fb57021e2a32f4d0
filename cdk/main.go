// Command cdk is Stepscaler's standalone AWS CDK app, built on the construct in
// cdk/stepscaler. The CDK CLI runs it through cdk.json ("go run ./cdk" from the
// repository root): `npx cdk synth` writes the CloudFormation template to cdk.out and
// `npx cdk deploy` deploys it. docs/deploy.md walks through both.
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
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/stepscaler/stepscaler/cdk/stepscaler"
)

func main() {
	os.Exit(run())
}

func run() int {
	defer jsii.Close()

	app := awscdk.NewApp(nil)
	if _, err := build(app); err != nil {
		fmt.Fprintf(os.Stderr, "stepscaler: %v\n", err)
		return 1
	}
	app.Synth(nil)
	return 0
}

// build adds the Stepscaler stack, as the app's context configures it, to app, with the
// repository it runs in as the functions' source, and applies cdk-nag's AwsSolutions
// checks to it. An invalid configuration is returned, unchanged, before anything is added.
func build(app awscdk.App) (awscdk.Stack, error) {
	root, err := stepscaler.LocateSource()
	if err != nil {
		return nil, err
	}
	props, err := stepscaler.PropsFromContext(app.Node(), root)
	if err != nil {
		return nil, err
	}
	props.SourceDir = root
	st, _, err := stepscaler.NewStack(app, stepscaler.StackName, props)
	if err != nil {
		return nil, err
	}
	awscdk.Aspects_Of(app).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
	return st, nil
}
