// Package simulate backtests autoscalers: it replays a real request history against a
// Stepscaler policy and, side by side, against the documented algorithms of other
// autoscalers, and measures how well each kept capacity with demand.
//
// Stepscaler is simulated with the workflow's own code, not a copy: the plan step's
// workflow.Decide (which calls scaling.Decide across the service's alarms) and
// stability.Check for the stability loop; the two triggers (the notification and the
// per-minute evaluation) start executions as deployed. What the workflow reads from AWS
// (alarm states and metrics, the service's counts, the state item) comes from the
// simulation below.
//
// # The model
//
// The numbers are only as good as this model; every simplification is listed here.
//
// Time. The run starts at the trace's first bucket and ends with its last, in ticks of
// Setup.Tick (5 s by default). Within a tick: tasks due to start serving do; the alarms
// due are evaluated; the autoscaler steps; the tick is measured; the tick's metric is
// recorded for later alarm periods. Events an autoscaler schedules (poll intervals, waits)
// happen at the first tick at or after their time. Lambda, Step Functions and API latency
// and CloudWatch's ingestion delay are not modelled: every autoscaler acts on an alarm
// the moment CloudWatch evaluates it, which flatters all of them equally.
//
// Demand. A trace bucket's value is the number of requests in the bucket that starts at
// its timestamp; demand is value / bucket seconds, in requests per second, constant
// within the bucket (a tick straddling buckets gets their overlap-weighted mean). A
// missing bucket has unknown demand: the alarms get no datapoint from it (their
// TreatMissingData applies), and the measures skip it and count it in SkippedMinutes.
//
// Need. needed = ceil(demand / TaskCapacity), 0 when demand is 0. It is not clamped to
// [Min, Max], so the measures show what the bounds cost.
//
// Tasks. desiredCount = serving + starting tasks. Raising it starts tasks that serve
// StartupDelay later (rounded up to a tick); lowering it stops tasks at once, those still
// starting first. Tasks never fail, deployments never happen, and placement always
// succeeds. InitialTasks serve from the start.
//
// Metric. The one metric every alarm and target sees is requests per second per serving
// task, like an ALB's RequestCountPerTarget per second: demand / running for each tick,
// averaged over the alarm's period. With no task serving, demand counts as if one task
// took it, so the alarm sees the overload. Thresholds and targets are in these units; an
// alarm on CPU utilization translates as utilization% = 100 × metric / TaskCapacity, so
// with TaskCapacity 100 a CPU threshold of 70 reads unchanged.
//
// Alarms. CloudWatch's evaluation ("Alarm evaluation" and "Configuring how CloudWatch
// alarms treat missing data", Amazon CloudWatch User Guide): alarms with a period of a
// minute or more are evaluated every minute over periods ending then, high-resolution
// ones every 10 s. A period's datapoint is the mean of its ticks with known demand, and
// missing when it has none (so are periods before the trace starts). CloudWatch fetches
// more periods than EvaluationPeriods (N), how many is undocumented; the model uses N + 2,
// as in the guide's examples. With at least N real datapoints among them, the N newest
// decide: ALARM when at least DatapointsToAlarm (M) breach. With fewer, TreatMissingData
// applies: breaching and notBreaching fill only the shortfall; with none at all, missing
// gives INSUFFICIENT_DATA and ignore keeps the state; otherwise the real ones decide,
// except the guide's "premature alarm" case (the oldest real datapoint breaches, within
// the last N periods and at least M old, and every newer one does), which alarms (missing)
// or keeps the state (ignore). Alarms start in INSUFFICIENT_DATA. An alarm notifies only
// when its state changes, and the SNS-driven scalers act on transitions into ALARM.
//
// # The autoscalers
//
// Stepscaler (the workflow), Seed (a Lambda adding or removing one task per
// notification), AASStepScaling and AASTargetTracking (Application Auto Scaling), HPA
// (the Kubernetes Horizontal Pod Autoscaler) and Oracle (the lower bound, which knows the
// future). Each type's documentation gives its rules and their source. All share the
// setup's Min and Max, which none may leave: a run that sets desiredCount outside them
// fails.
//
// # The measures
//
// Computed at every tick: under- and over-provisioning in task-minutes, minutes with too
// few tasks, scaling actions, how long capacity took to reach each rise in need, and the
// task-minutes of serving tasks (tasks still starting are not counted, though Fargate
// bills them from the image pull). Samples for charts are thinned to one a minute, or
// fewer, at most 20,000 a result.
package simulate
