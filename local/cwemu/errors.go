package cwemu

import (
	"fmt"
	"net/http"
	"strings"
)

// apiError is a CloudWatch error response. Code is the error code CloudWatch has always
// reported (its Query API code, such as "ValidationError" or "ResourceNotFound"); the
// shape it travels as over RPC v2 CBOR, and its HTTP status, follow from it.
type apiError struct {
	Code    string
	Message string
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

// errorShape is how one error code goes over the wire. CloudWatch is
// awsQueryCompatible: the body's __type names the Smithy shape, from which the SDK picks
// its typed error, and the x-amzn-query-error header ("Code;Sender") carries the Query
// code, which the SDK reports as ErrorCode(). Codes, shapes and statuses are the
// awsQueryError traits of the CloudWatch model (aws-sdk-go-v2 service/cloudwatch
// schemas); messageMember is the member the shape models its message as.
type errorShape struct {
	shape         string
	status        int
	fault         string // Sender or Receiver
	messageMember string
}

const modelNamespace = "com.amazonaws.cloudwatch#"

var errorShapes = map[string]errorShape{
	"ValidationError":                 {modelNamespace + "ValidationException", 400, "Sender", "message"},
	"InvalidParameterValue":           {modelNamespace + "InvalidParameterValueException", 400, "Sender", "message"},
	"InvalidParameterCombination":     {modelNamespace + "InvalidParameterCombinationException", 400, "Sender", "message"},
	"MissingParameter":                {modelNamespace + "MissingRequiredParameterException", 400, "Sender", "message"},
	"LimitExceeded":                   {modelNamespace + "LimitExceededFault", 400, "Sender", "message"},
	"LimitExceededException":          {modelNamespace + "LimitExceededException", 400, "Sender", "Message"},
	"ResourceNotFound":                {modelNamespace + "ResourceNotFound", 404, "Sender", "message"},
	"ResourceNotFoundException":       {modelNamespace + "ResourceNotFoundException", 404, "Sender", "Message"},
	"InvalidNextToken":                {modelNamespace + "InvalidNextToken", 400, "Sender", "message"},
	"InvalidFormat":                   {modelNamespace + "InvalidFormatFault", 400, "Sender", "message"},
	"InternalServiceError":            {modelNamespace + "InternalServiceFault", 500, "Receiver", "Message"},
	"ConcurrentModificationException": {modelNamespace + "ConcurrentModificationException", 429, "Sender", "Message"},
	"ResourceConflict":                {modelNamespace + "ResourceConflict", 409, "Sender", "message"},
	// Errors of the AWS front end, not of the CloudWatch model: the SDK reports them as
	// generic API errors with the Query code.
	"Throttling":                 {"com.amazon.coral.availability#ThrottlingException", 400, "Sender", "message"},
	"ServiceUnavailable":         {"com.amazon.coral.availability#ServiceUnavailableException", 503, "Receiver", "message"},
	"MissingAuthenticationToken": {"com.amazon.coral.service#MissingAuthenticationTokenException", 403, "Sender", "message"},
	"UnknownOperation":           {"com.amazon.coral.service#UnknownOperationException", 400, "Sender", "message"},
	"SerializationException":     {"com.amazon.coral.service#SerializationException", 400, "Sender", "message"},
	"RequestEntityTooLarge":      {"com.amazon.coral.service#RequestEntityTooLargeException", 413, "Sender", "message"},
}

// shape is the wire form of e's code. An unknown code (from an injected fault) goes as
// itself, a client error.
func (e *apiError) shape() errorShape {
	if s, ok := errorShapes[e.Code]; ok {
		return s
	}
	return errorShape{shape: e.Code, status: http.StatusBadRequest, fault: "Sender", messageMember: "message"}
}

func errorf(code, format string, args ...any) *apiError {
	return &apiError{Code: code, Message: fmt.Sprintf(format, args...)}
}

func validationError(format string, args ...any) *apiError {
	return errorf("ValidationError", format, args...)
}

func invalidValue(format string, args ...any) *apiError {
	return errorf("InvalidParameterValue", format, args...)
}

func invalidCombination(format string, args ...any) *apiError {
	return errorf("InvalidParameterCombination", format, args...)
}

func missingParameter(name string) *apiError {
	return errorf("MissingParameter", "The parameter %s is required.", name)
}

// unsupported is the error for what CloudWatch accepts but this emulator does not
// emulate: the request is valid, the emulator cannot honour it faithfully, so it says so
// rather than pretend.
func unsupported(format string, args ...any) *apiError {
	return validationError("The local CloudWatch emulator does not support %s.", fmt.Sprintf(format, args...))
}

// Constraint violations of the API model are reported by AWS's front end in one form,
// for example "1 validation error detected: Value '999' at 'maxRecords' failed to
// satisfy constraint: Member must have value less than or equal to 100" (a real
// DescribeAlarms response, quoted in boto3 issue #3475; the aws-sdk-js-v3 CloudWatch
// query-compatibility end-to-end test shows the same form for an empty alarmName).
func constraint(value any, member, rule string) *apiError {
	return validationError("1 validation error detected: Value '%v' at '%s' failed to satisfy constraint: Member must %s", value, member, rule)
}

func lengthAtLeast(value any, member string, n int) *apiError {
	return constraint(value, member, fmt.Sprintf("have length greater than or equal to %d", n))
}

func lengthAtMost(value any, member string, n int) *apiError {
	return constraint(value, member, fmt.Sprintf("have length less than or equal to %d", n))
}

func valueAtLeast(value any, member string, n int) *apiError {
	return constraint(value, member, fmt.Sprintf("have value greater than or equal to %d", n))
}

func valueAtMost(value any, member string, n int) *apiError {
	return constraint(value, member, fmt.Sprintf("have value less than or equal to %d", n))
}

func enumValue(value any, member string, set []string) *apiError {
	return constraint(value, member, "satisfy enum value set: ["+strings.Join(set, ", ")+"]")
}

// lowerFirst turns a member name into the form the front end's messages use
// ("AlarmName" → "alarmName").
func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}
