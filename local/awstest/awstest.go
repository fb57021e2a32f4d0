// Package awstest gives tests the local AWS services and the SDK clients that talk to
// them: the ECS and CloudWatch emulators, started for one test and closed when it ends,
// and kumo's DynamoDB, one server for the whole test binary with a table for each test.
//
// Every client has the SDK's own retries off (RetryMaxAttempts 1), so a test sees each
// answer as the service gave it, and the retries under test are the state machine's.
package awstest

import (
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/sivchari/kumo"

	"github.com/stepscaler/stepscaler/internal/store"
	"github.com/stepscaler/stepscaler/local/cwemu"
	"github.com/stepscaler/stepscaler/local/ecsemu"
)

// Region is every client's Region.
const Region = "us-east-1"

// Credentials are every client's; the local services check no signature.
var Credentials = credentials.NewStaticCredentialsProvider("AKID", "SECRET", "")

// StartECS starts the ECS emulator for the test and closes it when the test ends.
func StartECS(t testing.TB, opts ecsemu.Options) *ecsemu.Emulator {
	t.Helper()
	emu, err := ecsemu.Start(opts)
	if err != nil {
		t.Fatalf("start the ECS emulator: %v", err)
	}
	t.Cleanup(func() {
		if err := emu.Close(); err != nil {
			t.Errorf("close the ECS emulator: %v", err)
		}
	})
	return emu
}

// StartCloudWatch starts the CloudWatch emulator for the test and closes it when the
// test ends.
func StartCloudWatch(t testing.TB, opts cwemu.Options) *cwemu.Emulator {
	t.Helper()
	emu, err := cwemu.Start(opts)
	if err != nil {
		t.Fatalf("start the CloudWatch emulator: %v", err)
	}
	t.Cleanup(func() {
		if err := emu.Close(); err != nil {
			t.Errorf("close the CloudWatch emulator: %v", err)
		}
	})
	return emu
}

// ECS is a client of the ECS endpoint at url.
func ECS(url string) *ecs.Client {
	return ecs.New(ecs.Options{Region: Region, BaseEndpoint: aws.String(url), Credentials: Credentials, RetryMaxAttempts: 1})
}

// CloudWatch is a client of the CloudWatch endpoint at url.
func CloudWatch(url string) *cloudwatch.Client {
	return cloudwatch.New(cloudwatch.Options{Region: Region, BaseEndpoint: aws.String(url), Credentials: Credentials, RetryMaxAttempts: 1})
}

// kumo's server is not safe to start from parallel tests (it wires process-wide state),
// so a test binary shares one, each test with a table of its own.
var dynamo struct {
	once   sync.Once
	srv    *kumo.Server
	tables atomic.Int64
}

// DynamoDB is a client of the test binary's kumo server, started on first use, and a new
// table of Stepscaler's schema for the test, named for it (also under -count).
func DynamoDB(t testing.TB) (*dynamodb.Client, string) {
	t.Helper()
	dynamo.once.Do(func() { dynamo.srv = kumo.NewServer() })
	db := dynamodb.New(dynamodb.Options{Region: Region, BaseEndpoint: aws.String(dynamo.srv.URL), Credentials: Credentials, RetryMaxAttempts: 1})
	table := fmt.Sprintf("stepscaler-%s-%d", t.Name(), dynamo.tables.Add(1))
	if err := store.CreateTable(t.Context(), db, table); err != nil {
		t.Fatalf("create table: %v", err)
	}
	return db, table
}

// Main runs a test binary's tests, then stops its kumo server: a package that calls
// DynamoDB has it as its TestMain.
func Main(m *testing.M) {
	code := m.Run()
	if dynamo.srv != nil {
		dynamo.srv.Close()
	}
	os.Exit(code)
}
