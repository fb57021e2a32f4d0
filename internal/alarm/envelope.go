package alarm

import (
	"encoding/json"
	"strconv"
	"strings"
)

// MaxEnvelopeSize is the largest input Messages accepts: Lambda's limit on a
// synchronous invocation's payload, 6 MiB, which bounds any event a function
// could have been handed. (Escaping can make an SNS record several times the
// size of the message it carries, so MaxMessageSize would be too small.)
const MaxEnvelopeSize = 6 * 1024 * 1024

// maxNesting bounds how many envelopes Messages unwraps, such as an SQS
// record whose body is an SNS envelope. Two levels are all AWS produces.
const maxNesting = 3

// Messages extracts the alarm message strings from a notification as a user
// may have captured it, each to be handed to Parse:
//
//   - an SNS event as Lambda receives it: {"Records":[{"EventSource":"aws:sns","Sns":{...,"Message":"..."}}]}
//   - a single record of such an event: {"EventSource":"aws:sns","Sns":{...}} or just {"Sns":{...}}
//   - an SNS HTTP/HTTPS delivery, or an SQS message body from an SNS
//     subscription: {"Type":"Notification",...,"Message":"..."}
//   - an SQS event as Lambda receives it, whose records' bodies are either of
//     the above or the bare message (raw message delivery)
//   - the bare alarm message itself
//
// Messages checks only the wrapping; the messages themselves are validated by
// Parse. Errors are *FieldError.
func Messages(data []byte) ([]string, error) {
	if len(data) > MaxEnvelopeSize {
		return nil, &FieldError{Problem: "input is " + strconv.Itoa(len(data)) + " bytes, more than the limit of " + strconv.Itoa(MaxEnvelopeSize)}
	}
	top, ferr := decodeObject(data)
	if ferr != nil {
		return nil, ferr
	}
	var d decoder
	msgs := d.extract(object{m: top}, strings.Trim(string(data), jsonSpace), 0)
	if d.err != nil {
		return nil, d.err
	}
	return msgs, nil
}

// extract recognises the shape of o, whose source text is raw, and returns the
// alarm messages inside it.
func (d *decoder) extract(o object, raw string, depth int) []string {
	if depth > maxNesting {
		d.fail(o.path, "envelopes nested more than %d deep", maxNesting)
		return nil
	}
	switch {
	case has(o, "Records"):
		records := d.objects(o, "Records")
		if d.err == nil && len(records) == 0 {
			d.fail(o.field("Records"), "empty")
		}
		var msgs []string
		for _, r := range records {
			msgs = append(msgs, d.record(r, depth)...)
			if d.err != nil {
				return nil
			}
		}
		return msgs
	case has(o, "Sns"), has(o, "EventSource"), has(o, "eventSource"):
		return d.record(o, depth)
	case has(o, "Message"):
		return d.envelope(o)
	case has(o, "AlarmName"), has(o, "NewStateValue"), has(o, "AlarmArn"):
		return []string{raw}
	default:
		d.fail(o.path, "not an alarm message, SNS event, SNS record or SNS envelope (it has none of AlarmName, Records, Sns or Message)")
		return nil
	}
}

func has(o object, key string) bool {
	_, ok := o.m[key]
	return ok
}

// record handles one Lambda event record: SNS records spell their source
// "EventSource" and carry "Sns"; SQS records spell it "eventSource" and carry
// "body".
func (d *decoder) record(r object, depth int) []string {
	source, key := d.str(r, "EventSource"), "EventSource"
	if source == "" {
		source, key = d.str(r, "eventSource"), "eventSource"
	}
	switch {
	case source == "aws:sqs":
		body := d.str(r, "body")
		if body == "" {
			d.fail(r.field("body"), "missing")
			return nil
		}
		m, ferr := decodeObject([]byte(body))
		if ferr != nil {
			field := r.field("body")
			if ferr.Field != "" {
				field = object{path: field}.field(ferr.Field)
			}
			d.fail(field, "%s", ferr.Problem)
			return nil
		}
		return d.extract(object{path: r.field("body"), m: m}, strings.Trim(body, jsonSpace), depth+1)
	case source != "" && source != "aws:sns":
		d.fail(r.field(key), "not an SNS or SQS record (%s)", quote(source))
		return nil
	}
	sns, ok := d.obj(r, "Sns")
	if !ok {
		d.fail(r.field("Sns"), "missing")
		return nil
	}
	return d.envelope(sns)
}

// envelope handles the SNS message wrapper, which is the same in an SNS
// record, an HTTP delivery and an SQS body.
func (d *decoder) envelope(o object) []string {
	// Only a Notification carries a message; a SubscriptionConfirmation
	// captured by mistake should say so rather than fail inside Parse.
	if typ := d.str(o, "Type"); typ != "" && typ != "Notification" {
		d.fail(o.field("Type"), "%s, not a Notification", quote(typ))
		return nil
	}
	switch v := o.m["Message"].(type) {
	case string:
		if strings.TrimSpace(v) == "" {
			d.fail(o.field("Message"), "empty")
			return nil
		}
		return []string{v}
	case map[string]any:
		// A hand-edited capture may have the message as an object instead
		// of a string; re-encode it (json.Number keeps numbers exact).
		b, err := json.Marshal(v)
		if err != nil {
			d.fail(o.field("Message"), "cannot re-encode: %v", err)
			return nil
		}
		return []string{string(b)}
	case nil:
		d.fail(o.field("Message"), "missing")
	default:
		d.typeError(o.field("Message"), "a string", v)
	}
	return nil
}
