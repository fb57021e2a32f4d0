package service

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"strconv"
	"time"
)

// ParseError says what is wrong with a DescribeServices document and where: Path is a
// JSONPath-like location such as services[0].deployments[1].createdAt ("" for the whole
// document).
type ParseError struct {
	Path    string
	Problem string
}

func (e *ParseError) Error() string {
	if e.Path == "" {
		return "DescribeServices response: " + e.Problem
	}
	return "DescribeServices response: " + e.Path + ": " + e.Problem
}

// ParseDescribeServices reads a DescribeServices response document: the JSON body the API
// sends ({"services": [...], "failures": [...]}, timestamps in epoch seconds, as the
// ECS API Reference's DescribeServices example shows) or what `aws ecs describe-services`
// prints (the same document; AWS CLI version 2 prints timestamps in ISO 8601, version 1
// and the CLI reference's examples in epoch seconds). Fields it does not use are ignored,
// as AWS adds fields over time; a field it uses must have the type the API Reference gives
// it. Every snapshot is stamped observedAt.
func ParseDescribeServices(data []byte, observedAt time.Time) ([]Snapshot, []Failure, error) {
	top, err := decodeDocument(data)
	if err != nil {
		return nil, nil, err
	}
	root := newRoot(top)
	services, hasServices := root.array("services")
	failures, hasFailures := root.array("failures")
	if !root.failed() && !hasServices && !hasFailures {
		return nil, nil, &ParseError{Problem: `it has neither "services" nor "failures": not a DescribeServices response`}
	}
	var snaps []Snapshot
	for i, v := range services {
		snaps = append(snaps, root.element("services", i, v).snapshot(observedAt))
	}
	var fails []Failure
	for i, v := range failures {
		o := root.element("failures", i, v)
		fails = append(fails, Failure{ARN: o.str("arn"), Reason: o.str("reason"), Detail: o.str("detail")})
	}
	if root.err != nil {
		return nil, nil, root.err
	}
	return snaps, fails, nil
}

// decodeDocument reads exactly one JSON object, keeping numbers as written so that counts
// and timestamps are read without a detour through float64.
func decodeDocument(data []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &ParseError{Problem: "the document is empty"}
		}
		return nil, &ParseError{Problem: "not valid JSON: " + err.Error()}
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, &ParseError{Problem: "unexpected data after the JSON document"}
	}
	top, ok := doc.(map[string]any)
	if !ok {
		return nil, &ParseError{Problem: "want a JSON object, got " + kind(doc)}
	}
	return top, nil
}

func (o *object) snapshot(observedAt time.Time) Snapshot {
	s := Snapshot{
		ARN:                o.str("serviceArn"),
		Name:               o.str("serviceName"),
		Status:             o.str("status"),
		DesiredCount:       o.integer("desiredCount"),
		RunningCount:       o.integer("runningCount"),
		PendingCount:       o.integer("pendingCount"),
		SchedulingStrategy: o.str("schedulingStrategy"),
		LaunchType:         o.str("launchType"),
		TaskDefinition:     o.str("taskDefinition"),
		Deployments:        []Deployment{},
		ObservedAt:         observedAt.UTC(),
	}
	if c, ok := o.child("deploymentController"); ok {
		s.DeploymentController = c.str("type")
	}
	deployments, _ := o.array("deployments")
	for i, v := range deployments {
		d := o.element("deployments", i, v)
		s.Deployments = append(s.Deployments, Deployment{
			ID:                 d.str("id"),
			Status:             d.str("status"),
			TaskDefinition:     d.str("taskDefinition"),
			RolloutState:       d.str("rolloutState"),
			RolloutStateReason: d.str("rolloutStateReason"),
			DesiredCount:       d.integer("desiredCount"),
			RunningCount:       d.integer("runningCount"),
			PendingCount:       d.integer("pendingCount"),
			FailedTasks:        d.integer("failedTasks"),
			CreatedAt:          d.timestamp("createdAt"),
			UpdatedAt:          d.timestamp("updatedAt"),
		})
	}
	taskSets, _ := o.array("taskSets")
	for i, v := range taskSets {
		t := o.element("taskSets", i, v)
		set := TaskSet{
			ID:                   t.str("id"),
			Status:               t.str("status"),
			TaskDefinition:       t.str("taskDefinition"),
			ComputedDesiredCount: t.integer("computedDesiredCount"),
			RunningCount:         t.integer("runningCount"),
			PendingCount:         t.integer("pendingCount"),
			StabilityStatus:      t.str("stabilityStatus"),
			StabilityStatusAt:    t.timestamp("stabilityStatusAt"),
			CreatedAt:            t.timestamp("createdAt"),
			UpdatedAt:            t.timestamp("updatedAt"),
		}
		if scale, ok := t.child("scale"); ok {
			set.ScalePercent = scale.number("value")
		}
		s.TaskSets = append(s.TaskSets, set)
	}
	events, _ := o.array("events")
	for i, v := range events {
		e := o.element("events", i, v)
		s.Events = append(s.Events, Event{ID: e.str("id"), CreatedAt: e.timestamp("createdAt"), Message: e.str("message")})
	}
	return s
}

// object reads the fields of one JSON object. The first problem met anywhere in the
// document is kept on the root object and later reads return zero values, so a conversion
// reads top-down and checks once.
type object struct {
	path   string
	fields map[string]any
	root   *object
	err    error // set on the root only
}

func newRoot(fields map[string]any) *object {
	o := &object{fields: fields}
	o.root = o
	return o
}

func (o *object) fail(key, format string, args ...any) {
	if o.root.err == nil {
		o.root.err = &ParseError{Path: o.at(key), Problem: fmt.Sprintf(format, args...)}
	}
}

func (o *object) failed() bool { return o.root.err != nil }

func (o *object) at(key string) string {
	if o.path == "" {
		return key
	}
	return o.path + "." + key
}

// value returns the field, treating JSON null as absent.
func (o *object) value(key string) (any, bool) {
	if o.failed() {
		return nil, false
	}
	v, ok := o.fields[key]
	return v, ok && v != nil
}

func (o *object) str(key string) string {
	v, ok := o.value(key)
	if !ok {
		return ""
	}
	s, isString := v.(string)
	if !isString {
		o.fail(key, "want a string, got %s", kind(v))
	}
	return s
}

// integer reads an Integer field, which the API Reference types as a 32-bit integer.
func (o *object) integer(key string) int {
	v, ok := o.value(key)
	if !ok {
		return 0
	}
	n, isNumber := v.(json.Number)
	if !isNumber {
		o.fail(key, "want an integer, got %s", kind(v))
		return 0
	}
	i, err := strconv.ParseInt(string(n), 10, 32)
	if err != nil {
		o.fail(key, "want a 32-bit integer, got %s", n)
		return 0
	}
	return int(i)
}

func (o *object) number(key string) float64 {
	v, ok := o.value(key)
	if !ok {
		return 0
	}
	n, isNumber := v.(json.Number)
	if !isNumber {
		o.fail(key, "want a number, got %s", kind(v))
		return 0
	}
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil {
		o.fail(key, "want a number, got %s", n)
	}
	return f
}

// timestamp reads a Timestamp field: a number of seconds since the epoch, as the API sends
// it and AWS CLI version 1 prints it, or an ISO 8601 string, as AWS CLI version 2 prints
// it (2020-04-06T15:28:18.298000+02:00).
func (o *object) timestamp(key string) time.Time {
	v, ok := o.value(key)
	if !ok {
		return time.Time{}
	}
	switch v := v.(type) {
	case json.Number:
		t, err := epochSeconds(string(v))
		if err != nil {
			o.fail(key, "%v", err)
		}
		return t
	case string:
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			o.fail(key, "want epoch seconds or an ISO 8601 timestamp such as 2020-04-06T15:28:18.298000+02:00, got %q", v)
		}
		return t.UTC()
	default:
		o.fail(key, "want epoch seconds or an ISO 8601 timestamp, got %s", kind(v))
		return time.Time{}
	}
}

// maxEpochMillis keeps epoch timestamps within what time.Unix(0, ms*1e6) can hold.
const maxEpochMillis = math.MaxInt64 / int64(time.Millisecond)

// epochSeconds converts the way the AWS SDK for Go does (smithy-go's ParseEpochSeconds):
// the number is read as a float64, multiplied by 1000 in big.Float arithmetic and truncated
// to whole milliseconds. Doing the same keeps a document parsed here equal to the SDK's
// reading of it.
func epochSeconds(n string) (time.Time, error) {
	f, err := strconv.ParseFloat(n, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("want epoch seconds, got %s", n)
	}
	ms, _ := new(big.Float).Mul(big.NewFloat(f), big.NewFloat(1e3)).Int64()
	if ms > maxEpochMillis || ms < -maxEpochMillis {
		return time.Time{}, fmt.Errorf("epoch seconds %s are out of range", n)
	}
	return time.Unix(0, ms*int64(time.Millisecond)).UTC(), nil
}

// array reads an array field; present reports whether the key is there at all.
func (o *object) array(key string) (elements []any, present bool) {
	_, present = o.fields[key]
	v, ok := o.value(key)
	if !ok {
		return nil, present
	}
	a, isArray := v.([]any)
	if !isArray {
		o.fail(key, "want an array, got %s", kind(v))
		return nil, true
	}
	return a, true
}

func (o *object) child(key string) (*object, bool) {
	v, ok := o.value(key)
	if !ok {
		return nil, false
	}
	m, isObject := v.(map[string]any)
	if !isObject {
		o.fail(key, "want an object, got %s", kind(v))
		return nil, false
	}
	return &object{path: o.at(key), fields: m, root: o.root}, true
}

// element returns the i-th element of the array at key as an object.
func (o *object) element(key string, i int, v any) *object {
	m, isObject := v.(map[string]any)
	if !isObject {
		o.fail(fmt.Sprintf("%s[%d]", key, i), "want an object, got %s", kind(v))
	}
	return &object{path: fmt.Sprintf("%s[%d]", o.at(key), i), fields: m, root: o.root}
}

func kind(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case string:
		return fmt.Sprintf("the string %q", v)
	case json.Number:
		return "the number " + string(v)
	case bool:
		return "a boolean"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	default:
		return fmt.Sprintf("%T", v)
	}
}
