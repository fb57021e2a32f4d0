package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/stepscaler/stepscaler/internal/activity"
	"github.com/stepscaler/stepscaler/internal/scaling"
)

type activityItem struct {
	PK string `dynamodbav:"pk"`
	SK string `dynamodbav:"sk"`
	activity.Activity
	ExpiresAt int64 `dynamodbav:"expiresAt"`
}

// Outcome is what the record step writes for one execution. Record writes it all or
// nothing, so a scaling is never left without its activity or its cooldown.
type Outcome struct {
	Activity  activity.Activity
	Retention time.Duration // how long the activity is kept after its end
	// Scaled starts the cooldown of an execution that changed the desired count.
	Scaled *Scaled
	// NotScaled marks the activity as the newest not-scaled decision. Any other
	// activity clears the mark, so the same decision after a change is recorded again.
	NotScaled *activity.NotScaledMark
}

// Scaled is a change of the desired count, for the cooldowns: when, in which direction,
// and (for a scale-out) the capacity the step was counted from.
type Scaled struct {
	Direction scaling.Direction
	At        time.Time
	From      int
}

// Record writes an execution's outcome in one transaction: the activity item, and on the
// state item the cooldown's start and the not-scaled mark. Writing the same outcome again
// changes nothing, so a retried step records it once.
func (s *Store) Record(ctx context.Context, svc scaling.ServiceRef, o Outcome) error {
	item, err := attributevalue.MarshalMap(activityItem{
		PK:        serviceKey(svc),
		SK:        activitySort(o.Activity),
		Activity:  o.Activity,
		ExpiresAt: o.Activity.EndTime.Add(o.Retention).Unix(),
	})
	if err != nil {
		return fmt.Errorf("encode activity %s: %w", o.Activity.ActivityID, err)
	}
	update := &types.Update{TableName: &s.table, Key: key(serviceKey(svc), stateSort)}
	update.UpdateExpression, update.ExpressionAttributeValues = stateUpdate(o)
	_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{TableName: &s.table, Item: item}},
		{Update: update},
	}})
	if err != nil {
		return fmt.Errorf("record activity %s of %s: %w", o.Activity.ActivityID, svc, err)
	}
	return nil
}

// stateUpdate is the state item's part of an outcome.
func stateUpdate(o Outcome) (*string, map[string]types.AttributeValue) {
	set := []string{"lastActivityId = :id"}
	values := map[string]types.AttributeValue{":id": &types.AttributeValueMemberS{Value: o.Activity.ActivityID}}
	if sc := o.Scaled; sc != nil {
		values[":at"] = &types.AttributeValueMemberS{Value: sc.At.UTC().Format(time.RFC3339Nano)}
		if sc.Direction == scaling.Out {
			set = append(set, "lastScaleOutAt = :at", "lastScaleOutFrom = :from")
			values[":from"] = number(int64(sc.From))
		} else {
			set = append(set, "lastScaleInAt = :at")
		}
	}
	expr := ""
	if m := o.NotScaled; m != nil {
		set = append(set, "lastNotScaled = :mark")
		values[":mark"] = &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{
			"key":        &types.AttributeValueMemberS{Value: m.Key},
			"activityId": &types.AttributeValueMemberS{Value: m.ActivityID},
		}}
	} else {
		expr = " REMOVE lastNotScaled"
	}
	return aws.String("SET " + strings.Join(set, ", ") + expr), values
}

// activitySort orders a service's activities by start time; the id keeps two that started
// in the same millisecond apart.
func activitySort(a activity.Activity) string {
	return activityPrefix + a.StartTime.UTC().Format("2006-01-02T15:04:05.000Z") + "#" + a.ActivityID
}

// List returns svc's activities, newest first, at most limit of them (0: all).
func (s *Store) List(ctx context.Context, svc scaling.ServiceRef, limit int) ([]activity.Activity, error) {
	in := &dynamodb.QueryInput{
		TableName:              &s.table,
		KeyConditionExpression: aws.String("pk = :pk AND begins_with(sk, :prefix)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk":     &types.AttributeValueMemberS{Value: serviceKey(svc)},
			":prefix": &types.AttributeValueMemberS{Value: activityPrefix},
		},
		ScanIndexForward: aws.Bool(false),
	}
	var acts []activity.Activity
	p := dynamodb.NewQueryPaginator(s.db, in)
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list activities of %s: %w", svc, err)
		}
		var page []activity.Activity
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
