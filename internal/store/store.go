// Package store keeps Stepscaler's records (internal/activity) in one DynamoDB table: per
// service a state item (the lease that keeps two scalings of one service apart, the times
// cooldowns count from, suspensions) and activity items shaped like Application Auto
// Scaling's scaling activities, which expire through TTL.
package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/stepscaler/stepscaler/internal/activity"
	"github.com/stepscaler/stepscaler/internal/scaling"
)

// Table layout. Every item of a service shares its partition, so one Query reads a
// service's history newest first.
const (
	KeyPartition = "pk"
	KeySort      = "sk"
	AttrTTL      = "expiresAt"

	stateSort      = "STATE"
	activityPrefix = "ACTIVITY#"
)

// DynamoDB is the part of the DynamoDB client the store uses.
type DynamoDB interface {
	GetItem(context.Context, *dynamodb.GetItemInput, ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(context.Context, *dynamodb.PutItemInput, ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	UpdateItem(context.Context, *dynamodb.UpdateItemInput, ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	Query(context.Context, *dynamodb.QueryInput, ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
}

// Store reads and writes the records of one table.
type Store struct {
	db    DynamoDB
	table string
}

// New returns a store over table.
func New(db DynamoDB, table string) *Store { return &Store{db: db, table: table} }

func serviceKey(s scaling.ServiceRef) string { return "SERVICE#" + s.String() }

func key(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		KeyPartition: &types.AttributeValueMemberS{Value: pk},
		KeySort:      &types.AttributeValueMemberS{Value: sk},
	}
}

// AcquireLease takes svc's lease for owner until now+ttl, unless another owner holds an
// unexpired one. Taking it again as the same owner succeeds, so a retried step is harmless.
func (s *Store) AcquireLease(ctx context.Context, svc scaling.ServiceRef, owner string, now time.Time, ttl time.Duration) (activity.Lease, error) {
	out, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:           &s.table,
		Key:                 key(serviceKey(svc), stateSort),
		UpdateExpression:    aws.String("SET leaseOwner = :owner, leaseExpiresAt = :expires"),
		ConditionExpression: aws.String("attribute_not_exists(leaseOwner) OR leaseOwner = :owner OR leaseExpiresAt < :now"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":owner":   &types.AttributeValueMemberS{Value: owner},
			":expires": number(now.Add(ttl).Unix()),
			":now":     number(now.Unix()),
		},
		ReturnValues: types.ReturnValueAllNew,
	})
	var held *types.ConditionalCheckFailedException
	switch {
	case errors.As(err, &held):
		st, err := s.State(ctx, svc)
		if err != nil {
			return activity.Lease{}, err
		}
		return activity.Lease{Acquired: false, Owner: st.LeaseOwner, State: st}, nil
	case err != nil:
		return activity.Lease{}, fmt.Errorf("acquire lease of %s: %w", svc, err)
	}
	var st activity.State
	if err := attributevalue.UnmarshalMap(out.Attributes, &st); err != nil {
		return activity.Lease{}, fmt.Errorf("decode state of %s: %w", svc, err)
	}
	return activity.Lease{Acquired: true, Owner: owner, State: st}, nil
}

// State reads svc's state item; a service never scaled has an empty one.
func (s *Store) State(ctx context.Context, svc scaling.ServiceRef) (activity.State, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      &s.table,
		Key:            key(serviceKey(svc), stateSort),
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return activity.State{}, fmt.Errorf("read state of %s: %w", svc, err)
	}
	var st activity.State
	if err := attributevalue.UnmarshalMap(out.Item, &st); err != nil {
		return activity.State{}, fmt.Errorf("decode state of %s: %w", svc, err)
	}
	return st, nil
}

// Release gives up owner's lease of svc. Releasing a lease owner no longer holds (already
// released, or expired and taken by another execution) does nothing.
func (s *Store) Release(ctx context.Context, svc scaling.ServiceRef, owner string) error {
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 &s.table,
		Key:                       key(serviceKey(svc), stateSort),
		UpdateExpression:          aws.String("REMOVE leaseOwner, leaseExpiresAt"),
		ConditionExpression:       aws.String("leaseOwner = :owner"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":owner": &types.AttributeValueMemberS{Value: owner}},
	})
	var lost *types.ConditionalCheckFailedException
	if err != nil && !errors.As(err, &lost) {
		return fmt.Errorf("release lease of %s: %w", svc, err)
	}
	return nil
}

// KeepRecommendations replaces svc's recent recommendations (for a scale-in
// stabilization window) while owner holds its lease: an execution that lost the lease
// writes nothing, as the execution that took it plans from its own reading.
func (s *Store) KeepRecommendations(ctx context.Context, svc scaling.ServiceRef, owner string, recs []scaling.Recommendation) error {
	list, err := attributevalue.Marshal(recs)
	if err != nil {
		return fmt.Errorf("encode the recommendations of %s: %w", svc, err)
	}
	_, err = s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:           &s.table,
		Key:                 key(serviceKey(svc), stateSort),
		UpdateExpression:    aws.String("SET recommendations = :recs"),
		ConditionExpression: aws.String("leaseOwner = :owner"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":recs":  list,
			":owner": &types.AttributeValueMemberS{Value: owner},
		},
	})
	var lost *types.ConditionalCheckFailedException
	if err != nil && !errors.As(err, &lost) {
		return fmt.Errorf("keep the recommendations of %s: %w", svc, err)
	}
	return nil
}

// SetSuspended suspends or resumes svc's scaling in dir. It takes effect at the next
// plan, without a redeploy.
func (s *Store) SetSuspended(ctx context.Context, svc scaling.ServiceRef, dir scaling.Direction, suspended bool) error {
	attr := "suspendedOut"
	if dir == scaling.In {
		attr = "suspendedIn"
	}
	update := "REMOVE " + attr
	var values map[string]types.AttributeValue
	if suspended {
		update = "SET " + attr + " = :true"
		values = map[string]types.AttributeValue{":true": &types.AttributeValueMemberBOOL{Value: true}}
	}
	if err := s.updateState(ctx, svc, update, values); err != nil {
		return fmt.Errorf("set scale-%s suspension of %s: %w", dir, svc, err)
	}
	return nil
}

// updateState applies an unconditional update to svc's state item.
func (s *Store) updateState(ctx context.Context, svc scaling.ServiceRef, update string, values map[string]types.AttributeValue) error {
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 &s.table,
		Key:                       key(serviceKey(svc), stateSort),
		UpdateExpression:          aws.String(update),
		ExpressionAttributeValues: values,
	})
	return err
}

func number(v int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(v, 10)}
}
