package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/sivchari/kumo"

	"github.com/stepscaler/stepscaler/internal/activity"
	"github.com/stepscaler/stepscaler/internal/scaling"
	"github.com/stepscaler/stepscaler/internal/store"
)

// The operator commands use the standard AWS configuration; here it points them at
// kumo's DynamoDB through AWS_ENDPOINT_URL_DYNAMODB, as a user's profile points them at AWS.
func TestSuspendResumeAndListActivities(t *testing.T) {
	srv := kumo.NewServer()
	t.Cleanup(srv.Close)
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL_DYNAMODB": srv.URL, "AWS_REGION": "us-east-1",
		"AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "SECRET",
		"AWS_CONFIG_FILE": os.DevNull, "AWS_SHARED_CREDENTIALS_FILE": os.DevNull, "AWS_PROFILE": "",
	} {
		t.Setenv(k, v)
	}
	ctx := context.Background()
	db := dynamodb.New(dynamodb.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("AKID", "SECRET", "")})
	table := "cli-" + t.Name()
	if err := store.CreateTable(ctx, db, table); err != nil {
		t.Fatal(err)
	}
	st := store.New(db, table)
	web := scaling.ServiceRef{Cluster: "prod", Service: "web"}
	args := []string{"--table", table, "--cluster", "prod", "--service", "web"}

	if err := run(ctx, append([]string{"suspend", "--direction", "in"}, args...)); err != nil {
		t.Fatal(err)
	}
	if s, _ := st.State(ctx, web); !s.SuspendedIn || s.SuspendedOut {
		t.Fatalf("after suspend --direction in: %+v", s)
	}
	if err := run(ctx, append([]string{"resume"}, args...)); err != nil { // both
		t.Fatal(err)
	}
	if s, _ := st.State(ctx, web); s.SuspendedIn || s.SuspendedOut {
		t.Fatalf("after resume: %+v", s)
	}
	if err := run(ctx, append([]string{"suspend", "--direction", "sideways"}, args...)); !strings.Contains(fmt.Sprint(err), "sideways") || report(io.Discard, err) != exitUsage {
		t.Errorf("bad direction: %v, want a usage error naming it", err)
	}
	if err := run(ctx, []string{"suspend", "--cluster", "prod"}); err == nil || report(io.Discard, err) != exitUsage {
		t.Errorf("missing --table and --service: %v, want a usage error", err)
	}

	if err := st.Record(ctx, web, store.Outcome{Activity: activity.Activity{ActivityID: "exec-1", ResourceID: web.ResourceID(), StatusCode: activity.StatusSuccessful}}); err != nil {
		t.Fatal(err)
	}
	held := activity.Activity{ActivityID: "exec-2", ResourceID: web.ResourceID(), StatusCode: activity.StatusNotScaled, StartTime: time.Now()}
	if err := st.Record(ctx, web, store.Outcome{Activity: held}); err != nil {
		t.Fatal(err)
	}
	out := captureStdout(t, func() error {
		return run(ctx, append([]string{"describe-scaling-activities", "--output", "json"}, args...))
	})
	if !strings.Contains(out, `"ActivityId": "exec-1"`) || !strings.Contains(out, `"ScalingActivities"`) || strings.Contains(out, "exec-2") {
		t.Errorf("describe-scaling-activities printed:\n%s\nwant exec-1 and not the not-scaled exec-2", out)
	}
	out = captureStdout(t, func() error {
		return run(ctx, append([]string{"--output", "json", "describe-scaling-activities", "--include-not-scaled-activities"}, args...))
	})
	if !strings.Contains(out, `"ActivityId": "exec-1"`) || !strings.Contains(out, `"ActivityId": "exec-2"`) {
		t.Errorf("with --include-not-scaled-activities:\n%s\nwant both", out)
	}
	// AWS_DEFAULT_OUTPUT picks the format when no --output is given.
	t.Setenv("AWS_DEFAULT_OUTPUT", "text")
	out = captureStdout(t, func() error { return run(ctx, append([]string{"describe-scaling-activities"}, args...)) })
	if out != "SCALINGACTIVITIES\texec-1\t0001-01-01T00:00:00Z\tSuccessful\t0\t0\t\t\n" {
		t.Errorf("--output text from AWS_DEFAULT_OUTPUT printed %q", out)
	}
}

func captureStdout(t *testing.T, f func() error) string {
	t.Helper()
	tmp, err := os.CreateTemp(t.TempDir(), "stdout")
	if err != nil {
		t.Fatal(err)
	}
	stdout := os.Stdout
	os.Stdout = tmp
	err = f()
	os.Stdout = stdout
	if err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(tmp.Name())
	return string(data)
}
