// Package lambdaenv wires a Lambda function's process: its JSON logger, its AWS SDK
// configuration and its environment. Endpoints come only from the SDK's standard
// configuration (AWS_REGION, AWS_ENDPOINT_URL_ECS, AWS_ENDPOINT_URL_DYNAMODB, ...), so the
// same binary talks to AWS when deployed and to the local stack on a laptop.
package lambdaenv

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
)

// Logger returns a JSON logger on stdout, where Lambda's JSON log format (and CloudWatch
// Logs Insights) picks each line up as fields. LOG_LEVEL (DEBUG, INFO, WARN, ERROR) sets
// the level; Lambda's advanced logging controls set AWS_LAMBDA_LOG_LEVEL.
func Logger() *slog.Logger {
	level := slog.LevelInfo
	for _, name := range []string{"AWS_LAMBDA_LOG_LEVEL", "LOG_LEVEL"} {
		if v := os.Getenv(name); v != "" {
			_ = level.UnmarshalText([]byte(v))
			break
		}
	}
	h := slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{Level: level})
	return slog.New(h).With("function", os.Getenv("AWS_LAMBDA_FUNCTION_NAME"))
}

// AWSConfig loads the SDK's default configuration once, at init, outside the handler.
func AWSConfig(ctx context.Context) (aws.Config, error) {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return aws.Config{}, fmt.Errorf("load AWS configuration: %w", err)
	}
	return cfg, nil
}

// Env returns a required environment variable.
func Env(name string) (string, error) {
	v := os.Getenv(name)
	if v == "" {
		return "", fmt.Errorf("environment variable %s is not set", name)
	}
	return v, nil
}

// EnvDays returns an optional environment variable counting days, as a duration.
func EnvDays(name string, def int) (time.Duration, error) {
	days := def
	if v := os.Getenv(name); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return 0, fmt.Errorf("environment variable %s: want a positive number of days, got %q", name, v)
		}
		days = n
	}
	return time.Duration(days) * 24 * time.Hour, nil
}

// Fatal logs a start-up failure as one JSON line and exits: a function that cannot be
// wired must fail its init, loudly, rather than run half-configured.
func Fatal(log *slog.Logger, err error) {
	log.Error("function cannot start", "error", err.Error())
	os.Exit(1)
}
