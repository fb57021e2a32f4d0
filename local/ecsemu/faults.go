package ecsemu

import "github.com/stepscaler/stepscaler/local/emulator"

// Common ECS error names for Fault.Error. Any other error name works too;
// ServerException and ServiceUnavailableException are sent as 500 and 503,
// everything else as 400.
const (
	Throttling       = "ThrottlingException"
	ServerError      = "ServerException"
	ServiceNotFound  = "ServiceNotFoundException"
	ClusterNotFound  = "ClusterNotFoundException"
	ServiceNotActive = "ServiceNotActiveException"
	InvalidParameter = "InvalidParameterException"
	AccessDenied     = "AccessDeniedException"
)

// Fault makes the next Times requests of Operation ("" for any) fail with
// the error named Error (default ServerException), before any other
// processing. With a Delay, each is held that long first (the emulator
// serves other requests meanwhile), then fails with Error or, if it has
// none, is answered as usual: a slow ECS, which a Lambda function calling
// it can run out of time waiting for.
type Fault = emulator.Fault

// faultCodes are the error names injected faults default to.
var faultCodes = emulator.FaultCodes{Default: ServerError, Throttling: Throttling}

// InjectFault queues f. Faults match in the order they were injected.
func (e *Emulator) InjectFault(f Fault) { e.faults.Inject(f) }

// PendingFaults returns the uses the injected faults have left.
func (e *Emulator) PendingFaults() int { return e.faults.Pending() }

// Calls returns how many requests of the operation the emulator received,
// failed ones included; "" counts all operations.
func (e *Emulator) Calls(operation string) int { return e.faults.Calls(operation) }
