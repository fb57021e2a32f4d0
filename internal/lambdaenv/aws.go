package lambdaenv

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// AWSConfig is the SDK configuration a Lambda function gets from its environment: the
// Region (AWS_REGION), the execution role's credentials (AWS_ACCESS_KEY_ID,
// AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN), endpoints (AWS_ENDPOINT_URL and
// AWS_ENDPOINT_URL_<SERVICE>, unless AWS_IGNORE_CONFIGURED_ENDPOINT_URLS) and retries
// (AWS_MAX_ATTEMPTS, AWS_RETRY_MODE), read as the SDK's own loader reads them (the test
// compares the two).
//
// It does not call config.LoadDefaultConfig: that loader also links shared config files,
// SSO, STS and the instance metadata client into every binary (about 0.4 MB each), none of
// which a Lambda function uses, since Lambda hands the role's credentials over in the
// environment.
func AWSConfig() (aws.Config, error) {
	env := environment{}
	region := firstEnv("AWS_REGION", "AWS_DEFAULT_REGION")
	if region == "" {
		return aws.Config{}, errors.New("AWS configuration: AWS_REGION is not set")
	}
	key, secret := firstEnv("AWS_ACCESS_KEY_ID", "AWS_ACCESS_KEY"), firstEnv("AWS_SECRET_ACCESS_KEY", "AWS_SECRET_KEY")
	if key == "" || secret == "" {
		return aws.Config{}, errors.New("AWS configuration: no credentials in AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
	}
	cfg := aws.Config{
		Region: region,
		Credentials: aws.NewCredentialsCache(credentials.NewStaticCredentialsProvider(
			key, secret, os.Getenv("AWS_SESSION_TOKEN"))),
		ConfigSources: []any{env},
	}
	if ignore, _, _ := env.GetIgnoreConfiguredEndpoints(context.Background()); !ignore {
		if v := os.Getenv("AWS_ENDPOINT_URL"); v != "" {
			cfg.BaseEndpoint = aws.String(v)
		}
	}
	if v := os.Getenv("AWS_MAX_ATTEMPTS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return aws.Config{}, fmt.Errorf("AWS configuration: AWS_MAX_ATTEMPTS must be a positive number, got %q", v)
		}
		cfg.RetryMaxAttempts = n
	}
	if v := os.Getenv("AWS_RETRY_MODE"); v != "" {
		mode, err := aws.ParseRetryMode(v)
		if err != nil {
			return aws.Config{}, fmt.Errorf("AWS configuration: AWS_RETRY_MODE: %w", err)
		}
		cfg.RetryMode = mode
	}
	return cfg, nil
}

// environment answers the SDK clients' questions about service endpoints, as the SDK's
// EnvConfig does: a client looks for these methods on its configuration sources.
type environment struct{}

// GetServiceBaseEndpoint is AWS_ENDPOINT_URL_<SERVICE>, the service's SDK ID in upper case
// with spaces as underscores ("ECS", "DYNAMODB", "CLOUDWATCH", "SFN").
func (environment) GetServiceBaseEndpoint(_ context.Context, sdkID string) (string, bool, error) {
	name := "AWS_ENDPOINT_URL_" + strings.ReplaceAll(strings.ToUpper(sdkID), " ", "_")
	if v := os.Getenv(name); v != "" {
		return v, true, nil
	}
	return "", false, nil
}

// GetIgnoreConfiguredEndpoints is AWS_IGNORE_CONFIGURED_ENDPOINT_URLS.
func (environment) GetIgnoreConfiguredEndpoints(context.Context) (bool, bool, error) {
	v := os.Getenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")
	if v == "" {
		return false, false, nil
	}
	ignore, err := strconv.ParseBool(v)
	if err != nil {
		return false, false, fmt.Errorf("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: want true or false, got %q", v)
	}
	return ignore, true, nil
}

func firstEnv(names ...string) string {
	for _, n := range names {
		if v := os.Getenv(n); v != "" {
			return v
		}
	}
	return ""
}
