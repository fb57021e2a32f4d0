package lambdaenv

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
)

// TestAWSConfigAgreesWithTheSDK checks AWSConfig against the SDK's own loader
// (config.LoadDefaultConfig) in the environments a function can meet: the clients built
// from either configuration get the same Region, endpoint, retry settings and credentials.
func TestAWSConfigAgreesWithTheSDK(t *testing.T) {
	base := map[string]string{
		"AWS_REGION": "eu-west-2", "AWS_ACCESS_KEY_ID": "AKIDLAMBDA", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_SESSION_TOKEN": "token",
	}
	with := func(extra map[string]string) map[string]string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	tests := []struct {
		name string
		env  map[string]string
	}{
		{"as Lambda sets it", base},
		{"service endpoint", with(map[string]string{"AWS_ENDPOINT_URL_ECS": "http://127.0.0.1:4001"})},
		{"global endpoint", with(map[string]string{"AWS_ENDPOINT_URL": "http://127.0.0.1:4002"})},
		{"service endpoint wins over the global one", with(map[string]string{"AWS_ENDPOINT_URL": "http://127.0.0.1:4002", "AWS_ENDPOINT_URL_ECS": "http://127.0.0.1:4001"})},
		{"endpoints ignored", with(map[string]string{"AWS_ENDPOINT_URL_ECS": "http://127.0.0.1:4001", "AWS_ENDPOINT_URL": "http://127.0.0.1:4002", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true"})},
		{"retries", with(map[string]string{"AWS_MAX_ATTEMPTS": "1", "AWS_RETRY_MODE": "adaptive"})},
		{"default region only", with(map[string]string{"AWS_REGION": "", "AWS_DEFAULT_REGION": "us-west-2"})},
		{"no session token", with(map[string]string{"AWS_SESSION_TOKEN": ""})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Keep the machine's own AWS files and variables out of both loaders.
			none := filepath.Join(t.TempDir(), "none")
			for _, k := range []string{"AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_ACCESS_KEY", "AWS_SECRET_KEY"} {
				t.Setenv(k, "")
				os.Unsetenv(k)
			}
			t.Setenv("AWS_CONFIG_FILE", none)
			t.Setenv("AWS_SHARED_CREDENTIALS_FILE", none)
			t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
			for _, k := range []string{"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_ECS",
				"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "AWS_MAX_ATTEMPTS", "AWS_RETRY_MODE", "AWS_SESSION_TOKEN"} {
				t.Setenv(k, "")
				os.Unsetenv(k)
			}
			for k, v := range tt.env {
				if v != "" {
					t.Setenv(k, v)
				}
			}
			ours, err := AWSConfig()
			if err != nil {
				t.Fatal(err)
			}
			sdk, err := config.LoadDefaultConfig(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			a, b := ecs.NewFromConfig(ours).Options(), ecs.NewFromConfig(sdk).Options()
			if a.Region != b.Region || aws.ToString(a.BaseEndpoint) != aws.ToString(b.BaseEndpoint) ||
				a.RetryMaxAttempts != b.RetryMaxAttempts || a.RetryMode != b.RetryMode {
				t.Errorf("ECS client: ours region %q endpoint %q retries %d %q; SDK region %q endpoint %q retries %d %q",
					a.Region, aws.ToString(a.BaseEndpoint), a.RetryMaxAttempts, a.RetryMode,
					b.Region, aws.ToString(b.BaseEndpoint), b.RetryMaxAttempts, b.RetryMode)
			}
			// Another service sees only the global endpoint, in both.
			da, db := dynamodb.NewFromConfig(ours).Options(), dynamodb.NewFromConfig(sdk).Options()
			if aws.ToString(da.BaseEndpoint) != aws.ToString(db.BaseEndpoint) {
				t.Errorf("DynamoDB endpoint: ours %q, SDK %q", aws.ToString(da.BaseEndpoint), aws.ToString(db.BaseEndpoint))
			}
			ca, err := ours.Credentials.Retrieve(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			cb, err := sdk.Credentials.Retrieve(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if ca.AccessKeyID != cb.AccessKeyID || ca.SecretAccessKey != cb.SecretAccessKey || ca.SessionToken != cb.SessionToken {
				t.Errorf("credentials: ours %+v, SDK %+v", ca, cb)
			}
		})
	}
}

func TestAWSConfigRefusesAnIncompleteEnvironment(t *testing.T) {
	for _, k := range []string{"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID", "AWS_ACCESS_KEY", "AWS_SECRET_ACCESS_KEY", "AWS_SECRET_KEY", "AWS_MAX_ATTEMPTS"} {
		t.Setenv(k, "")
	}
	if _, err := AWSConfig(); err == nil {
		t.Error("no Region: want an error")
	}
	t.Setenv("AWS_REGION", "us-east-1")
	if _, err := AWSConfig(); err == nil {
		t.Error("no credentials: want an error")
	}
	t.Setenv("AWS_ACCESS_KEY_ID", "a")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "b")
	t.Setenv("AWS_MAX_ATTEMPTS", "zero")
	if _, err := AWSConfig(); err == nil {
		t.Error("AWS_MAX_ATTEMPTS=zero: want an error")
	}
}
