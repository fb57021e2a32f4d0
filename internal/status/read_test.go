package status

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/stepscaler/stepscaler/internal/activity"
	"github.com/stepscaler/stepscaler/internal/awscw"
	"github.com/stepscaler/stepscaler/internal/config"
	"github.com/stepscaler/stepscaler/internal/scaling"
	"github.com/stepscaler/stepscaler/internal/store"
	"github.com/stepscaler/stepscaler/local/awstest"
	"github.com/stepscaler/stepscaler/local/cwemu"
	"github.com/stepscaler/stepscaler/local/ecsemu"
)

// local is the ECS and CloudWatch emulators and kumo's DynamoDB, in process, with the
// real SDK clients.
type local struct {
	ecsEmu *ecsemu.Emulator
	cwEmu  *cwemu.Emulator
	ecs    *ecs.Client
	cw     *cloudwatch.Client
	dyn    *dynamodb.Client
	store  *store.Store
}

func TestMain(m *testing.M) { awstest.Main(m) }

func startLocal(t *testing.T) *local {
	t.Helper()
	// The scheduler never acts during a test: the counts stay as seeded.
	e := awstest.StartECS(t, ecsemu.Options{SchedulerDelay: time.Hour, TaskStartDelay: time.Hour})
	cw := awstest.StartCloudWatch(t, cwemu.Options{Clock: func() time.Time { return t0 }})
	dyn, table := awstest.DynamoDB(t)
	return &local{
		ecsEmu: e, cwEmu: cw,
		ecs:   awstest.ECS(e.URL()),
		cw:    awstest.CloudWatch(cw.URL()),
		dyn:   dyn,
		store: store.New(dyn, table),
	}
}

func (l *local) clients() Clients { return Clients{ECS: l.ecs, CloudWatch: l.cw, Records: l.store} }

func (l *local) putAlarm(t *testing.T, name string) {
	t.Helper()
	if _, err := l.cw.PutMetricAlarm(context.Background(), &cloudwatch.PutMetricAlarmInput{
		AlarmName: aws.String(name), Namespace: aws.String("Test"), MetricName: aws.String(name),
		Statistic: cwtypes.StatisticAverage, Period: aws.Int32(60), EvaluationPeriods: aws.Int32(1),
		Threshold: aws.Float64(1), ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanThreshold,
	}); err != nil {
		t.Fatal(err)
	}
}

// parseConfig builds a configuration of services, each with the given alarm names
// (those ending in "-low" scale in; "composite-" ones are declared composite).
func parseConfig(t *testing.T, services map[string][]string, order []string) *config.Config {
	t.Helper()
	type alarm struct {
		AlarmName string `json:"alarmName"`
		Direction string `json:"direction"`
		AlarmType string `json:"alarmType,omitempty"`
	}
	type svc struct {
		Cluster     string  `json:"cluster"`
		Service     string  `json:"service"`
		MinCapacity int     `json:"minCapacity"`
		MaxCapacity int     `json:"maxCapacity"`
		Alarms      []alarm `json:"alarms"`
	}
	var doc struct {
		Services []svc `json:"services"`
	}
	for _, ref := range order {
		cluster, name, _ := strings.Cut(ref, "/")
		s := svc{Cluster: cluster, Service: name, MinCapacity: 1, MaxCapacity: 10}
		for _, a := range services[ref] {
			dir := "out"
			if strings.HasSuffix(a, "-low") {
				dir = "in"
			}
			typ := ""
			if strings.HasPrefix(a, "composite-") {
				typ = "composite"
			}
			s.Alarms = append(s.Alarms, alarm{AlarmName: a, Direction: dir, AlarmType: typ})
		}
		doc.Services = append(doc.Services, s)
	}
	data, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse("test.json", data)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// countECS records each DescribeServices call as cluster:services.
type countECS struct {
	ECSDescriber
	batches []string
}

func (c *countECS) DescribeServices(ctx context.Context, in *ecs.DescribeServicesInput, opts ...func(*ecs.Options)) (*ecs.DescribeServicesOutput, error) {
	c.batches = append(c.batches, fmt.Sprintf("%s:%d", aws.ToString(in.Cluster), len(in.Services)))
	return c.ECSDescriber.DescribeServices(ctx, in, opts...)
}

// countCW records how many alarm names each DescribeAlarms call names.
type countCW struct {
	awscw.Describer
	batches []int
}

func (c *countCW) DescribeAlarms(ctx context.Context, in *cloudwatch.DescribeAlarmsInput, opts ...func(*cloudwatch.Options)) (*cloudwatch.DescribeAlarmsOutput, error) {
	c.batches = append(c.batches, len(in.AlarmNames))
	return c.Describer.DescribeAlarms(ctx, in, opts...)
}

// Twelve services in one cluster and three in another take 2 + 1 DescribeServices calls
// (10 services a call, one cluster a call); their 120 alarms take 2 DescribeAlarms calls
// (100 names a call).
func TestReadBatchesAsTheAPIsAllow(t *testing.T) {
	ctx := context.Background()
	l := startLocal(t)
	services := map[string][]string{}
	var order []string
	for i := range 15 {
		cluster := "big"
		if i >= 12 {
			cluster = "small"
		}
		ref := fmt.Sprintf("%s/svc%02d", cluster, i)
		order = append(order, ref)
		_, name, _ := strings.Cut(ref, "/")
		if err := l.ecsEmu.CreateService(cluster, name, ecsemu.ServiceSpec{DesiredCount: i % 4}); err != nil {
			t.Fatal(err)
		}
		for j := range 7 + i%3 { // 7, 8 or 9 alarms: 5 × (7 + 8 + 9) = 120 in all
			a := fmt.Sprintf("svc%02d-alarm%d-high", i, j)
			l.putAlarm(t, a)
			services[ref] = append(services[ref], a)
		}
	}
	cfg := parseConfig(t, services, order)
	if n := len(cfg.AlarmNames()); n != 120 {
		t.Fatalf("%d alarms, want 120", n)
	}
	// The calls are counted as the client makes them (a transport retry is not a call).
	ecsCalls, cwCalls := &countECS{ECSDescriber: l.ecs}, &countCW{Describer: l.cw}
	views, err := Read(ctx, Clients{ECS: ecsCalls, CloudWatch: cwCalls, Records: l.store}, cfg.ServiceTargets(), Options{Activities: 3}, t0)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(ecsCalls.batches, " "); got != "big:10 big:2 small:3" {
		t.Errorf("DescribeServices calls = %s, want big:10 big:2 small:3", got)
	}
	if got := fmt.Sprint(cwCalls.batches); got != "[100 20]" {
		t.Errorf("DescribeAlarms calls named %s alarms, want [100 20]", got)
	}
	for i, v := range views {
		if want := fmt.Sprintf("svc%02d", i); v.ServiceName != want || v.ECS.Status != "ACTIVE" || v.ECS.DesiredCount != i%4 {
			t.Errorf("view %d = %s %s desired %d, want %s ACTIVE desired %d", i, v.ServiceName, v.ECS.Status, v.ECS.DesiredCount, want, i%4)
		}
		for _, a := range v.Alarms {
			// A new alarm is INSUFFICIENT_DATA since its creation, on the emulator's clock.
			if a.StateValue != "INSUFFICIENT_DATA" || a.StateTransitionedTimestamp == nil || !a.StateTransitionedTimestamp.Equal(t0) {
				t.Errorf("%s: %s since %v, want INSUFFICIENT_DATA since %s", a.AlarmName, a.StateValue, a.StateTransitionedTimestamp, t0)
			}
		}
	}
}

// What the services, their clusters and alarms are missing from is shown, not fatal;
// composite alarms are asked for only when the configuration declares one.
func TestReadShowsWhatIsMissing(t *testing.T) {
	ctx := context.Background()
	l := startLocal(t)
	if err := l.ecsEmu.CreateService("prod", "web", ecsemu.ServiceSpec{DesiredCount: 2}); err != nil {
		t.Fatal(err)
	}
	l.putAlarm(t, "web-high")
	if _, err := l.cw.PutCompositeAlarm(ctx, &cloudwatch.PutCompositeAlarmInput{
		AlarmName: aws.String("composite-web-high"), AlarmRule: aws.String(`ALARM("web-high")`),
	}); err != nil {
		t.Fatal(err)
	}
	services := map[string][]string{
		"prod/web":   {"web-high", "composite-web-high"},
		"prod/ghost": {"ghost-high"},
		"gone/api":   {"api-low"},
	}
	order := []string{"prod/web", "prod/ghost", "gone/api"}
	cfg := parseConfig(t, services, order)
	if !cfg.MayHaveCompositeAlarms() {
		t.Fatal("the config declares a composite alarm")
	}

	views, err := Read(ctx, l.clients(), cfg.ServiceTargets(), Options{Composites: cfg.MayHaveCompositeAlarms()}, t0)
	if err != nil {
		t.Fatal(err)
	}
	web, ghost, api := views[0], views[1], views[2]
	if web.ECS.Status != "ACTIVE" || web.ECS.DesiredCount != 2 || web.ECS.RolloutState != "COMPLETED" {
		t.Errorf("web = %+v", web.ECS)
	}
	// The composite alarm is evaluated at once on creation: web-high is not in ALARM.
	if c := web.Alarms[1]; c.StateValue != "OK" || !c.Composite {
		t.Errorf("composite alarm = %+v, want OK, composite", c)
	}
	if ghost.ECS.Status != Missing || ghost.ECS.StatusReason != "MISSING" || ghost.Alarms[0].StateValue != Missing {
		t.Errorf("ghost = %+v, alarms %+v; want MISSING in ECS and CloudWatch", ghost.ECS, ghost.Alarms)
	}
	if api.ECS.Status != Missing || !strings.HasPrefix(api.ECS.StatusReason, "cluster not found") {
		t.Errorf("api in a cluster that does not exist = %+v", api.ECS)
	}

	// Not declared composite, the composite alarm is not asked for, so not found: the
	// functions, asking the same way, would not see it either.
	views, err = Read(ctx, l.clients(), cfg.ServiceTargets()[:1], Options{Composites: false}, t0)
	if err != nil {
		t.Fatal(err)
	}
	if c := views[0].Alarms[1]; c.StateValue != Missing {
		t.Errorf("composite alarm without Composites = %+v, want MISSING", c)
	}
}

// The records: state item and the newest activities, newest first.
func TestReadRecords(t *testing.T) {
	ctx := context.Background()
	l := startLocal(t)
	web := scaling.ServiceRef{Cluster: "prod", Service: "web"}
	for i, code := range []string{activity.StatusSuccessful, activity.StatusNotScaled, activity.StatusFailed} {
		start := t0.Add(time.Duration(i-3) * time.Minute)
		if err := l.store.Record(ctx, web, store.Outcome{Activity: activity.Activity{
			ActivityID: fmt.Sprintf("exec-%d", i), ResourceID: web.ResourceID(), StatusCode: code, StartTime: start, EndTime: start,
		}, Retention: 100 * 365 * 24 * time.Hour}); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.store.SetSuspended(ctx, web, scaling.Out, true); err != nil {
		t.Fatal(err)
	}
	cfg := parseConfig(t, map[string][]string{"prod/web": {"web-high"}}, []string{"prod/web"})
	var progress []string
	say := func(format string, args ...any) { progress = append(progress, fmt.Sprintf(format, args...)) }
	views, err := Read(ctx, l.clients(), cfg.ServiceTargets(), Options{Activities: 2, Progress: say}, t0)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(progress, "; "); got != "describing 1 services in ECS; describing 1 alarms in CloudWatch; reading the records of 1 services" {
		t.Errorf("progress = %s", got)
	}
	v := views[0]
	if len(v.ScalingActivities) != 2 || v.ScalingActivities[0].ActivityID != "exec-2" || v.ScalingActivities[1].ActivityID != "exec-1" {
		t.Errorf("activities = %+v, want exec-2 then exec-1", v.ScalingActivities)
	}
	if !v.SuspendedState.DynamicScalingOutSuspended || v.SuspendedState.DynamicScalingInSuspended {
		t.Errorf("suspended = %+v, want out", v.SuspendedState)
	}
	// A table that does not exist is DynamoDB's error, not an empty view.
	_, err = Read(ctx, Clients{ECS: l.ecs, CloudWatch: l.cw, Records: store.New(l.dyn, "no-such-table")}, cfg.ServiceTargets(), Options{}, t0)
	if err == nil || !strings.Contains(err.Error(), "ResourceNotFoundException") {
		t.Errorf("missing table: %v, want ResourceNotFoundException", err)
	}
}
