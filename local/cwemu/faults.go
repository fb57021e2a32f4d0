package cwemu

import "github.com/stepscaler/stepscaler/local/emulator"

// Common CloudWatch error codes for Fault.Error. Any other code works too, as a client
// error (HTTP 400).
const (
	// Throttling is what CloudWatch answers over its request quota: HTTP 400, code
	// "Throttling", "Rate exceeded". The SDK's standard retryer retries it.
	Throttling = "Throttling"
	// InternalServiceError is CloudWatch's server fault (InternalServiceFault, HTTP 500),
	// which the standard retryer retries as well.
	InternalServiceError = "InternalServiceError"
	ServiceUnavailable   = "ServiceUnavailable"
	ResourceNotFound     = "ResourceNotFound"
	InvalidParameter     = "InvalidParameterValue"
	LimitExceeded        = "LimitExceeded"
	ValidationError      = "ValidationError"
)

// Fault makes the next Times requests of Operation ("" for any) fail with the error code
// Error (default InternalServiceError), before any other processing.
type Fault = emulator.Fault

// faultCodes are the codes injected faults default to.
var faultCodes = emulator.FaultCodes{Default: InternalServiceError, Throttling: Throttling}

// InjectFault queues f. Faults match in the order they were injected.
func (e *Emulator) InjectFault(f Fault) { e.faults.Inject(f) }

// Calls returns how many requests of the operation the emulator received, failed ones
// included; "" counts all operations.
func (e *Emulator) Calls(operation string) int { return e.faults.Calls(operation) }
