package cwemu

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/fxamacker/cbor/v2"
)

// The Smithy RPC v2 CBOR protocol, as the aws-sdk-go-v2 CloudWatch client speaks it
// (smithy-go transport/http/protocol/rpcv2): every operation is
// POST /service/GraniteServiceVersion20100801/operation/<Operation> with a
// "Smithy-Protocol: rpc-v2-cbor" header and a CBOR body (absent for an empty input);
// the response is a CBOR map, or no body for an operation without output. Timestamps
// are CBOR tag 1 epoch seconds. The client gzips large bodies (Content-Encoding: gzip;
// PutMetricData carries the requestCompression trait).
const (
	serviceName     = "GraniteServiceVersion20100801"
	smithyProtocol  = "rpc-v2-cbor"
	cborContentType = "application/cbor"
	// maxRequestBytes is PutMetricData's documented limit, 1 MB per request, the largest
	// of the emulated operations; it applies to the uncompressed body.
	maxRequestBytes = 1 << 20
)

var (
	decMode = func() cbor.DecMode {
		m, err := cbor.DecOptions{TimeTag: cbor.DecTagOptional}.DecMode()
		if err != nil {
			panic(fmt.Sprintf("cwemu: CBOR decode mode: %v", err))
		}
		return m
	}()
	// encMode writes timestamps as tag 1 epoch seconds with a fraction, doubles as
	// 64-bit floats, and nil lists as empty ones.
	encMode = func() cbor.EncMode {
		m, err := cbor.EncOptions{
			Time:          cbor.TimeUnixMicro,
			TimeTag:       cbor.EncTagRequired,
			NilContainers: cbor.NilContainerAsEmpty,
		}.EncMode()
		if err != nil {
			panic(fmt.Sprintf("cwemu: CBOR encode mode: %v", err))
		}
		return m
	}()
)

// noBody is the output of an operation whose output is Smithy's Unit: the response has
// no body.
type noBody struct{}

// delivery is an alarm notification waiting to be published.
type delivery struct {
	alarm, topic, subject, message string
}

// call is one request being handled: its time, and the notifications its state
// changes owe, which are published once the emulator's lock is released.
type call struct {
	now        time.Time
	deliveries []delivery
}

// operation handles one API action; it runs with Emulator.mu held.
type operation func(e *Emulator, c *call, body []byte) (any, error)

var operations = map[string]operation{
	"PutMetricAlarm":    handle((*Emulator).putMetricAlarm),
	"PutCompositeAlarm": handle((*Emulator).putCompositeAlarm),
	"DescribeAlarms":    handle((*Emulator).describeAlarms),
	"SetAlarmState":     handle((*Emulator).setAlarmState),
	"PutMetricData":     handle((*Emulator).putMetricData),
	"GetMetricData":     handle((*Emulator).getMetricData),
}

// handle adapts a typed operation to the generic signature, decoding the request body
// into In.
func handle[In, Out any](f func(*Emulator, *call, *In) (Out, error)) operation {
	return func(e *Emulator, c *call, body []byte) (any, error) {
		var in In
		if len(body) > 0 {
			if err := decMode.Unmarshal(body, &in); err != nil {
				return nil, errorf("SerializationException", "Unable to parse the request body as CBOR: %v", err)
			}
		}
		return f(e, c, &in)
	}
}

// serveAPI answers one CloudWatch API request.
func (e *Emulator) serveAPI(w http.ResponseWriter, r *http.Request) {
	requestID := newRequestID()
	start := time.Now()
	op := r.PathValue("op")
	out, deliveries, err := e.serveOperation(r, op)
	// Notifications go out before the response, so that when a call that changed an
	// alarm's state returns, its notifications have been published.
	e.deliver(r.Context(), deliveries)
	var aerr *apiError
	switch {
	case err == nil:
		writeResponse(w, requestID, out)
	case errors.As(err, &aerr):
		writeError(w, requestID, aerr)
	default:
		e.log.Error("cwemu: internal error", "op", op, "err", err)
		aerr = &apiError{Code: InternalServiceError, Message: "Internal error."}
		writeError(w, requestID, aerr)
	}
	attrs := []any{"op", op, "requestId", requestID, "duration", time.Since(start)}
	if aerr != nil {
		attrs = append(attrs, "error", aerr.Code)
	}
	e.log.Debug("cloudwatch request", attrs...)
}

func (e *Emulator) serveOperation(r *http.Request, op string) (any, []delivery, error) {
	if got := r.Header.Get("Smithy-Protocol"); got != smithyProtocol {
		return nil, nil, errorf("SerializationException", "Expected the Smithy-Protocol header %q, got %q.", smithyProtocol, got)
	}
	body, aerr := readBody(r)
	if aerr != nil {
		return nil, nil, aerr
	}
	return e.call(op, r.Header.Get("Authorization"), body)
}

// call runs one request: it is counted, then checked in the order a client would meet
// the failures: authentication, injected faults, and finally the operation itself.
func (e *Emulator) call(op, authorization string, body []byte) (any, []delivery, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.faults.Count(op)
	// Signatures are not checked, but an unsigned request is an error in CloudWatch and
	// almost certainly a misconfigured client here.
	if authorization == "" {
		return nil, nil, errorf("MissingAuthenticationToken", "Request is missing Authentication Token")
	}
	handler, ok := operations[op]
	if !ok {
		return nil, nil, errorf("UnknownOperation", "The local CloudWatch emulator does not implement the operation %s.", op)
	}
	if f, ok := e.faults.Take(op, body); ok {
		return nil, nil, &apiError{Code: f.Error, Message: f.Message}
	}
	c := &call{now: e.now()}
	out, err := handler(e, c, body)
	if err != nil {
		return nil, nil, err
	}
	return out, c.deliveries, nil
}

// readBody reads the request body, gunzipping it if the client compressed it.
func readBody(r *http.Request) ([]byte, *apiError) {
	var src io.Reader = r.Body
	switch enc := strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Encoding"))); enc {
	case "", "identity":
	case "gzip":
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			return nil, errorf("SerializationException", "Unable to decompress the gzip request body: %v", err)
		}
		defer func() { _ = zr.Close() }()
		src = zr
	default:
		return nil, errorf("SerializationException", "Unsupported Content-Encoding %q.", enc)
	}
	body, err := io.ReadAll(io.LimitReader(src, maxRequestBytes+1))
	if err != nil {
		return nil, errorf("SerializationException", "Unable to read the request body: %v", err)
	}
	if len(body) > maxRequestBytes {
		return nil, errorf("RequestEntityTooLarge", "Request size exceeded %d bytes.", maxRequestBytes)
	}
	return body, nil
}

func writeResponse(w http.ResponseWriter, requestID string, out any) {
	h := w.Header()
	h.Set("Smithy-Protocol", smithyProtocol)
	h.Set("X-Amzn-Requestid", requestID)
	if _, empty := out.(noBody); empty {
		w.WriteHeader(http.StatusOK)
		return
	}
	body, err := encMode.Marshal(out)
	if err != nil {
		writeError(w, requestID, &apiError{Code: InternalServiceError, Message: "cwemu: encode response: " + err.Error()})
		return
	}
	h.Set("Content-Type", cborContentType)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body) // the client is gone if this fails
}

func writeError(w http.ResponseWriter, requestID string, e *apiError) {
	s := e.shape()
	payload := map[string]string{"__type": s.shape, "message": e.Message}
	if s.messageMember != "message" {
		payload[s.messageMember] = e.Message
	}
	var body bytes.Buffer
	_ = encMode.NewEncoder(&body).Encode(payload) // a map of strings always encodes
	h := w.Header()
	h.Set("Smithy-Protocol", smithyProtocol)
	h.Set("Content-Type", cborContentType)
	h.Set("X-Amzn-Requestid", requestID)
	h.Set("X-Amzn-Query-Error", e.Code+";"+s.fault)
	w.WriteHeader(s.status)
	_, _ = w.Write(body.Bytes())
}

// deliver publishes notifications, in the order the state changes happened. A failed
// publication is logged, as CloudWatch records a failed action in the alarm's history
// and carries on.
func (e *Emulator) deliver(ctx context.Context, deliveries []delivery) {
	for _, d := range deliveries {
		if e.opts.Publish == nil {
			e.log.Debug("cwemu: notification dropped, no Publish", "alarm", d.alarm, "topic", d.topic)
			continue
		}
		if err := e.opts.Publish(ctx, d.topic, d.subject, d.message); err != nil {
			e.log.Warn("cwemu: publish alarm notification", "alarm", d.alarm, "topic", d.topic, "err", err)
		}
	}
}

// newRequestID returns a random version 4 UUID, the form of AWS request IDs.
func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
