// Package lambdaenv wires a Lambda function's process: its JSON logger, its AWS SDK
// configuration, the deployed scaling configuration and its other settings, all from the
// environment. Endpoints come only from the SDK's standard configuration
// (AWS_ENDPOINT_URL_ECS, AWS_ENDPOINT_URL_DYNAMODB, ...), so the same binary talks to AWS
// when deployed and to the local stack on a laptop.
package lambdaenv

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/stepscaler/stepscaler/internal/config"
	"github.com/stepscaler/stepscaler/internal/pacing"
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

// ScalingConfig reads and validates the deployed scaling configuration: the file
// STEPSCALER_CONFIG names (default stepscaler.json), relative to the function's code
// directory (LAMBDA_TASK_ROOT) unless absolute. The stack ships the same file with every
// function, so every step applies one definition.
func ScalingConfig() (*config.Config, error) {
	path := os.Getenv("STEPSCALER_CONFIG")
	if path == "" {
		path = "stepscaler.json"
	}
	if !filepath.IsAbs(path) {
		path = filepath.Join(os.Getenv("LAMBDA_TASK_ROOT"), path)
	}
	return config.Load(path)
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

// EnvRate returns an optional environment variable holding a positive rate.
func EnvRate(name string, def float64) (float64, error) {
	v := os.Getenv(name)
	if v == "" {
		return def, nil
	}
	r, err := strconv.ParseFloat(v, 64)
	if err != nil || !(r > 0) || r > 1000 {
		return 0, fmt.Errorf("environment variable %s: want a rate between 0 and 1000, got %q", name, v)
	}
	return r, nil
}

// ECSPace is the instance's pace of ECS calls, STEPSCALER_ECS_CALLS_PER_SECOND, which
// the stack sets from internal/deploy; unset, the instance is not paced.
func ECSPace() (*pacing.Limiter, error) {
	if os.Getenv(ECSPaceVariable) == "" {
		return nil, nil
	}
	r, err := EnvRate(ECSPaceVariable, 0)
	if err != nil {
		return nil, err
	}
	return pacing.New(r), nil
}

// ECSPaceVariable names the environment variable ECSPace reads.
const ECSPaceVariable = "STEPSCALER_ECS_CALLS_PER_SECOND"

// Must returns v, or logs err as the function's one start-up failure line and exits: a
// function that cannot be wired must fail its init, loudly, rather than run
// half-configured.
func Must[T any](v T, err error) T {
	if err != nil {
		Logger().Error("function cannot start", "error", err.Error())
		os.Exit(1)
	}
	return v
}
