package steps_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambda/messages"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/smithy-go"

	"github.com/stepscaler/stepscaler/internal/config"
	"github.com/stepscaler/stepscaler/internal/pacing"
	"github.com/stepscaler/stepscaler/internal/scaling"
	"github.com/stepscaler/stepscaler/internal/steps"
	"github.com/stepscaler/stepscaler/local/awstest"
	"github.com/stepscaler/stepscaler/local/cwemu"
	"github.com/stepscaler/stepscaler/local/ecsemu"
)

// These tests classify real errors: the real aws-sdk-go-v2 clients' answers from the
// local ECS and CloudWatch emulators and from a port nobody listens on.

var creds = credentials.NewStaticCredentialsProvider("AKID", "SECRET", "")

// retries are the ways a client hands an error over, each making one request here:
//   - after its last attempt (RetryMaxAttempts 1, as the ASL's Retry tests run the
//     functions): the SDK wraps a retryable error in a MaxAttemptsError;
//   - with the standard retryer's retry quota spent (500 tokens a client; a retry costs
//     14, 5 after a throttle; a warm Lambda keeps its client, so a burst of server errors
//     spends it): the SDK joins the error with a QuotaExceededError and makes no retry;
//   - as it came, with no retryer at all.
var retries = []struct {
	name  string
	ecs   func(*ecs.Options)
	cloud func(*cloudwatch.Options)
}{
	{"one attempt",
		func(o *ecs.Options) { o.RetryMaxAttempts = 1 },
		func(o *cloudwatch.Options) { o.RetryMaxAttempts = 1 }},
	{"retry quota spent",
		func(o *ecs.Options) { o.Retryer = spentQuota() },
		func(o *cloudwatch.Options) { o.Retryer = spentQuota() }},
	{"no retryer",
		func(o *ecs.Options) { o.Retryer = aws.NopRetryer{} },
		func(o *cloudwatch.Options) { o.Retryer = aws.NopRetryer{} }},
}

func spentQuota() aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) { o.RateLimiter = ratelimit.NewTokenRateLimit(0) })
}

func startECS(t *testing.T) *ecsemu.Emulator {
	t.Helper()
	emu := awstest.StartECS(t, ecsemu.Options{})
	if err := emu.CreateService("prod", "web", ecsemu.ServiceSpec{DesiredCount: 1}); err != nil {
		t.Fatalf("create service: %v", err)
	}
	return emu
}

func ecsClient(url string, opt func(*ecs.Options)) *ecs.Client {
	return ecs.New(ecs.Options{Region: "us-east-1", BaseEndpoint: aws.String(url), Credentials: creds}, opt)
}

func cwClient(url string, opt func(*cloudwatch.Options)) *cloudwatch.Client {
	return cloudwatch.New(cloudwatch.Options{Region: "us-east-1", BaseEndpoint: aws.String(url), Credentials: creds}, opt)
}

// closedPort is the URL of a local port that was just released: connecting is refused.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	url := "http://" + l.Addr().String()
	if err := l.Close(); err != nil {
		t.Fatalf("close listener: %v", err)
	}
	return url
}

func describeWeb(ctx context.Context, c *ecs.Client) error {
	_, err := c.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String("prod"), Services: []string{"web"}})
	return err
}

func describeAlarms(ctx context.Context, c *cloudwatch.Client) error {
	_, err := c.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{"cpu"}})
	return err
}

// lambdaErrorType is the errorType aws-lambda-go reports for a handler that returns err:
// the handler runs through the library's own invoke path, the one that answers a Lambda
// invocation, and the name is what the state machine's Retry and Catch match on.
func lambdaErrorType(t *testing.T, err error) string {
	t.Helper()
	//lint:ignore SA1019 Function is the library's exported way to invoke a handler as the runtime does.
	fn := lambda.NewFunction(lambda.NewHandler(func(context.Context) error { return err }))
	var resp messages.InvokeResponse
	deadline := time.Now().Add(time.Minute)
	req := &messages.InvokeRequest{Payload: []byte("{}"), Deadline: messages.InvokeRequest_Timestamp{Seconds: deadline.Unix()}}
	if invokeErr := fn.Invoke(req, &resp); invokeErr != nil {
		t.Fatalf("invoke: %v", invokeErr)
	}
	if resp.Error == nil {
		t.Fatalf("invoke of a failing handler answered no error: %s", resp.Payload)
	}
	// The error document the runtime posts, as Step Functions receives it in Cause.
	doc, jsonErr := json.Marshal(resp.Error)
	if jsonErr != nil {
		t.Fatalf("encode the error document: %v", jsonErr)
	}
	var cause struct {
		ErrorType    string `json:"errorType"`
		ErrorMessage string `json:"errorMessage"`
	}
	if jsonErr := json.Unmarshal(doc, &cause); jsonErr != nil {
		t.Fatalf("decode the error document %s: %v", doc, jsonErr)
	}
	if cause.ErrorMessage != err.Error() {
		t.Errorf("errorMessage = %q, want the error's message %q", cause.ErrorMessage, err.Error())
	}
	return cause.ErrorType
}

func wantTransient(t *testing.T, err error, what string) {
	t.Helper()
	got := steps.Classify(err, what)
	var transient *steps.TransientError
	if !errors.As(got, &transient) {
		t.Fatalf("Classify(%v) = %T %v, want *steps.TransientError", err, got, got)
	}
	if !errors.Is(got, err) {
		t.Errorf("the classified error does not wrap the original")
	}
	if !strings.HasPrefix(got.Error(), what+": ") {
		t.Errorf("message %q does not start with %q", got.Error(), what+": ")
	}
	if name := lambdaErrorType(t, got); name != "TransientError" {
		t.Errorf("Lambda errorType = %q, want TransientError", name)
	}
}

func wantCallError(t *testing.T, err error, what string) {
	t.Helper()
	got := steps.Classify(err, what)
	var callErr *steps.AWSCallError
	if !errors.As(got, &callErr) {
		t.Fatalf("Classify(%v) = %T %v, want *steps.AWSCallError", err, got, got)
	}
	var transient *steps.TransientError
	if errors.As(got, &transient) {
		t.Errorf("Classify(%v) is also a TransientError", err)
	}
	if !errors.Is(got, err) {
		t.Errorf("the classified error does not wrap the original")
	}
	if name := lambdaErrorType(t, got); name != "AWSCallError" {
		t.Errorf("Lambda errorType = %q, want AWSCallError", name)
	}
}

func apiError(t *testing.T, err error, code string) {
	t.Helper()
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != code {
		t.Fatalf("error = %v, want the API error %s", err, code)
	}
}

func TestClassifyNil(t *testing.T) {
	t.Parallel()
	if err := steps.Classify(nil, "describe prod/web"); err != nil {
		t.Errorf("Classify(nil) = %v, want nil", err)
	}
}

// Throttling and server faults are worth retrying, whichever way the client gives up:
// ECS's ThrottlingException (400), ServerException (500); CloudWatch's Throttling (400)
// and InternalServiceError (500).
func TestClassifyTransientAPIErrors(t *testing.T) {
	t.Parallel()
	for _, r := range retries {
		t.Run(r.name, func(t *testing.T) {
			ecsEmu, cwEmu := startECS(t), awstest.StartCloudWatch(t, cwemu.Options{})
			ecsC, cwC := ecsClient(ecsEmu.URL(), r.ecs), cwClient(cwEmu.URL(), r.cloud)
			for _, code := range []string{ecsemu.Throttling, ecsemu.ServerError} {
				ecsEmu.InjectFault(ecsemu.Fault{Operation: "DescribeServices", Error: code})
				before := ecsEmu.Calls("DescribeServices")
				err := describeWeb(t.Context(), ecsC)
				apiError(t, err, code)
				if n := ecsEmu.Calls("DescribeServices") - before; n != 1 {
					t.Errorf("%s: %d requests, want 1 (no SDK retry)", code, n)
				}
				wantTransient(t, err, "describe prod/web")
			}
			for _, code := range []string{cwemu.Throttling, cwemu.InternalServiceError} {
				cwEmu.InjectFault(cwemu.Fault{Operation: "DescribeAlarms", Error: code})
				err := describeAlarms(t.Context(), cwC)
				apiError(t, err, code)
				wantTransient(t, err, "read the alarms of prod/web")
			}
		})
	}
}

// A call the instance's pace defers past the invocation's deadline is retried by the
// state machine later.
func TestClassifyDeferredCall(t *testing.T) {
	t.Parallel()
	emu := startECS(t)
	pace := pacing.New(0.5)
	c := ecsClient(emu.URL(), func(o *ecs.Options) { o.APIOptions = append(o.APIOptions, pace.APIOption) })
	if err := describeWeb(t.Context(), c); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Second)
	defer cancel()
	err := describeWeb(ctx, c)
	var deferred *pacing.DeferredError
	if !errors.As(err, &deferred) {
		t.Fatalf("second call within 2 s at 0.5 calls/s = %v, want a DeferredError", err)
	}
	wantTransient(t, err, "describe prod/web")
}

// A 503 is a server fault like a 500: worth retrying. CloudWatch answers
// ServiceUnavailable, ECS ServiceUnavailableException, with HTTP 503.
func TestClassifyServiceUnavailable(t *testing.T) {
	t.Parallel()
	for _, r := range retries {
		t.Run(r.name, func(t *testing.T) {
			cwEmu := awstest.StartCloudWatch(t, cwemu.Options{})
			cwEmu.InjectFault(cwemu.Fault{Operation: "DescribeAlarms", Error: cwemu.ServiceUnavailable})
			err := describeAlarms(t.Context(), cwClient(cwEmu.URL(), r.cloud))
			apiError(t, err, cwemu.ServiceUnavailable)
			wantTransient(t, err, "read the alarms of prod/web")
		})
	}
}

// ECS's ServiceUnavailableException (503), and a gateway's 502 page with no AWS error
// code at all, are server faults: the SDK's standard retryer retries 500, 502, 503 and
// 504 whatever the code, and so should the state machine.
func TestClassifyECSServiceUnavailable(t *testing.T) {
	t.Parallel()
	for _, r := range retries {
		t.Run(r.name, func(t *testing.T) {
			ecsEmu := startECS(t)
			ecsEmu.InjectFault(ecsemu.Fault{Operation: "DescribeServices", Error: "ServiceUnavailableException"})
			err := describeWeb(t.Context(), ecsClient(ecsEmu.URL(), r.ecs))
			apiError(t, err, "ServiceUnavailableException")
			var respErr interface{ HTTPStatusCode() int }
			if !errors.As(err, &respErr) || respErr.HTTPStatusCode() != 503 {
				t.Fatalf("error = %v, want an HTTP 503", err)
			}
			wantTransient(t, err, "describe prod/web")

			gateway := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "text/html")
				w.WriteHeader(http.StatusBadGateway)
				fmt.Fprint(w, "<html><body><h1>502 Bad Gateway</h1></body></html>")
			}))
			t.Cleanup(gateway.Close)
			err = describeWeb(t.Context(), ecsClient(gateway.URL, r.ecs))
			if !errors.As(err, &respErr) || respErr.HTTPStatusCode() != http.StatusBadGateway {
				t.Fatalf("error = %v, want an HTTP 502", err)
			}
			wantTransient(t, err, "describe prod/web")
		})
	}
}

// A connection refused is a network error: transient.
func TestClassifyNetworkError(t *testing.T) {
	t.Parallel()
	for _, r := range retries {
		t.Run(r.name, func(t *testing.T) {
			err := describeWeb(t.Context(), ecsClient(closedPort(t), r.ecs))
			if err == nil {
				t.Fatal("DescribeServices on a closed port: no error")
			}
			var netErr net.Error
			if !errors.As(err, &netErr) {
				t.Fatalf("error = %T %v, want a net.Error", err, err)
			}
			wantTransient(t, err, "describe prod/web")

			err = describeAlarms(t.Context(), cwClient(closedPort(t), r.cloud))
			if err == nil {
				t.Fatal("DescribeAlarms on a closed port: no error")
			}
			wantTransient(t, err, "read the alarms of prod/web")
		})
	}
}

// Errors a retry cannot fix are AWSCallErrors: ECS's InvalidParameterException for more
// than 10 services in one DescribeServices (API Reference), an access denied, and
// CloudWatch's InvalidParameterValue.
func TestClassifyCallErrors(t *testing.T) {
	t.Parallel()
	for _, r := range retries {
		t.Run(r.name, func(t *testing.T) {
			ecsEmu, cwEmu := startECS(t), awstest.StartCloudWatch(t, cwemu.Options{})
			ecsC := ecsClient(ecsEmu.URL(), r.ecs)
			eleven := make([]string, 11)
			for i := range eleven {
				eleven[i] = fmt.Sprintf("svc-%d", i)
			}
			_, err := ecsC.DescribeServices(t.Context(), &ecs.DescribeServicesInput{Cluster: aws.String("prod"), Services: eleven})
			apiError(t, err, ecsemu.InvalidParameter)
			wantCallError(t, err, "describe prod")

			ecsEmu.InjectFault(ecsemu.Fault{Operation: "UpdateService", Error: ecsemu.AccessDenied})
			_, err = ecsC.UpdateService(t.Context(), &ecs.UpdateServiceInput{
				Cluster: aws.String("prod"), Service: aws.String("web"), DesiredCount: aws.Int32(2)})
			apiError(t, err, ecsemu.AccessDenied)
			wantCallError(t, err, "update the desired count of prod/web")

			cwEmu.InjectFault(cwemu.Fault{Operation: "DescribeAlarms", Error: cwemu.InvalidParameter})
			err = describeAlarms(t.Context(), cwClient(cwEmu.URL(), r.cloud))
			apiError(t, err, cwemu.InvalidParameter)
			wantCallError(t, err, "read the alarms of prod/web")
		})
	}
}

// The other step errors reach the state machine under their own type names.
func TestStepErrorNames(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		err  error
		want string
	}{
		{&steps.ServiceNotFoundError{Service: "prod/web"}, "ServiceNotFoundError"},
		{&steps.ServiceNotConfiguredError{Service: "prod/web"}, "ServiceNotConfiguredError"},
		{&steps.InvalidInputError{Problem: "execution.name is empty"}, "InvalidInputError"},
	} {
		if got := lambdaErrorType(t, tt.err); got != tt.want {
			t.Errorf("errorType of %v = %q, want %q", tt.err, got, tt.want)
		}
	}
}

const targetConfig = `{
  "services": [
    {"cluster": "prod", "service": "web", "minCapacity": 1, "maxCapacity": 8, "alarms": [
      {"alarmName": "web-high", "direction": "out", "adjustment": 2},
      {"alarmName": "web-low", "direction": "in"}
    ]},
    {"cluster": "prod", "service": "api", "minCapacity": 0, "maxCapacity": 3, "alarms": [
      {"alarmName": "api-high", "direction": "out"}
    ]}
  ]
}`

// Target resolves a service to its own policies, in configuration order, and names what
// is wrong with a request it cannot resolve.
func TestTarget(t *testing.T) {
	t.Parallel()
	cfg, err := config.Parse("target.json", []byte(targetConfig))
	if err != nil {
		t.Fatalf("parse the configuration: %v", err)
	}
	target, err := steps.Target(cfg, scaling.ServiceRef{Cluster: "prod", Service: "web"})
	if err != nil {
		t.Fatalf("Target(prod/web): %v", err)
	}
	if got := target.AlarmNames(); !slices.Equal(got, []string{"web-high", "web-low"}) {
		t.Errorf("alarms = %v, want [web-high web-low]", got)
	}
	if p := target.Policies[0]; p.MinCapacity != 1 || p.MaxCapacity != 8 || p.Direction != scaling.Out || p.Adjustment != 2 {
		t.Errorf("web-high policy = %+v, want out by 2 within [1, 8]", p)
	}

	var notConfigured *steps.ServiceNotConfiguredError
	_, err = steps.Target(cfg, scaling.ServiceRef{Cluster: "prod", Service: "worker"})
	if !errors.As(err, &notConfigured) || notConfigured.Service != "prod/worker" {
		t.Errorf("Target(prod/worker) error = %v, want ServiceNotConfiguredError for prod/worker", err)
	}
	// A service of another cluster is another service.
	_, err = steps.Target(cfg, scaling.ServiceRef{Cluster: "staging", Service: "web"})
	if !errors.As(err, &notConfigured) {
		t.Errorf("Target(staging/web) error = %v, want ServiceNotConfiguredError", err)
	}
	for _, ref := range []scaling.ServiceRef{{Cluster: "prod"}, {Service: "web"}, {}} {
		var invalid *steps.InvalidInputError
		if _, err := steps.Target(cfg, ref); !errors.As(err, &invalid) {
			t.Errorf("Target(%+v) error = %v, want InvalidInputError", ref, err)
		}
	}
}
