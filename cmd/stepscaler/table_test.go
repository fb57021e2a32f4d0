package main

import (
	"context"
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

	if err := suspend(ctx, append(args, "--direction", "in"), true); err != nil {
		t.Fatal(err)
	}
	if s, _ := st.State(ctx, web); !s.SuspendedIn || s.SuspendedOut {
		t.Fatalf("after suspend --direction in: %+v", s)
	}
	if err := suspend(ctx, args, false); err != nil { // both
		t.Fatal(err)
	}
	if s, _ := st.State(ctx, web); s.SuspendedIn || s.SuspendedOut {
		t.Fatalf("after resume: %+v", s)
	}
	if err := suspend(ctx, append(args, "--direction", "sideways"), true); err == nil || !strings.Contains(err.Error(), "sideways") {
		t.Errorf("bad direction: %v", err)
	}
	if err := suspend(ctx, []string{"--cluster", "prod"}, true); err == nil {
		t.Error("missing --table and --service accepted")
	}

	if err := st.Record(ctx, web, store.Outcome{Activity: activity.Activity{ActivityID: "exec-1", ResourceID: web.ResourceID(), StatusCode: activity.StatusSuccessful}}); err != nil {
		t.Fatal(err)
	}
	held := activity.Activity{ActivityID: "exec-2", ResourceID: web.ResourceID(), StatusCode: activity.StatusNotScaled, StartTime: time.Now()}
	if err := st.Record(ctx, web, store.Outcome{Activity: held}); err != nil {
		t.Fatal(err)
	}
	out := captureStdout(t, func() error { return describeActivities(ctx, append(args, "--output", "json")) })
	if !strings.Contains(out, `"ActivityId": "exec-1"`) || !strings.Contains(out, `"ScalingActivities"`) || strings.Contains(out, "exec-2") {
		t.Errorf("describe-scaling-activities printed:\n%s\nwant exec-1 and not the not-scaled exec-2", out)
	}
	out = captureStdout(t, func() error {
		return describeActivities(ctx, append(args, "--output", "json", "--include-not-scaled-activities"))
	})
	if !strings.Contains(out, `"ActivityId": "exec-1"`) || !strings.Contains(out, `"ActivityId": "exec-2"`) {
		t.Errorf("with --include-not-scaled-activities:\n%s\nwant both", out)
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
