package activity

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/stepscaler/stepscaler/internal/scaling"
)

// Status codes, as Application Auto Scaling's scaling activities use them.
const (
	StatusSuccessful  = "Successful"
	StatusFailed      = "Failed"
	StatusUnfulfilled = "Unfulfilled"
	StatusOverridden  = "Overridden"
	StatusInProgress  = "InProgress"
)

// Activity is one scaling activity: one execution of the workflow, whatever its outcome.
// Field names follow Application Auto Scaling's ScalingActivity.
type Activity struct {
	ActivityID        string                    `dynamodbav:"activityId" json:"ActivityId"`
	ServiceNamespace  string                    `dynamodbav:"serviceNamespace" json:"ServiceNamespace"`
	ResourceID        string                    `dynamodbav:"resourceId" json:"ResourceId"`
	ScalableDimension string                    `dynamodbav:"scalableDimension" json:"ScalableDimension"`
	Description       string                    `dynamodbav:"description" json:"Description"`
	Cause             string                    `dynamodbav:"cause" json:"Cause"`
	StartTime         time.Time                 `dynamodbav:"startTime" json:"StartTime"`
	EndTime           time.Time                 `dynamodbav:"endTime" json:"EndTime"`
	StatusCode        string                    `dynamodbav:"statusCode" json:"StatusCode"`
	StatusMessage     string                    `dynamodbav:"statusMessage" json:"StatusMessage"`
	Details           string                    `dynamodbav:"details,omitempty" json:"Details,omitempty"`
	NotScaledReasons  []scaling.NotScaledReason `dynamodbav:"notScaledReasons,omitempty" json:"NotScaledReasons,omitempty"`

	// Stepscaler's additions: where to look for more, and the counts involved.
	AlarmName    string `dynamodbav:"alarmName" json:"AlarmName"`
	ExecutionARN string `dynamodbav:"executionArn" json:"ExecutionArn"`
	FromCount    int    `dynamodbav:"fromCount" json:"FromCount"`
	ToCount      int    `dynamodbav:"toCount" json:"ToCount"`
}

// Failed reports whether the activity should end its execution red.
func (a Activity) Failed() bool {
	return a.StatusCode == StatusFailed || a.StatusCode == StatusUnfulfilled
}

type activityItem struct {
	PK string `dynamodbav:"pk"`
	SK string `dynamodbav:"sk"`
	Activity
	ExpiresAt int64 `dynamodbav:"expiresAt"`
}

// Put records a (for svc, finished) activity; it expires retention after its end. Writing
// the same activity again overwrites it, so a retried step records it once.
func (s *Store) Put(ctx context.Context, svc scaling.ServiceRef, a Activity, retention time.Duration) error {
	item, err := attributevalue.MarshalMap(activityItem{
		PK:        serviceKey(svc),
		SK:        activitySort(a),
		Activity:  a,
		ExpiresAt: a.EndTime.Add(retention).Unix(),
	})
	if err != nil {
		return fmt.Errorf("encode activity %s: %w", a.ActivityID, err)
	}
	if _, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.table, Item: item}); err != nil {
		return fmt.Errorf("record activity %s: %w", a.ActivityID, err)
	}
	return nil
}

// activitySort orders a service's activities by start time; the id keeps two that started
// in the same millisecond apart.
func activitySort(a Activity) string {
	return activityPrefix + a.StartTime.UTC().Format("2006-01-02T15:04:05.000Z") + "#" + a.ActivityID
}

// List returns svc's activities, newest first, at most limit of them (0: all).
func (s *Store) List(ctx context.Context, svc scaling.ServiceRef, limit int) ([]Activity, error) {
	in := &dynamodb.QueryInput{
		TableName:              &s.table,
		KeyConditionExpression: aws.String("pk = :pk AND begins_with(sk, :prefix)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk":     &types.AttributeValueMemberS{Value: serviceKey(svc)},
			":prefix": &types.AttributeValueMemberS{Value: activityPrefix},
		},
		ScanIndexForward: aws.Bool(false),
	}
	var acts []Activity
	p := dynamodb.NewQueryPaginator(s.db, in)
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list activities of %s: %w", svc, err)
		}
		var page []Activity
		if err := attributevalue.UnmarshalListOfMaps(out.Items, &page); err != nil {
			return nil, fmt.Errorf("decode activities of %s: %w", svc, err)
		}
		acts = append(acts, page...)
		if limit > 0 && len(acts) >= limit {
			return acts[:limit], nil
		}
	}
	return acts, nil
}
