// Package steps holds what every Task handler of the Scale state machine shares: the
// errors it reports, named so that the state machine's Retry and Catch (and an operator
// reading the console) can tell them apart, and the lookup of a service's policies in the
// deployed configuration. Each step's handler is in a package of its own under it, which
// imports only the AWS client its step calls, so each function's binary links only that.
package steps

import (
	"errors"
	"fmt"
	"net"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/stepscaler/stepscaler/internal/config"
	"github.com/stepscaler/stepscaler/internal/pacing"
	"github.com/stepscaler/stepscaler/internal/scaling"
)

// The Lambda Go runtime reports a returned error's type name as errorType, and the state
// machine's Retry and Catch match on it. These types are the names the ASL knows; a
// handler returns no other error, so the console never shows a Go-internal name.

// TransientError is a failure worth retrying: throttling, a 5xx, a network error. The
// ASL retries it with backoff once the SDK's own retries are spent.
type TransientError struct{ Err error }

func (e *TransientError) Error() string { return e.Err.Error() }
func (e *TransientError) Unwrap() error { return e.Err }

// AWSCallError is an AWS API call that failed for good (access denied, a validation
// error): retrying cannot help, so the state machine records it.
type AWSCallError struct{ Err error }

func (e *AWSCallError) Error() string { return e.Err.Error() }
func (e *AWSCallError) Unwrap() error { return e.Err }

// ServiceNotFoundError means the configured ECS service does not exist (or is gone).
type ServiceNotFoundError struct{ Service string }

func (e *ServiceNotFoundError) Error() string {
	return fmt.Sprintf("ECS service %s not found", e.Service)
}

// ServiceNotConfiguredError means the execution names a service the deployed
// configuration does not list: an input nobody should have started.
type ServiceNotConfiguredError struct{ Service string }

func (e *ServiceNotConfiguredError) Error() string {
	return fmt.Sprintf("service %s is not in the deployed scaling configuration", e.Service)
}

// InvalidInputError means a step received input it refuses to act on.
type InvalidInputError struct{ Problem string }

func (e *InvalidInputError) Error() string { return "invalid step input: " + e.Problem }

// Classify names an AWS call's failure for the state machine: a TransientError when
// retrying may help, an AWSCallError otherwise. what says which call, for the message.
func Classify(err error, what string) error {
	if err == nil {
		return nil
	}
	wrapped := fmt.Errorf("%s: %w", what, err)
	if isTransient(err) {
		return &TransientError{Err: wrapped}
	}
	return &AWSCallError{Err: wrapped}
}

func isTransient(err error) bool {
	var netErr net.Error
	if errors.As(err, &netErr) {
		return true
	}
	// A 5xx is the service's fault whatever its body says: a 503 ECS does not model, or a
	// 502 page from a proxy with no error code at all. The SDK's standard retryer retries
	// 500, 502, 503 and 504 on the status alone.
	var respErr *smithyhttp.ResponseError
	if errors.As(err, &respErr) && respErr.HTTPStatusCode() >= 500 {
		return true
	}
	var maxAttempts *retry.MaxAttemptsError
	var deferred *pacing.DeferredError
	if errors.As(err, &maxAttempts) || errors.As(err, &deferred) {
		return true
	}
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		switch apiErr.ErrorCode() {
		case "ThrottlingException", "Throttling", "ServerException", "InternalServerError", "InternalServiceError",
			"InternalFailure", "ProvisionedThroughputExceededException", "RequestLimitExceeded", "ServiceUnavailable",
			"TransactionConflictException", "LimitExceededException":
			return true
		}
		return apiErr.ErrorFault() == smithy.FaultServer
	}
	return false
}

// Target resolves the execution's service to its policies in the deployed configuration.
func Target(cfg *config.Config, svc scaling.ServiceRef) (config.ServiceTarget, error) {
	if svc.Cluster == "" || svc.Service == "" {
		return config.ServiceTarget{}, &InvalidInputError{"service.cluster and service.service are required"}
	}
	t, ok := cfg.Service(svc)
	if !ok {
		return config.ServiceTarget{}, &ServiceNotConfiguredError{Service: svc.String()}
	}
	return t, nil
}
