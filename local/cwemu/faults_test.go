package cwemu_test

import (
	"bytes"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/fxamacker/cbor/v2"

	"github.com/stepscaler/stepscaler/local/cwemu"
)

// The standard retryer retries CloudWatch's throttling error ("Throttling", 400) and its
// server fault (500): one injected fault costs one extra call.
func TestInjectedFaultsAreRetried(t *testing.T) {
	e := start(t, cwemu.Options{})
	e.putAlarm(t, cpuAlarm("a"))
	for _, fault := range []string{cwemu.Throttling, cwemu.InternalServiceError} {
		before := e.emu.Calls("DescribeAlarms")
		e.emu.InjectFault(cwemu.Fault{Operation: "DescribeAlarms", Error: fault, Times: 1})
		if _, err := e.client.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{}); err != nil {
			t.Errorf("%s: the retryer did not recover: %v", fault, err)
		}
		if n := e.emu.Calls("DescribeAlarms") - before; n != 2 {
			t.Errorf("%s: %d calls, want 2", fault, n)
		}
	}
}

func TestInjectedFaultsWithoutRetries(t *testing.T) {
	e := start(t, cwemu.Options{})
	client := newClient(e.emu.URL(), region, noRetries)

	e.emu.InjectFault(cwemu.Fault{Operation: "PutMetricData", Error: cwemu.Throttling})
	_, err := client.PutMetricData(ctx, &cloudwatch.PutMetricDataInput{Namespace: aws.String("Stepscaler/Test"), MetricData: []types.MetricDatum{{MetricName: aws.String("M"), Value: aws.Float64(1)}}})
	wantAPIError(t, err, "Throttling", 400, noTarget)
	if err != nil && !strings.Contains(err.Error(), "Rate exceeded") {
		t.Errorf("throttling message: %v", err)
	}

	var fault *types.InternalServiceFault
	e.emu.InjectFault(cwemu.Fault{Operation: "GetMetricData", Error: cwemu.InternalServiceError})
	_, err = client.GetMetricData(ctx, &cloudwatch.GetMetricDataInput{MetricDataQueries: []types.MetricDataQuery{statQuery("m", "M", "Sum", 60)}, StartTime: aws.Time(at("09:00:00")), EndTime: aws.Time(at("09:10:00"))})
	wantAPIError(t, err, "InternalServiceError", 500, &fault)
	if fault != nil && fault.ErrorMessage() != "Injected fault." {
		t.Errorf("InternalServiceFault message %q", fault.ErrorMessage())
	}

	var limit *types.LimitExceededFault
	e.emu.InjectFault(cwemu.Fault{Operation: "PutMetricAlarm", Error: cwemu.LimitExceeded, Message: "The maximum number of alarms has been reached."})
	_, err = client.PutMetricAlarm(ctx, cpuAlarm("one-too-many"))
	wantAPIError(t, err, "LimitExceeded", 400, &limit)

	// Faults match their operation only, and run out.
	e.emu.InjectFault(cwemu.Fault{Operation: "SetAlarmState", Error: cwemu.Throttling, Times: 2})
	if _, err := client.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{}); err != nil {
		t.Errorf("DescribeAlarms hit SetAlarmState's fault: %v", err)
	}
	if got := e.emu.Calls("SetAlarmState") + e.emu.Calls("PutMetricAlarm"); got != 1 {
		t.Errorf("calls %d, want the one PutMetricAlarm", got)
	}
	if got := e.emu.Calls(""); got != 4 {
		t.Errorf("all calls %d, want 4", got)
	}
}

// The protocol as the SDK does not exercise it: an operation the emulator does not
// implement, a request without credentials, and the response headers of RPC v2 CBOR.
func TestProtocolEdges(t *testing.T) {
	e := start(t, cwemu.Options{})
	post := func(op string, header http.Header, body []byte) (*http.Response, map[string]any) {
		t.Helper()
		req, err := http.NewRequest(http.MethodPost, e.emu.URL()+"/service/GraniteServiceVersion20100801/operation/"+op, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header = header
		resp, err := httpClient.Do(req)
		if err != nil {
			t.Fatalf("POST %s: %v", op, err)
		}
		defer resp.Body.Close()
		var buf bytes.Buffer
		if _, err := buf.ReadFrom(resp.Body); err != nil {
			t.Fatal(err)
		}
		var out map[string]any
		if buf.Len() > 0 {
			if err := cbor.Unmarshal(buf.Bytes(), &out); err != nil {
				t.Fatalf("%s: response is not CBOR: %v", op, err)
			}
		}
		return resp, out
	}
	signed := http.Header{"Smithy-Protocol": {"rpc-v2-cbor"}, "Authorization": {"AWS4-HMAC-SHA256 Credential=AKID/20261127/us-east-1/monitoring/aws4_request"}, "Content-Type": {"application/cbor"}}

	resp, body := post("DeleteAlarms", signed, nil)
	if resp.StatusCode != 400 || resp.Header.Get("X-Amzn-Query-Error") != "UnknownOperation;Sender" || !strings.Contains(body["message"].(string), "does not implement the operation DeleteAlarms") {
		t.Errorf("DeleteAlarms: %d %v %v", resp.StatusCode, resp.Header, body)
	}

	unsigned := signed.Clone()
	unsigned.Del("Authorization")
	resp, body = post("DescribeAlarms", unsigned, nil)
	if resp.StatusCode != 403 || resp.Header.Get("X-Amzn-Query-Error") != "MissingAuthenticationToken;Sender" {
		t.Errorf("unsigned: %d %v %v", resp.StatusCode, resp.Header, body)
	}

	resp, body = post("DescribeAlarms", signed, []byte{0xa0}) // {}
	if resp.StatusCode != 200 || resp.Header.Get("Smithy-Protocol") != "rpc-v2-cbor" || resp.Header.Get("Content-Type") != "application/cbor" {
		t.Errorf("DescribeAlarms: %d %v", resp.StatusCode, resp.Header)
	}
	if _, ok := body["MetricAlarms"]; !ok {
		t.Errorf("DescribeAlarms body %v", body)
	}

	resp, body = post("DescribeAlarms", signed, []byte{0xff, 0x00})
	if resp.StatusCode != 400 || resp.Header.Get("X-Amzn-Query-Error") != "SerializationException;Sender" {
		t.Errorf("garbage body: %d %v %v", resp.StatusCode, resp.Header, body)
	}
}

// A process configured from the environment, as the Lambda functions are, reaches the
// emulator through AWS_ENDPOINT_URL_CLOUDWATCH.
func TestEndpointFromEnvironment(t *testing.T) {
	e := startSerial(t, cwemu.Options{})
	e.putAlarm(t, cpuAlarm("from-env"))
	t.Setenv("AWS_ENDPOINT_URL_CLOUDWATCH", e.emu.URL())
	t.Setenv("AWS_REGION", region)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKID")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "SECRET")
	t.Setenv("AWS_CONFIG_FILE", os.DevNull)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", os.DevNull)
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		t.Fatalf("LoadDefaultConfig: %v", err)
	}
	out, err := cloudwatch.NewFromConfig(cfg).DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{})
	if err != nil {
		t.Fatalf("DescribeAlarms: %v", err)
	}
	if len(out.MetricAlarms) != 1 || aws.ToString(out.MetricAlarms[0].AlarmName) != "from-env" {
		t.Errorf("alarms %v", metricNames(out.MetricAlarms))
	}
}
