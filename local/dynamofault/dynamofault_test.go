package dynamofault_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/sivchari/kumo"

	"github.com/stepscaler/stepscaler/local/dynamofault"
)

// The proxy runs in front of kumo's DynamoDB; the real client talks to it with its own
// retries off, and the test reads DynamoDB behind the proxy's back. kumo keeps its tables
// process-wide: each test has its own.
var (
	table  string
	tables atomic.Int64
)

func setup(t *testing.T) (via, direct *dynamodb.Client, p *dynamofault.Proxy) {
	t.Helper()
	srv := kumo.NewServer()
	t.Cleanup(srv.Close)
	p, err := dynamofault.Start(srv.URL, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	client := func(url string) *dynamodb.Client {
		return dynamodb.New(dynamodb.Options{Region: "us-east-1", BaseEndpoint: aws.String(url), RetryMaxAttempts: 1,
			Credentials: credentials.NewStaticCredentialsProvider("AKID", "SECRET", "")})
	}
	direct = client(srv.URL)
	table = fmt.Sprintf("%s-%d", t.Name(), tables.Add(1)) // also under -count
	_, err = direct.CreateTable(t.Context(), &dynamodb.CreateTableInput{
		TableName:            aws.String(table),
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash}},
		BillingMode:          types.BillingModePayPerRequest,
	})
	if err != nil {
		t.Fatal(err)
	}
	return client(p.URL()), direct, p
}

func put(ctx context.Context, c *dynamodb.Client, pk, attr string) error {
	_, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: map[string]types.AttributeValue{
		"pk": &types.AttributeValueMemberS{Value: pk}, attr: &types.AttributeValueMemberBOOL{Value: true}}})
	return err
}

func exists(t *testing.T, c *dynamodb.Client, pk string) bool {
	t.Helper()
	out, err := c.GetItem(t.Context(), &dynamodb.GetItemInput{TableName: aws.String(table),
		Key: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: pk}}, ConsistentRead: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	return out.Item != nil
}

// wantAPIError checks the client decoded the error DynamoDB would send: its code, and
// the HTTP status DynamoDB's documentation gives it.
func wantAPIError(t *testing.T, err error, code string, status int) {
	t.Helper()
	var apiErr smithy.APIError
	var resp *smithyhttp.ResponseError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != code || !errors.As(err, &resp) || resp.HTTPStatusCode() != status {
		t.Fatalf("error = %v, want %s with HTTP %d", err, code, status)
	}
}

func TestRefusedBeforeItTakesEffect(t *testing.T) {
	via, direct, p := setup(t)
	p.Inject(dynamofault.Fault{Operation: "PutItem", Error: dynamofault.ProvisionedThroughputExceeded})
	wantAPIError(t, put(t.Context(), via, "a", "x"), dynamofault.ProvisionedThroughputExceeded, 400)
	var throughput *types.ProvisionedThroughputExceededException
	if err := put(t.Context(), via, "b", "x"); err != nil || errors.As(err, &throughput) {
		t.Fatalf("second put = %v, want the fault used up", err)
	}
	if exists(t, direct, "a") || !exists(t, direct, "b") {
		t.Errorf("a refused write took effect, or an allowed one did not")
	}
	if n := p.Calls("PutItem"); n != 2 {
		t.Errorf("PutItem calls = %d, want 2", n)
	}
}

func TestWithdraw(t *testing.T) {
	via, direct, p := setup(t)
	withdraw := p.Inject(dynamofault.Fault{Operation: "PutItem", Times: 100})
	wantAPIError(t, put(t.Context(), via, "a", "x"), dynamofault.InternalServerError, 500)
	withdraw()
	if err := put(t.Context(), via, "b", "x"); err != nil {
		t.Fatalf("put after the fault was withdrawn: %v", err)
	}
	if exists(t, direct, "a") || !exists(t, direct, "b") {
		t.Errorf("a refused write took effect, or an allowed one did not")
	}
}

func TestCommittedAnswerLost(t *testing.T) {
	via, direct, p := setup(t)
	p.Inject(dynamofault.Fault{Operation: "PutItem", AfterCommit: true})
	wantAPIError(t, put(t.Context(), via, "a", "x"), dynamofault.InternalServerError, 500)
	if !exists(t, direct, "a") {
		t.Errorf("the write did not take effect")
	}
}

// A Match tells apart two writes of one operation.
func TestMatch(t *testing.T) {
	via, direct, p := setup(t)
	p.Inject(dynamofault.Fault{Operation: "PutItem", Match: []string{`"cooldown"`, `"BOOL":true`}, Error: dynamofault.AccessDenied, Times: 2})
	if err := put(t.Context(), via, "a", "activity"); err != nil {
		t.Fatalf("unmatched put: %v", err)
	}
	wantAPIError(t, put(t.Context(), via, "b", "cooldown"), dynamofault.AccessDenied, 400)
	wantAPIError(t, put(t.Context(), via, "c", "cooldown"), dynamofault.AccessDenied, 400)
	if err := put(t.Context(), via, "d", "cooldown"); err != nil {
		t.Fatalf("put after the fault's two uses: %v", err)
	}
	if !exists(t, direct, "a") || exists(t, direct, "b") || exists(t, direct, "c") || !exists(t, direct, "d") {
		t.Errorf("the fault matched the wrong writes")
	}
}

// A write that commits while its caller has given up: the caller sees its deadline,
// DynamoDB has the item.
func TestCommitsAfterTheCallerGaveUp(t *testing.T) {
	via, direct, p := setup(t)
	p.Inject(dynamofault.Fault{Operation: "PutItem", AfterCommit: true, Delay: time.Minute})
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	if err := put(ctx, via, "a", "x"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("put = %v, want the caller's deadline", err)
	}
	if !exists(t, direct, "a") {
		t.Errorf("the write did not take effect")
	}
}
