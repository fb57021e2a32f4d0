package cwemu

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
// Error, before any other processing.
type Fault struct {
	Operation string `json:"operation"`
	Error     string `json:"error"`   // default InternalServiceError
	Times     int    `json:"times"`   // at least 1
	Message   string `json:"message"` // default: a generic message
}

// InjectFault queues f. Faults match in the order they were injected.
func (e *Emulator) InjectFault(f Fault) {
	f.Times = max(f.Times, 1)
	if f.Error == "" {
		f.Error = InternalServiceError
	}
	if f.Message == "" {
		f.Message = "Injected fault."
		if f.Error == Throttling {
			f.Message = "Rate exceeded"
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.faults = append(e.faults, &f)
}

// takeFault consumes one use of the first fault matching op; mu must be held.
func (e *Emulator) takeFault(op string) *apiError {
	for i, f := range e.faults {
		if f.Operation != "" && f.Operation != op {
			continue
		}
		if f.Times--; f.Times == 0 {
			e.faults = append(e.faults[:i], e.faults[i+1:]...)
		}
		return &apiError{Code: f.Error, Message: f.Message}
	}
	return nil
}

// Calls returns how many requests of the operation the emulator received, failed ones
// included; "" counts all operations.
func (e *Emulator) Calls(operation string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	if operation != "" {
		return e.calls[operation]
	}
	n := 0
	for _, c := range e.calls {
		n += c
	}
	return n
}

func (e *Emulator) callCounts() map[string]int {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make(map[string]int, len(e.calls))
	for op, n := range e.calls {
		out[op] = n
	}
	return out
}
