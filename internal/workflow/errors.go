package workflow

import (
	"errors"
	"fmt"
	"net"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/smithy-go"
)

// The Lambda Go runtime reports a returned error's type name as errorType, and the state
// machine's Retry and Catch match on it. These types are the names the ASL knows.

// TransientError is a failure worth retrying: throttling, a 5xx, a timeout. The ASL
// retries it with backoff after the SDK's own retries are spent.
type TransientError struct{ Err error }

func (e *TransientError) Error() string { return e.Err.Error() }
func (e *TransientError) Unwrap() error { return e.Err }

// ServiceNotFoundError means the configured ECS service does not exist (or is gone).
type ServiceNotFoundError struct{ Service string }

func (e *ServiceNotFoundError) Error() string {
	return fmt.Sprintf("ECS service %s not found", e.Service)
}

// InvalidInputError means a step received input it refuses to act on.
type InvalidInputError struct{ Problem string }

func (e *InvalidInputError) Error() string { return "invalid step input: " + e.Problem }

// classify wraps err as a TransientError when retrying may help, so the Lambda reports
// that name; other errors keep their own.
func classify(err error, what string) error {
	if err == nil {
		return nil
	}
	wrapped := fmt.Errorf("%s: %w", what, err)
	if isTransient(err) {
		return &TransientError{Err: wrapped}
	}
	return wrapped
}

func isTransient(err error) bool {
	var netErr net.Error
	if errors.As(err, &netErr) {
		return true
	}
	var maxAttempts *retry.MaxAttemptsError
	if errors.As(err, &maxAttempts) {
		return true
	}
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		switch apiErr.ErrorCode() {
		case "ThrottlingException", "ServerException", "InternalServerError",
			"ProvisionedThroughputExceededException", "RequestLimitExceeded", "ServiceUnavailable":
			return true
		}
		return apiErr.ErrorFault() == smithy.FaultServer
	}
	return false
}
