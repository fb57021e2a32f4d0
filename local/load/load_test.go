package load_test

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/stepscaler/stepscaler/internal/config"
	"github.com/stepscaler/stepscaler/internal/deploy"
	"github.com/stepscaler/stepscaler/internal/scaling"
	"github.com/stepscaler/stepscaler/internal/workflow"
	"github.com/stepscaler/stepscaler/local/stack"
)

// size is the test's scale: STEPSCALER_LOAD_SERVICES services (default 20, as in CI;
// `make load` sets 100) and ten notifications per service.
func size(t *testing.T) (services, notifications int) {
	services = 20
	if v := os.Getenv("STEPSCALER_LOAD_SERVICES"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			t.Fatalf("STEPSCALER_LOAD_SERVICES = %q, want a number of services from 1 to 1000", v)
		}
		services = n
	}
	return services, 10 * services
}

// loadConfig is services services, each with two scale-out alarms that fire together
// (overlapping alarms: the larger step wins), a cooldown that holds back a second
// scaling for the test's length, and polls a second apart.
func loadConfig(services int) []byte {
	type alarm struct {
		AlarmName                   string `json:"alarmName"`
		Direction                   string `json:"direction"`
		Adjustment                  int    `json:"adjustment"`
		CooldownSeconds             int    `json:"cooldownSeconds"`
		StabilizationTimeoutSeconds int    `json:"stabilizationTimeoutSeconds"`
		PollIntervalSeconds         int    `json:"pollIntervalSeconds"`
	}
	type service struct {
		Cluster     string  `json:"cluster"`
		Service     string  `json:"service"`
		MinCapacity int     `json:"minCapacity"`
		MaxCapacity int     `json:"maxCapacity"`
		Alarms      []alarm `json:"alarms"`
	}
	var svcs []service
	for i := range services {
		name := fmt.Sprintf("svc-%03d", i)
		svcs = append(svcs, service{Cluster: "load", Service: name, MinCapacity: 1, MaxCapacity: 10, Alarms: []alarm{
			{AlarmName: name + "-cpu-high", Direction: "out", Adjustment: 1, CooldownSeconds: 600, StabilizationTimeoutSeconds: 120, PollIntervalSeconds: 1},
			{AlarmName: name + "-latency-high", Direction: "out", Adjustment: 2, CooldownSeconds: 600, StabilizationTimeoutSeconds: 120, PollIntervalSeconds: 1},
		}})
	}
	data, _ := json.MarshalIndent(map[string]any{"services": svcs}, "", "  ")
	return data
}

// notification is the part of a CloudWatch alarm notification that identifies the
// transition it reports (Amazon CloudWatch User Guide, "Alarm notification").
type notification struct {
	AlarmName       string `json:"AlarmName"`
	NewStateValue   string `json:"NewStateValue"`
	StateChangeTime string `json:"StateChangeTime"`
}

// key is one (service, minute): the unit Stepscaler starts at most one execution for.
type key struct {
	service scaling.ServiceRef
	minute  time.Time
}

// rates samples the ECS emulator's call counts and gives the most calls seen in any
// window of a given length.
type rates struct {
	mu      sync.Mutex
	samples []sample
}

type sample struct {
	at            time.Time
	reads, writes int
}

func (r *rates) watch(ctx context.Context, st *stack.Stack) {
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		r.mu.Lock()
		r.samples = append(r.samples, sample{at: time.Now(), reads: st.ECS.Calls("DescribeServices"), writes: st.ECS.Calls("UpdateService")})
		r.mu.Unlock()
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// peak is the most reads and writes between two samples at most window apart.
func (r *rates) peak(window time.Duration) (reads, writes int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, a := range r.samples {
		for _, b := range r.samples[i+1:] {
			if b.at.Sub(a.at) > window {
				break
			}
			reads, writes = max(reads, b.reads-a.reads), max(writes, b.writes-a.writes)
		}
	}
	return reads, writes
}

// TestLoad: a storm of notifications for every service (each alarm's transition, each
// delivered many times, concurrently) and the per-minute evaluation finding them all in
// ALARM. It checks the guarantees that must survive load: one execution per service and
// minute, every transition acted on, never two scalings of one service in flight, every
// execution's outcome recorded, and the ECS API calls within the deployment's share of
// the account's rates. It reports those figures and the wall time.
func TestLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("the load test needs the local stack")
	}
	services, notifications := size(t)
	root, err := stack.FindRoot()
	if err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(t.TempDir(), "load.json")
	if err := os.WriteFile(cfgPath, loadConfig(services), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatalf("the load configuration: %v", err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Minute)
	defer cancel()
	wait := 500 * time.Millisecond
	st, err := stack.Start(ctx, stack.Options{
		Root: root, Config: cfgPath, TaskStartDelay: 300 * time.Millisecond, SchedulerDelay: 100 * time.Millisecond,
		WaitOverride: &wait, Throttled: true, LogDir: cmp.Or(os.Getenv("STEPSCALER_LOAD_LOGS"), t.TempDir()), StartsPerSecond: 20,
		Progress: func(format string, args ...any) { t.Logf(format, args...) },
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.SeedServices(cfg); err != nil {
		t.Fatal(err)
	}
	var r rates
	sampling, stopSampling := context.WithCancel(ctx)
	sampled := make(chan struct{})
	go func() { defer close(sampled); r.watch(sampling, st) }()

	began := time.Now()
	delivered := storm(ctx, t, st, cfg, notifications)
	drain(ctx, t, st)
	wall := time.Since(began)
	stopSampling()
	<-sampled

	check(ctx, t, st, cfg, delivered, wall, &r)
}

// storm puts every alarm into ALARM (CloudWatch notifies the topic once per transition),
// then redelivers those notifications at random until notifications have been delivered,
// from 16 deliveries at a time, while the per-minute evaluation runs twice. It returns
// how many notifications reached the starter.
func storm(ctx context.Context, t *testing.T, st *stack.Stack, cfg *config.Config, notifications int) int {
	t.Helper()
	var alarms []string
	for _, s := range cfg.Services {
		for _, a := range s.Alarms {
			alarms = append(alarms, a.AlarmName)
		}
	}
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(alarms), func(i, j int) { alarms[i], alarms[j] = alarms[j], alarms[i] })
	reason := "Threshold Crossed: 1 out of the last 1 datapoints [95.0 (28/11/26 10:00:00)] was greater than or equal to the threshold (70.0)."
	var wg sync.WaitGroup
	work := make(chan func(), len(alarms)+notifications)
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for f := range work {
				f()
			}
		}()
	}
	var set sync.WaitGroup
	for _, name := range alarms {
		set.Add(1)
		work <- func() {
			defer set.Done()
			if err := st.SetAlarmState(ctx, name, "ALARM", reason); err != nil {
				t.Errorf("set %s in ALARM: %v", name, err)
			}
		}
	}
	set.Wait()
	evaluated := make(chan struct{})
	go func() { defer close(evaluated); evaluateOnce(ctx, t, st) }()
	published := st.Published()
	if len(published) == 0 {
		t.Fatal("CloudWatch published no notification")
	}
	pick := rand.New(rand.NewPCG(3, 4))
	duplicates := max(notifications-len(published), 0)
	for range duplicates {
		m := published[pick.IntN(len(published))]
		work <- func() {
			if err := st.DeliverSNS(ctx, m); err != nil {
				t.Errorf("deliver a duplicate notification: %v", err)
			}
		}
	}
	close(work)
	wg.Wait()
	st.WaitNotifications()
	<-evaluated
	evaluateOnce(ctx, t, st)
	return len(published) + duplicates
}

func evaluateOnce(ctx context.Context, t *testing.T, st *stack.Stack) {
	res, err := st.Evaluate(ctx)
	if err != nil {
		t.Errorf("per-minute evaluation: %v", err)
		return
	}
	t.Logf("evaluation of %s: %d alarms in ALARM, %d started, %d duplicates, %d services busy, %d deferred",
		res.Minute.Format("15:04"), len(res.InAlarm), len(res.Started), len(res.Duplicates), len(res.Busy), len(res.Deferred))
}

// drain waits until no execution is running.
func drain(ctx context.Context, t *testing.T, st *stack.Stack) {
	t.Helper()
	for {
		execs, err := st.Executions(ctx)
		if err != nil {
			t.Fatal(err)
		}
		running := 0
		for _, e := range execs {
			if e.Status == sfntypes.ExecutionStatusRunning {
				running++
			}
		}
		if running == 0 {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%d executions still running: %v", running, ctx.Err())
		case <-time.After(500 * time.Millisecond):
		}
	}
}

func check(ctx context.Context, t *testing.T, st *stack.Stack, cfg *config.Config, delivered int, wall time.Duration, r *rates) {
	t.Helper()
	// Distinct transitions, from what CloudWatch published.
	alarmService := map[string]scaling.ServiceRef{}
	for _, tgt := range cfg.ServiceTargets() {
		for _, p := range tgt.Policies {
			alarmService[p.AlarmName] = tgt.Service
		}
	}
	transitions := map[key]bool{}
	for _, m := range st.Published() {
		var n notification
		if err := json.Unmarshal([]byte(m), &n); err != nil {
			t.Fatalf("a published notification does not decode: %v", err)
		}
		at, err := time.Parse("2006-01-02T15:04:05.000-0700", n.StateChangeTime)
		if err != nil {
			t.Fatalf("StateChangeTime %q: %v", n.StateChangeTime, err)
		}
		transitions[key{alarmService[n.AlarmName], at.UTC().Truncate(time.Minute)}] = true
	}

	execs, err := st.Executions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	perKey := map[key]int{}
	byService := map[scaling.ServiceRef][]string{}
	for _, e := range execs {
		name := aws.ToString(e.Name)
		k, ok := keyOf(cfg, name)
		if !ok {
			t.Errorf("execution %s is of no configured service", name)
			continue
		}
		perKey[k]++
		byService[k.service] = append(byService[k.service], name)
	}
	most, missed := 0, 0
	for _, n := range perKey {
		most = max(most, n)
	}
	for k := range transitions {
		if perKey[k] == 0 {
			missed++
			t.Errorf("no execution for %s's transition in %s", k.service, k.minute.Format("15:04"))
		}
	}
	if most != 1 {
		t.Errorf("most executions for one service and minute = %d, want 1", most)
	}

	lost, inFlight, scaled := 0, 0, 0
	for svc, names := range byService {
		var spans []span
		for _, name := range names {
			sp, ok := record(ctx, t, st, svc, name)
			if !ok {
				lost++
			}
			if sp.updated {
				scaled++
				spans = append(spans, sp)
			}
		}
		inFlight = max(inFlight, mostAtOnce(spans))
	}
	if lost != 0 {
		t.Errorf("%d executions ended without their outcome recorded, want 0", lost)
	}
	if inFlight > 1 {
		t.Errorf("at most %d scalings of one service were in flight at once, want 1", inFlight)
	}

	// The ECS budget is the deployment's share of the account's token buckets: over 10 s
	// at most the share of 10 s of refill, plus the one call each paced instance may make
	// as it starts (here one instance per function: two read, one writes); in any second
	// at most the share of the buckets' capacity, so a storm never empties them.
	share := deploy.DefaultECSShare
	reads1, writes1 := r.peak(time.Second)
	reads10, writes10 := r.peak(10 * time.Second)
	readBudget10 := share*deploy.ECSReadsPerSecond*10 + 2
	writeBudget10 := share*deploy.ECSWritesPerSecond*10 + 1
	if float64(reads10) > readBudget10 || float64(writes10) > writeBudget10 {
		t.Errorf("ECS calls in 10 s: %d reads, %d writes; the budget is %.0f and %.0f", reads10, writes10, readBudget10, writeBudget10)
	}
	if float64(reads1) > share*deploy.ECSReadBurst || float64(writes1) > share*deploy.ECSWriteBurst {
		t.Errorf("ECS calls in 1 s: %d reads, %d writes; the budget is %.0f and %.0f", reads1, writes1,
			share*deploy.ECSReadBurst, share*deploy.ECSWriteBurst)
	}

	t.Logf("load: %d services, %d notifications delivered (%d distinct transitions, over %d service-minutes)",
		len(cfg.Services), delivered, len(st.Published()), len(transitions))
	t.Logf("executions: %d; per service and minute: at most %d; transitions without one: %d", len(execs), most, missed)
	t.Logf("executions that updated the desired count: %d; scalings of one service in flight at once: at most %d; executions without a recorded outcome: %d",
		scaled, inFlight, lost)
	// More UpdateService calls than updating executions: locally a Task that waits too
	// long for its function's one instance times out and is retried (local/sfn/README.md).
	t.Logf("ECS calls: %d DescribeServices, %d UpdateService; peak in 1 s: %d reads, %d writes; peak in 10 s: %d reads (%.1f/s), %d writes (%.1f/s)",
		st.ECS.Calls("DescribeServices"), st.ECS.Calls("UpdateService"), reads1, writes1, reads10, float64(reads10)/10, writes10, float64(writes10)/10)
	t.Logf("wall time: %s", wall.Round(100*time.Millisecond))
}

// keyOf is the service and minute an execution is named for.
func keyOf(cfg *config.Config, name string) (key, bool) {
	for _, tgt := range cfg.ServiceTargets() {
		if minute, ok := workflow.OfService(name, tgt.Service); ok {
			return key{tgt.Service, minute}, true
		}
	}
	return key{}, false
}

// span is the part of an execution that certainly holds the service's lease when it
// changed the desired count: from entering "Update desired count" (after the lease was
// taken) to entering the record step (before it is given back).
type span struct {
	updated  bool
	from, to time.Time
}

// mostAtOnce is the most spans that overlap at one instant.
func mostAtOnce(spans []span) int {
	type edge struct {
		at    time.Time
		delta int
	}
	var edges []edge
	for _, s := range spans {
		edges = append(edges, edge{s.from, 1}, edge{s.to, -1})
	}
	slices.SortFunc(edges, func(a, b edge) int {
		if c := a.at.Compare(b.at); c != 0 {
			return c
		}
		return a.delta - b.delta // an end at the instant another starts is not an overlap
	})
	most, now := 0, 0
	for _, e := range edges {
		now += e.delta
		most = max(most, now)
	}
	return most
}

// activities caches each service's recorded activity ids.
var activities = struct {
	sync.Mutex
	ids map[scaling.ServiceRef]map[string]bool
}{ids: map[scaling.ServiceRef]map[string]bool{}}

func recorded(ctx context.Context, t *testing.T, st *stack.Stack, svc scaling.ServiceRef, id string) bool {
	t.Helper()
	activities.Lock()
	defer activities.Unlock()
	ids, ok := activities.ids[svc]
	if !ok {
		acts, err := st.Store.List(ctx, svc, 0)
		if err != nil {
			t.Fatalf("activities of %s: %v", svc, err)
		}
		ids = map[string]bool{}
		for _, a := range acts {
			ids[a.ActivityID] = true
		}
		activities.ids[svc] = ids
	}
	return ids[id]
}

// record checks that execution name ended with its outcome recorded (its own activity,
// or the not-scaled decision it repeats) and returns the span in which it scaled.
func record(ctx context.Context, t *testing.T, st *stack.Stack, svc scaling.ServiceRef, name string) (span, bool) {
	t.Helper()
	out, err := st.SFN.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(st.ExecutionARN(name))})
	if err != nil {
		t.Fatalf("describe %s: %v", name, err)
	}
	ok := true
	switch out.Status {
	case sfntypes.ExecutionStatusSucceeded:
		var o struct {
			Outcome *workflow.Outcome `json:"outcome"`
		}
		if err := json.Unmarshal([]byte(aws.ToString(out.Output)), &o); err != nil || o.Outcome == nil {
			t.Errorf("%s: output %.200s has no outcome (%v)", name, aws.ToString(out.Output), err)
			ok = false
			break
		}
		id := o.Outcome.ActivityID
		if o.Outcome.Repeated {
			id = o.Outcome.RepeatOf
		}
		if !recorded(ctx, t, st, svc, id) {
			t.Errorf("%s: no activity %s recorded", name, id)
			ok = false
		}
	case sfntypes.ExecutionStatusFailed:
		// A failed scaling ends in a Fail state, after its record step.
		if aws.ToString(out.Error) == "RecordingFailed" || !recorded(ctx, t, st, svc, name) {
			t.Errorf("%s: failed with %s and no activity recorded", name, aws.ToString(out.Error))
			ok = false
		}
	default:
		t.Errorf("%s: ended %s", name, out.Status)
		ok = false
	}

	events, err := st.History(ctx, st.ExecutionARN(name))
	if err != nil {
		t.Fatalf("history of %s: %v", name, err)
	}
	var sp span
	for _, e := range events {
		if e.Type != sfntypes.HistoryEventTypeTaskStateEntered || e.StateEnteredEventDetails == nil {
			continue
		}
		switch aws.ToString(e.StateEnteredEventDetails.Name) {
		case "Update desired count":
			if !sp.updated {
				sp.updated, sp.from = true, aws.ToTime(e.Timestamp)
			}
		case "Record outcome", "Record failure":
			if sp.updated && sp.to.IsZero() {
				sp.to = aws.ToTime(e.Timestamp)
			}
		}
	}
	if sp.updated && sp.to.IsZero() {
		t.Errorf("%s: updated the desired count and never reached a record step", name)
		ok = false
	}
	return sp, ok
}
