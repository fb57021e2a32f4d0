package stack

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/stepscaler/stepscaler/internal/evaluate"
)

// snsDelivery plays SNS between the CloudWatch emulator and the starter: each notification
// CloudWatch publishes to the topic is delivered to the starter function as an SNS event,
// asynchronously, as SNS invokes a subscribed function.
type snsDelivery struct {
	stack *Stack
	// mute, while positive, drops notifications: a lost delivery, or one a test makes itself.
	mute atomic.Int32
	wg   sync.WaitGroup

	mu        sync.Mutex
	published []string // every message CloudWatch published to the topic, delivered or not
}

func (d *snsDelivery) publish(_ context.Context, topic, subject, message string) error {
	if topic != TopicARN {
		return fmt.Errorf("no SNS topic %s", topic)
	}
	d.mu.Lock()
	d.published = append(d.published, message)
	d.mu.Unlock()
	if d.mute.Load() > 0 {
		return nil
	}
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		if err := d.stack.invokeStarter(context.Background(), subject, message); err != nil {
			d.stack.log.Error("SNS delivery to the starter failed", "subject", subject, "error", err.Error())
		}
	}()
	return nil
}

// wait waits for the deliveries under way.
func (d *snsDelivery) wait() { d.wg.Wait() }

// DeliverSNS invokes the starter with an SNS event carrying the given alarm messages, as
// SNS invokes a subscribed function, and waits for it: a notification a test delivers
// itself (a captured one, a duplicate, a forged one).
func (s *Stack) DeliverSNS(ctx context.Context, messages ...string) error {
	return s.invokeStarter(ctx, "ALARM", messages...)
}

// Published returns every alarm notification CloudWatch has published to the topic so
// far, in order: what a test redelivers to play SNS's at-least-once delivery.
func (s *Stack) Published() []string {
	s.sns.mu.Lock()
	defer s.sns.mu.Unlock()
	return slices.Clone(s.sns.published)
}

// WaitNotifications waits until every notification CloudWatch published so far has been
// delivered to the starter.
func (s *Stack) WaitNotifications() { s.sns.wait() }

func (s *Stack) invokeStarter(ctx context.Context, subject string, messages ...string) error {
	ev := events.SNSEvent{}
	for i, m := range messages {
		ev.Records = append(ev.Records, events.SNSEventRecord{
			EventSource: "aws:sns", EventVersion: "1.0",
			EventSubscriptionArn: TopicARN + ":local",
			SNS: events.SNSEntity{
				Type: "Notification", MessageID: fmt.Sprintf("local-%d-%d", time.Now().UnixNano(), i),
				TopicArn: TopicARN, Subject: subject, Message: m, Timestamp: time.Now().UTC(),
			},
		})
	}
	payload, err := json.Marshal(ev)
	if err != nil {
		return err
	}
	_, err = s.Invoke(ctx, "starter", payload)
	return err
}

// schedule plays EventBridge Scheduler's rate(1 minute) schedule on a fast clock: each run
// invokes the evaluation function with the next minute as its scheduled time, never
// earlier than the real minute, so its executions' names follow the starter's.
type schedule struct {
	stack *Stack
	mu    sync.Mutex
	last  time.Time
	quit  chan struct{}
	done  chan struct{}
}

func newSchedule(s *Stack) *schedule { return &schedule{stack: s} }

// next is the scheduled time of the next run.
func (sc *schedule) next() time.Time {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	t := time.Now().UTC().Truncate(time.Minute)
	if !sc.last.IsZero() && !t.After(sc.last) {
		t = sc.last.Add(time.Minute)
	}
	sc.last = t
	return t
}

func (sc *schedule) run(every time.Duration) {
	sc.quit, sc.done = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(sc.done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-sc.quit:
				return
			case <-t.C:
				if _, err := sc.stack.Evaluate(context.Background()); err != nil {
					sc.stack.log.Error("scheduled evaluation failed", "error", err.Error())
				}
			}
		}
	}()
}

func (sc *schedule) stop() {
	if sc.quit != nil {
		close(sc.quit)
		<-sc.done
	}
}

// Evaluate runs the per-minute evaluation once, now, for the schedule's next minute, and
// returns what the function answered.
func (s *Stack) Evaluate(ctx context.Context) (evaluate.Result, error) {
	payload, err := json.Marshal(evaluate.Event{ScheduledTime: s.schedule.next()})
	if err != nil {
		return evaluate.Result{}, err
	}
	out, err := s.Invoke(ctx, "evaluate-alarms", payload)
	if err != nil {
		return evaluate.Result{}, err
	}
	var res evaluate.Result
	if err := json.Unmarshal(out, &res); err != nil {
		return evaluate.Result{}, fmt.Errorf("evaluation answered %s: %w", out, err)
	}
	return res, nil
}
