module example.com/sampleapp

go 1.26.8

require (
	github.com/aws/aws-cdk-go/awscdk/v2 v2.276.0
	github.com/aws/constructs-go/constructs/v10 v10.8.1
	github.com/aws/jsii-runtime-go v1.142.0
	github.com/cdklabs/cdk-nag-go/cdknag/v2 v2.38.2
	github.com/stepscaler/stepscaler v0.0.0
)

// The test that builds this app points the replacement at the repository it runs in.
replace github.com/stepscaler/stepscaler => ../../../..
