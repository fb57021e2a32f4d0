package awsecs_test

// The documents in ../stability/testdata are DescribeServices responses from AWS's
// documentation and public captures (testdata/SOURCES.md says which and what was edited).
// Each is read two ways: as the wire document, served to the real aws-sdk-go-v2 ECS client
// and converted by awsecs.Snapshot, and as `aws ecs describe-services` output (timestamps
// in ISO 8601) read by service.ParseDescribeServices. Both must give the same snapshot and
// the verdict worked out by hand in testdata/cases.json.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	smithytime "github.com/aws/smithy-go/time"

	"github.com/stepscaler/stepscaler/internal/awsecs"
	"github.com/stepscaler/stepscaler/internal/service"
	"github.com/stepscaler/stepscaler/internal/stability"
)

const testdata = "../stability/testdata"

var observedAt = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

// documents lists the DescribeServices documents in testdata.
func documents(t *testing.T) []string {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(testdata, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	var docs []string
	for _, p := range paths {
		if filepath.Base(p) != "cases.json" {
			docs = append(docs, p)
		}
	}
	if len(docs) < 10 {
		t.Fatalf("found %d documents in %s, want the collected set", len(docs), testdata)
	}
	return docs
}

// TestBothPathsReadTheSameSnapshots serves each document to the real SDK client and checks
// that awsecs.Snapshot of its answer equals ParseDescribeServices of the same document, in
// both its wire and its CLI form.
func TestBothPathsReadTheSameSnapshots(t *testing.T) {
	for _, path := range documents(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			doc := readFile(t, path)
			wire, cli := wireForm(t, doc), cliForm(t, doc)

			fromSDK, sdkFailures := describeThroughSDK(t, wire)
			fromWire, wireFailures, err := service.ParseDescribeServices(wire, observedAt)
			if err != nil {
				t.Fatalf("ParseDescribeServices(wire): %v", err)
			}
			fromCLI, cliFailures, err := service.ParseDescribeServices(cli, observedAt)
			if err != nil {
				t.Fatalf("ParseDescribeServices(cli): %v", err)
			}
			if !reflect.DeepEqual(fromSDK, fromWire) {
				t.Errorf("SDK and ParseDescribeServices differ on the wire document:\nSDK:   %+v\nparse: %+v", fromSDK, fromWire)
			}
			if !reflect.DeepEqual(fromCLI, fromWire) {
				t.Errorf("the CLI form reads differently from the wire form:\nCLI:  %+v\nwire: %+v", fromCLI, fromWire)
			}
			if !reflect.DeepEqual(sdkFailures, wireFailures) || !reflect.DeepEqual(cliFailures, wireFailures) {
				t.Errorf("failures differ: SDK %+v, wire %+v, CLI %+v", sdkFailures, wireFailures, cliFailures)
			}
		})
	}
}

// documentCase is one hand-worked expectation from testdata/cases.json.
type documentCase struct {
	Name     string           `json:"name"`
	Document string           `json:"document"`
	Before   stability.Counts `json:"before"`
	Desired  int              `json:"desired"`
	Since    time.Time        `json:"since"`
	Deadline time.Time        `json:"deadline"`
	Now      time.Time        `json:"now"`
	Scalable bool             `json:"scalable"`
	Status   stability.Status `json:"status"`
	Cause    stability.Cause  `json:"cause"`
	Reason   string           `json:"reason"`
	Why      string           `json:"why"`
}

func TestVerdictsOnCollectedDocuments(t *testing.T) {
	var cases []documentCase
	if err := json.Unmarshal(readFile(t, filepath.Join(testdata, "cases.json")), &cases); err != nil {
		t.Fatalf("cases.json: %v", err)
	}
	covered := map[string]bool{}
	for _, tc := range cases {
		covered[tc.Document] = true
		t.Run(tc.Name, func(t *testing.T) {
			doc := readFile(t, filepath.Join(testdata, tc.Document))
			fromSDK, _ := describeThroughSDK(t, wireForm(t, doc))
			fromCLI, _, err := service.ParseDescribeServices(cliForm(t, doc), observedAt)
			if err != nil {
				t.Fatalf("ParseDescribeServices: %v", err)
			}
			before := service.Snapshot{Status: service.StatusActive, DesiredCount: tc.Before.Desired,
				RunningCount: tc.Before.Running, PendingCount: tc.Before.Pending}
			for path, snaps := range map[string][]service.Snapshot{"SDK": fromSDK, "CLI": fromCLI} {
				if len(snaps) != 1 {
					t.Fatalf("%s: %d services, want 1", path, len(snaps))
				}
				if ok, why := stability.Scalable(snaps[0]); ok != tc.Scalable {
					t.Errorf("%s: Scalable() = %v (%s), want %v", path, ok, why, tc.Scalable)
				}
				w := stability.NewWatch(before, tc.Desired, tc.Since, tc.Deadline, 15)
				got := stability.Check(snaps[0], w, tc.Now)
				if got.Status != tc.Status || got.Cause != tc.Cause {
					t.Errorf("%s: Check() = %s/%s (%s), want %s/%s because %s", path, got.Status, got.Cause, got.Reason, tc.Status, tc.Cause, tc.Why)
				}
				if !strings.Contains(got.Reason, tc.Reason) {
					t.Errorf("%s: reason %q does not contain %q", path, got.Reason, tc.Reason)
				}
			}
		})
	}
	for _, path := range documents(t) {
		if name := filepath.Base(path); !covered[name] && name != "missing.json" {
			t.Errorf("%s has no case in cases.json", name)
		}
	}
}

// TestMissingServiceThroughBothPaths: an unknown service comes back under failures with
// reason MISSING (Developer Guide, "API failure reasons"), not as an error.
func TestMissingServiceThroughBothPaths(t *testing.T) {
	doc := readFile(t, filepath.Join(testdata, "missing.json"))
	want := []service.Failure{{ARN: "arn:aws:ecs:us-west-2:123456789012:service/MyCluster/no-such-service", Reason: "MISSING"}}
	snaps, failures := describeThroughSDK(t, wireForm(t, doc))
	if len(snaps) != 0 || !reflect.DeepEqual(failures, want) {
		t.Errorf("SDK path: %d services, failures %+v; want none and %+v", len(snaps), failures, want)
	}
	snaps, failures, err := service.ParseDescribeServices(cliForm(t, doc), observedAt)
	if err != nil || len(snaps) != 0 || !reflect.DeepEqual(failures, want) {
		t.Errorf("ParseDescribeServices: %d services, failures %+v, err %v; want none and %+v", len(snaps), failures, err, want)
	}
}

// describeThroughSDK serves body as ECS's answer to DescribeServices and returns what the
// real client decoded, converted by awsecs.Snapshot.
func describeThroughSDK(t *testing.T, body []byte) ([]service.Snapshot, []service.Failure) {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if got := r.Header.Get("X-Amz-Target"); got != "AmazonEC2ContainerServiceV20141113.DescribeServices" {
			http.Error(w, "unexpected target "+got, http.StatusBadRequest)
			return
		}
		if _, err := io.Copy(io.Discard, r.Body); err != nil {
			t.Errorf("read request: %v", err)
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		if _, err := w.Write(body); err != nil {
			t.Errorf("write response: %v", err)
		}
	}))
	defer srv.Close()
	client := ecs.New(ecs.Options{
		Region:           "us-west-2",
		BaseEndpoint:     aws.String(srv.URL),
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
		RetryMaxAttempts: 1,
	})
	out, err := client.DescribeServices(context.Background(), &ecs.DescribeServicesInput{
		Cluster: aws.String("default"), Services: []string{"any"},
	})
	if err != nil {
		t.Fatalf("DescribeServices through the SDK: %v", err)
	}
	var snaps []service.Snapshot
	for _, s := range out.Services {
		snaps = append(snaps, awsecs.Snapshot(s, observedAt))
	}
	var failures []service.Failure
	for _, f := range out.Failures {
		failures = append(failures, service.Failure{ARN: aws.ToString(f.Arn), Reason: aws.ToString(f.Reason), Detail: aws.ToString(f.Detail)})
	}
	return snaps, failures
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// timestampKeys are the DescribeServices fields of type Timestamp (API Reference: Service,
// Deployment, TaskSet, ServiceEvent).
var timestampKeys = map[string]bool{"createdAt": true, "updatedAt": true, "stabilityStatusAt": true}

// wireForm writes every timestamp as epoch seconds with milliseconds, as the API does.
func wireForm(t *testing.T, doc []byte) []byte {
	return rewriteTimestamps(t, doc, func(at time.Time) any {
		ms := at.UnixMilli()
		return json.Number(fmt.Sprintf("%d.%03d", ms/1000, ms%1000))
	})
}

// cliForm writes every timestamp in ISO 8601, as AWS CLI version 2 prints it.
func cliForm(t *testing.T, doc []byte) []byte {
	return rewriteTimestamps(t, doc, func(at time.Time) any {
		return at.Format("2006-01-02T15:04:05.000000-07:00")
	})
}

func rewriteTimestamps(t *testing.T, doc []byte, write func(time.Time) any) []byte {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatal(err)
	}
	var walk func(any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				if timestampKeys[k] {
					v[k] = write(readTimestamp(t, x))
					continue
				}
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(v)
	out, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// readTimestamp reads a timestamp the way the SDK does (epoch seconds) or as the CLI
// prints it (ISO 8601).
func readTimestamp(t *testing.T, v any) time.Time {
	t.Helper()
	switch v := v.(type) {
	case json.Number:
		f, err := strconv.ParseFloat(string(v), 64)
		if err != nil {
			t.Fatal(err)
		}
		return smithytime.ParseEpochSeconds(f)
	case string:
		at, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			t.Fatal(err)
		}
		return at
	}
	t.Fatalf("timestamp %v is neither a number nor a string", v)
	return time.Time{}
}
