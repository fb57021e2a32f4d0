package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/sivchari/kumo"

	"github.com/stepscaler/stepscaler/internal/activity"
	"github.com/stepscaler/stepscaler/internal/scaling"
	"github.com/stepscaler/stepscaler/internal/status"
	"github.com/stepscaler/stepscaler/internal/store"
	"github.com/stepscaler/stepscaler/local/cwemu"
	"github.com/stepscaler/stepscaler/local/ecsemu"
)

// localAWS is the ECS and CloudWatch emulators and kumo's DynamoDB, in process, found by
// the CLI through the standard environment (AWS_ENDPOINT_URL_<SERVICE>), as a user's
// profile finds AWS. The CloudWatch emulator runs on a clock the test sets.
type localAWS struct {
	ecsEmu *ecsemu.Emulator
	cwEmu  *cwemu.Emulator
	clock  time.Time
	ecs    *ecs.Client
	cw     *cloudwatch.Client
	store  *store.Store
	table  string
}

var testCredentials = credentials.NewStaticCredentialsProvider("AKID", "SECRET", "")

// isolateAWS points the AWS configuration at nothing the machine has: no shared files,
// no profile, no instance metadata, static credentials.
func isolateAWS(t *testing.T) {
	t.Helper()
	for k, v := range map[string]string{
		"AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "", "AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "SECRET",
		"AWS_CONFIG_FILE": os.DevNull, "AWS_SHARED_CREDENTIALS_FILE": os.DevNull, "AWS_PROFILE": "", "AWS_DEFAULT_PROFILE": "",
		"AWS_DEFAULT_OUTPUT": "", "AWS_EC2_METADATA_DISABLED": "true", "AWS_ENDPOINT_URL": "",
		"AWS_ENDPOINT_URL_ECS": "", "AWS_ENDPOINT_URL_CLOUDWATCH": "", "AWS_ENDPOINT_URL_DYNAMODB": "", "STEPSCALER_TABLE": "",
	} {
		t.Setenv(k, v)
	}
}

func startLocalAWS(t *testing.T) *localAWS {
	t.Helper()
	isolateAWS(t)
	l := &localAWS{table: "status-" + t.Name()}
	// The ECS scheduler never acts during the test: the counts stay as seeded.
	e, err := ecsemu.Start(ecsemu.Options{SchedulerDelay: time.Hour, TaskStartDelay: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	cw, err := cwemu.Start(cwemu.Options{Clock: func() time.Time { return l.clock }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cw.Close() })
	db := kumo.NewServer()
	t.Cleanup(db.Close)
	t.Setenv("AWS_ENDPOINT_URL_ECS", e.URL())
	t.Setenv("AWS_ENDPOINT_URL_CLOUDWATCH", cw.URL())
	t.Setenv("AWS_ENDPOINT_URL_DYNAMODB", db.URL)

	dyn := dynamodb.New(dynamodb.Options{Region: "us-east-1", BaseEndpoint: aws.String(db.URL), Credentials: testCredentials})
	if err := store.CreateTable(context.Background(), dyn, l.table); err != nil {
		t.Fatal(err)
	}
	l.ecsEmu, l.cwEmu = e, cw
	l.ecs = ecs.New(ecs.Options{Region: "us-east-1", BaseEndpoint: aws.String(e.URL()), Credentials: testCredentials})
	l.cw = cloudwatch.New(cloudwatch.Options{Region: "us-east-1", BaseEndpoint: aws.String(cw.URL()), Credentials: testCredentials})
	l.store = store.New(dyn, l.table)
	return l
}

func utc(hms string) time.Time {
	t, err := time.Parse(time.DateTime, "2026-11-28 "+hms)
	if err != nil {
		panic(err)
	}
	return t
}

const statusConfig = `{
  "services": [
    {"cluster": "prod", "service": "web", "minCapacity": 1, "maxCapacity": 10, "alarms": [
      {"alarmName": "web-cpu-high", "direction": "out", "adjustment": 2, "cooldownSeconds": 300},
      {"alarmName": "web-cpu-low", "direction": "in", "adjustment": 1, "cooldownSeconds": 600}]},
    {"cluster": "prod", "service": "api", "minCapacity": 2, "maxCapacity": 6, "alarms": [
      {"alarmName": "api-latency-high", "direction": "out", "cooldownSeconds": 120},
      {"alarmName": "api-latency-low", "direction": "in", "cooldownSeconds": 300}],
     "scheduledActions": [
      {"scheduledActionName": "weekday-floor", "schedule": "cron(0 8 ? * MON-FRI *)", "scalableTargetAction": {"minCapacity": 3}}]},
    {"cluster": "prod", "service": "ghost", "minCapacity": 1, "maxCapacity": 2, "alarms": [
      {"alarmName": "ghost-high", "direction": "out"}]}
  ]
}`

// seed sets up, as of 10:05:00 on 2026-11-28:
//
// prod/web: desired 4 with 2 running (2 pending); web-cpu-high in ALARM since 10:02:41,
// web-cpu-low OK since 09:40:00; scaled out 2 → 4 at 10:03:20; its lease taken at 10:04:00
// for 20 minutes by the next execution; scale-in suspended.
//
// prod/api: 3 running, a new deployment rolling out; api-latency-high OK since 09:50:00,
// api-latency-low INSUFFICIENT_DATA since its creation at 09:00:00; scaled in 3 → 2 at
// 09:50:00 and out 2 → 3 at 10:02:00, then a not-scaled decision at 10:04:00; a lease taken
// at 09:25:00 for 20 minutes that nobody released.
//
// prod/api's scheduled action raises its minimum to 3 at 08:00 on weekdays: it last fired
// on Friday 27th, and fires next on Monday 30th.
//
// prod/ghost: in the configuration only: neither ECS nor CloudWatch knows it.
func (l *localAWS) seed(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	cfgPath := filepath.Join(t.TempDir(), "stepscaler.json")
	if err := os.WriteFile(cfgPath, []byte(statusConfig), 0o644); err != nil {
		t.Fatal(err)
	}

	two := 2
	if err := l.ecsEmu.CreateService("prod", "web", ecsemu.ServiceSpec{DesiredCount: 4, RunningCount: &two}); err != nil {
		t.Fatal(err)
	}
	if err := l.ecsEmu.CreateService("prod", "api", ecsemu.ServiceSpec{DesiredCount: 3}); err != nil {
		t.Fatal(err)
	}
	if _, err := l.ecs.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String("prod"), Service: aws.String("api"), ForceNewDeployment: true}); err != nil {
		t.Fatal(err)
	}

	l.clock = utc("09:00:00")
	for _, name := range []string{"web-cpu-high", "web-cpu-low", "api-latency-high", "api-latency-low"} {
		if _, err := l.cw.PutMetricAlarm(ctx, &cloudwatch.PutMetricAlarmInput{
			AlarmName: aws.String(name), Namespace: aws.String("Test"), MetricName: aws.String(name),
			Statistic: cwtypes.StatisticAverage, Period: aws.Int32(60), EvaluationPeriods: aws.Int32(1),
			Threshold: aws.Float64(1), ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanThreshold,
		}); err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range []struct{ at, alarm, state string }{
		{"09:40:00", "web-cpu-low", "OK"}, {"09:50:00", "api-latency-high", "OK"}, {"10:02:41", "web-cpu-high", "ALARM"},
	} {
		l.clock = utc(s.at)
		if _, err := l.cw.SetAlarmState(ctx, &cloudwatch.SetAlarmStateInput{AlarmName: aws.String(s.alarm),
			StateValue: cwtypes.StateValue(s.state), StateReason: aws.String("test")}); err != nil {
			t.Fatal(err)
		}
	}

	web := scaling.ServiceRef{Cluster: "prod", Service: "web"}
	api := scaling.ServiceRef{Cluster: "prod", Service: "api"}
	if _, err := l.store.AcquireLease(ctx, web, "prod-web-20261128T1004Z-3fa2c1d09e", utc("10:04:00"), 20*time.Minute); err != nil {
		t.Fatal(err)
	}
	if _, err := l.store.AcquireLease(ctx, api, "prod-api-20261128T0925Z-aa11bb22cc", utc("09:25:00"), 20*time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := l.store.SetSuspended(ctx, web, scaling.In, true); err != nil {
		t.Fatal(err)
	}
	for _, r := range []struct {
		svc                  scaling.ServiceRef
		id, alarm, code, msg string
		start, end           string
		from, to             int
		dir                  scaling.Direction
	}{
		{web, "prod-web-20261128T1003Z-0b1c2d3e4f", "web-cpu-high", activity.StatusSuccessful, "Successfully set desired count to 4.", "10:03:00", "10:03:20", 2, 4, scaling.Out},
		{api, "prod-api-20261128T0949Z-1a2b3c4d5e", "api-latency-low", activity.StatusSuccessful, "Successfully set desired count to 2.", "09:49:40", "09:50:00", 3, 2, scaling.In},
		{api, "prod-api-20261128T1001Z-5e4d3c2b1a", "api-latency-high", activity.StatusSuccessful, "Successfully set desired count to 3.", "10:01:30", "10:02:00", 2, 3, scaling.Out},
		{api, "prod-api-20261128T1004Z-99aa88bb77", "api-latency-low", activity.StatusNotScaled, "CooldownActive: scale-in cooldown", "10:04:00", "10:04:00", 3, 3, ""},
	} {
		o := store.Outcome{Activity: activity.Activity{ActivityID: r.id, ResourceID: r.svc.ResourceID(), AlarmName: r.alarm,
			StatusCode: r.code, StatusMessage: r.msg, StartTime: utc(r.start), EndTime: utc(r.end), FromCount: r.from, ToCount: r.to},
			Retention: 100 * 365 * 24 * time.Hour}
		if r.dir != "" {
			o.Scaled = &store.Scaled{Direction: r.dir, At: utc(r.end), From: r.from}
		}
		if err := l.store.Record(ctx, r.svc, o); err != nil {
			t.Fatal(err)
		}
	}
	return cfgPath
}

// statusAt runs `stepscaler status` at 10:05:00 and returns what it printed.
func statusAt(t *testing.T, args ...string) (stdout string, err error) {
	t.Helper()
	saved := now
	now = func() time.Time { return utc("10:05:00") }
	defer func() { now = saved }()
	tmp, ferr := os.CreateTemp(t.TempDir(), "stdout")
	if ferr != nil {
		t.Fatal(ferr)
	}
	os.Stdout, tmp = tmp, os.Stdout
	err = run(context.Background(), append([]string{"status"}, args...))
	os.Stdout, tmp = tmp, os.Stdout
	data, _ := os.ReadFile(tmp.Name())
	return string(data), err
}

// The table, worked by hand from the seed at 10:05:00:
//   - web's scale-out cooldown: 300 s from 10:03:20, until 10:08:20 (3m20s left); its
//     scale-in cooldown counts from the same scale-out (the policy engine's rule): 600 s,
//     until 10:13:20 (8m20s);
//   - api's scale-out cooldown (120 s from 10:02:00) ended at 10:04:00; its scale-in
//     cooldown counts from the scale-out at 10:02:00, not the scale-in at 09:50:00:
//     300 s, until 10:07:00 (2m left);
//   - web's lease expires at 10:24:00 (19m left); api's expired at 09:45:00;
//   - alarm ages: 10:05:00 − 10:02:41 = 2m19s, − 09:40:00 = 25m, − 09:50:00 = 15m,
//     − 09:00:00 = 1h5m.
func TestStatusTable(t *testing.T) {
	l := startLocalAWS(t)
	cfg := l.seed(t)
	out, err := statusAt(t, "--config", cfg, "--table", l.table)
	if err != nil {
		t.Fatal(err)
	}
	want := `Stepscaler status at 2026-11-28T10:05:00Z, region us-east-1, table ` + l.table + `

SERVICE     TASKS D/R/P  ROLLOUT      IN ALARM            LEASE     COOLDOWN O/I  SUSPENDED
prod/web    4/2/2        COMPLETED    1 of 2              held 19m  3m20s/8m20s   in
prod/api    3/3/0        IN_PROGRESS  0 of 2              expired   -/2m          -
prod/ghost  0/0/0        MISSING      0 of 1 (1 missing)  -         -/-           -

prod/web: ACTIVE, desired 4, running 2, pending 2, rollout COMPLETED
  bounds     1-10
  alarm      ALARM  out  web-cpu-high  since 10:02:41Z (2m19s ago)  +2 tasks
  alarm      OK     in   web-cpu-low   since 09:40:00Z (25m ago)    -1 task
  lease      held until 10:24:00Z (19m left) by prod-web-20261128T1004Z-3fa2c1d09e
  cooldown   out  3m20s left, until 10:08:20Z (web-cpu-high)
  cooldown   in   8m20s left, until 10:13:20Z (web-cpu-low)
  suspended  scale-in
  activity   10:03:00Z  Successful  2->4  Successfully set desired count to 4.

prod/api: ACTIVE, desired 3, running 3, pending 0, rollout IN_PROGRESS (2 deployments)
  bounds     3-6 (scheduled; configured 2-6)
  alarm      OK                 out  api-latency-high  since 09:50:00Z (15m ago)   +1 task
  alarm      INSUFFICIENT_DATA  in   api-latency-low   since 09:00:00Z (1h5m ago)  -1 task
  lease      expired 20m ago (09:45:00Z), last held by prod-api-20261128T0925Z-aa11bb22cc
  cooldown   out  none
  cooldown   in   2m left, until 10:07:00Z (api-latency-low)
  suspended  no
  scheduled  NAME           SETS   LAST           NEXT           SCHEDULE
             weekday-floor  min 3  Nov 27 08:00Z  Nov 30 08:00Z  cron(0 8 ? * MON-FRI *)
  activity   10:04:00Z  NotScaled   3     CooldownActive: scale-in cooldown
  activity   10:01:30Z  Successful  2->3  Successfully set desired count to 3.
  activity   09:49:40Z  Successful  3->2  Successfully set desired count to 2.

prod/ghost: MISSING (MISSING)
  bounds     1-2
  alarm      MISSING  out  ghost-high    +1 task
  lease      free
  cooldown   out  none
  suspended  no
  activity   none recorded
`
	if out != want {
		t.Errorf("status printed:\n%s\nwant:\n%s", out, want)
	}
}

// The JSON document, the same values; only prod/web is asked for, by a positional
// argument after the options.
func TestStatusJSON(t *testing.T) {
	l := startLocalAWS(t)
	cfg := l.seed(t)
	out, err := statusAt(t, "--config", cfg, "--table", l.table, "--output", "json", "--max-activities", "2", "prod/api")
	if err != nil {
		t.Fatal(err)
	}
	var r status.Report
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		t.Fatalf("status printed no report: %v\n%s", err, out)
	}
	if !r.Time.Equal(utc("10:05:00")) || r.Region != "us-east-1" || r.Table != l.table || len(r.Services) != 1 {
		t.Fatalf("report = %+v", r)
	}
	api := r.Services[0]
	if api.ResourceId != "service/prod/api" || api.MinCapacity != 3 || api.MaxCapacity != 6 || api.ConfiguredMinCapacity != 2 || api.ConfiguredMaxCapacity != 6 {
		t.Errorf("service = %s [%d, %d], configured [%d, %d]; want [3, 6] by the scheduled action, configured [2, 6]",
			api.ResourceId, api.MinCapacity, api.MaxCapacity, api.ConfiguredMinCapacity, api.ConfiguredMaxCapacity)
	}
	if s := api.ScheduledActions; len(s) != 1 || s[0].ScheduledActionName != "weekday-floor" || !s[0].Applied ||
		!s[0].LastFiredAt.Equal(time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)) || !s[0].NextFireAt.Equal(time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)) {
		t.Errorf("scheduled actions = %+v", s)
	}
	if e := api.ECS; e.Status != "ACTIVE" || e.DesiredCount != 3 || e.RunningCount != 3 || e.PendingCount != 0 ||
		e.RolloutState != "IN_PROGRESS" || e.Deployments != 2 || !e.DeploymentInProgress {
		t.Errorf("ECS = %+v, want 3 running, a second deployment in progress", e)
	}
	if a := api.Alarms; len(a) != 2 || a[0].StateValue != "OK" || !a[0].StateTransitionedTimestamp.Equal(utc("09:50:00")) ||
		a[1].StateValue != "INSUFFICIENT_DATA" || !a[1].StateTransitionedTimestamp.Equal(utc("09:00:00")) {
		t.Errorf("alarms = %+v", a)
	}
	if l := api.Lease; l == nil || l.Owner != "prod-api-20261128T0925Z-aa11bb22cc" || !l.ExpiresAt.Equal(utc("09:45:00")) || !l.Expired {
		t.Errorf("lease = %+v, want expired at 09:45:00", l)
	}
	if !api.LastScaleOutAt.Equal(utc("10:02:00")) || !api.LastScaleInAt.Equal(utc("09:50:00")) {
		t.Errorf("last scalings: out %v, in %v", api.LastScaleOutAt, api.LastScaleInAt)
	}
	if c := api.Cooldowns; len(c) != 2 || c[0].Direction != scaling.Out || c[0].InEffect || c[0].EndsAt != nil ||
		c[1].Direction != scaling.In || !c[1].InEffect || !c[1].EndsAt.Equal(utc("10:07:00")) || c[1].RemainingSeconds != 120 || c[1].AlarmName != "api-latency-low" {
		t.Errorf("cooldowns = %+v, want out over, in until 10:07:00 (120 s)", c)
	}
	if acts := api.ScalingActivities; len(acts) != 2 || acts[0].StatusCode != activity.StatusNotScaled || acts[1].ToCount != 3 {
		t.Errorf("activities = %+v, want the not-scaled one, then 2 → 3", acts)
	}
}

// The text output: one tab-separated record a line.
func TestStatusText(t *testing.T) {
	l := startLocalAWS(t)
	cfg := l.seed(t)
	t.Setenv("AWS_DEFAULT_OUTPUT", "text")
	out, err := statusAt(t, "--config", cfg, "--table", l.table, "--service", "prod/web", "--max-activities", "0")
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Join([]string{
		"SERVICE\tprod/web\tACTIVE\t4\t2\t2\tCOMPLETED\t1\t10",
		"ALARM\tprod/web\tweb-cpu-high\tout\tALARM\t2026-11-28T10:02:41Z",
		"ALARM\tprod/web\tweb-cpu-low\tin\tOK\t2026-11-28T09:40:00Z",
		"LEASE\tprod/web\tprod-web-20261128T1004Z-3fa2c1d09e\t2026-11-28T10:24:00Z\tfalse",
		"COOLDOWN\tprod/web\tout\ttrue\t2026-11-28T10:08:20Z\t200\tweb-cpu-high",
		"COOLDOWN\tprod/web\tin\ttrue\t2026-11-28T10:13:20Z\t500\tweb-cpu-low",
		"SUSPENDED\tprod/web\tfalse\ttrue",
	}, "\n") + "\n"
	if out != want {
		t.Errorf("status --output text printed:\n%s\nwant:\n%s", out, want)
	}
}

func TestStatusRefusesWhatItCannotShow(t *testing.T) {
	l := startLocalAWS(t)
	cfg := l.seed(t)
	for name, c := range map[string]struct {
		args []string
		exit int
		says string
	}{
		"no table":           {[]string{"--config", cfg}, exitUsage, "--table is required"},
		"unknown service":    {[]string{"--config", cfg, "--table", l.table, "prod/nope"}, exitUsage, "not a service of the scaling config"},
		"not CLUSTER/NAME":   {[]string{"--config", cfg, "--table", l.table, "--service", "web"}, exitUsage, "want CLUSTER/SERVICE"},
		"unknown option":     {[]string{"--config", cfg, "--table", l.table, "--colour"}, exitUsage, ""},
		"unsupported output": {[]string{"--config", cfg, "--table", l.table, "--output", "yaml"}, exitUsage, `--output "yaml"`},
		"no config":          {[]string{"--config", filepath.Join(t.TempDir(), "none.json"), "--table", l.table}, exitFailure, "read scaling config"},
		// DynamoDB answers: the request reached the service, which returned an error.
		"no such table": {[]string{"--config", cfg, "--table", "no-such-table"}, exitService,
			"An error occurred (ResourceNotFoundException) when calling the GetItem operation: "},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := statusAt(t, c.args...)
			var msg bytes.Buffer
			if got := report(&msg, err); got != c.exit {
				t.Errorf("exit %d (%v), want %d", got, err, c.exit)
			}
			if !strings.Contains(msg.String()+err.Error(), c.says) {
				t.Errorf("said %q (%v), want %q", msg.String(), err, c.says)
			}
		})
	}
	// Output "off": nothing on stdout, success.
	if out, err := statusAt(t, "--config", cfg, "--table", l.table, "--output", "off"); err != nil || out != "" {
		t.Errorf("--output off: %q, %v", out, err)
	}
}

// Progress goes to stderr only when it is a terminal (a character device), never into
// a file a script captures.
func TestProgressOnlyToATerminal(t *testing.T) {
	file, err := os.Create(filepath.Join(t.TempDir(), "stderr"))
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	if progressTo(file) != nil {
		t.Error("progress to a regular file")
	}
	dev, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer dev.Close()
	if progressTo(dev) == nil {
		t.Error("no progress to a character device")
	}
	var buf bytes.Buffer
	progressLine(&buf, "describing %d services in ECS", 3)
	if buf.String() != "stepscaler: describing 3 services in ECS...\n" {
		t.Errorf("progress line %q", buf.String())
	}
}
