package store

import (
	"context"
	"errors"
	"fmt"
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

// Outcome is what the record step writes for one execution.
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

// Record writes an execution's outcome as three writes, each idempotent, in the order
// that keeps what matters most when DynamoDB refuses or drops one of them:
//
//  1. the cooldown's start, if the desired count changed: a scaling whose activity
//     cannot be written must still hold the next one back;
//  2. the activity item;
//  3. the state item's pointer to it and the not-scaled mark, only once the activity
//     exists, so a repeat is never suppressed in favour of a record that is missing.
//
// The cooldown and the activity are attempted whatever the other's fate; the error
// joins every failure, and a *CooldownError among them says the first write did not take
// effect (the caller then keeps the lease until it expires, in the cooldown's stead). Writing the same outcome again changes
// nothing, so a retried step records it once.
func (s *Store) Record(ctx context.Context, svc scaling.ServiceRef, o Outcome) error {
	var cooldownErr error
	if o.Scaled != nil {
		cooldownErr = s.startCooldown(ctx, svc, *o.Scaled)
	}
	err := s.putActivity(ctx, svc, o)
	if err == nil {
		err = s.markRecorded(ctx, svc, o)
	}
	if cooldownErr != nil {
		return errors.Join(&CooldownError{Err: cooldownErr}, err)
	}
	return err
}

// CooldownError reports that a scaling's cooldown could not be started: the service
// may scale again too soon unless its lease is kept until it expires.
type CooldownError struct{ Err error }

func (e *CooldownError) Error() string { return e.Err.Error() }
func (e *CooldownError) Unwrap() error { return e.Err }

func (s *Store) startCooldown(ctx context.Context, svc scaling.ServiceRef, sc Scaled) error {
	values := map[string]types.AttributeValue{":at": &types.AttributeValueMemberS{Value: sc.At.UTC().Format(time.RFC3339Nano)}}
	update := "SET lastScaleInAt = :at"
	if sc.Direction == scaling.Out {
		update = "SET lastScaleOutAt = :at, lastScaleOutFrom = :from"
		values[":from"] = number(int64(sc.From))
	}
	if err := s.updateState(ctx, svc, update, values); err != nil {
		return fmt.Errorf("start the scale-%s cooldown of %s: %w", sc.Direction, svc, err)
	}
	return nil
}

func (s *Store) putActivity(ctx context.Context, svc scaling.ServiceRef, o Outcome) error {
	item, err := attributevalue.MarshalMap(activityItem{
		PK:        serviceKey(svc),
		SK:        activitySort(o.Activity),
		Activity:  o.Activity,
		ExpiresAt: o.Activity.EndTime.Add(o.Retention).Unix(),
	})
	if err != nil {
		return fmt.Errorf("encode activity %s: %w", o.Activity.ActivityID, err)
	}
	if _, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.table, Item: item}); err != nil {
		return fmt.Errorf("write activity %s of %s: %w", o.Activity.ActivityID, svc, err)
	}
	return nil
}

// markRecorded points the state item at the activity and sets or clears the not-scaled
// mark.
func (s *Store) markRecorded(ctx context.Context, svc scaling.ServiceRef, o Outcome) error {
	update := "SET lastActivityId = :id REMOVE lastNotScaled"
	values := map[string]types.AttributeValue{":id": &types.AttributeValueMemberS{Value: o.Activity.ActivityID}}
	if m := o.NotScaled; m != nil {
		update = "SET lastActivityId = :id, lastNotScaled = :mark"
		values[":mark"] = &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{
			"key":        &types.AttributeValueMemberS{Value: m.Key},
			"activityId": &types.AttributeValueMemberS{Value: m.ActivityID},
		}}
	}
	if err := s.updateState(ctx, svc, update, values); err != nil {
		return fmt.Errorf("mark activity %s of %s recorded: %w", o.Activity.ActivityID, svc, err)
	}
	return nil
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
