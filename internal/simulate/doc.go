// Package simulate backtests autoscalers: it replays a real request history against a
// Stepscaler policy and, side by side, against the documented algorithms of other
// autoscalers, and measures how well each kept capacity with demand.
//
// Stepscaler is simulated with the workflow's own code, not a copy: the plan step's
// workflow.Decide (which calls scaling.Decide across the service's alarms) and
// stability.Check for the stability loop; the two triggers (the notification and the
// per-minute evaluation) start executions as deployed. What the workflow reads from AWS
// (alarm states and metrics, the service's counts, the state item) comes from the
// simulation below. One addition the workflow does not make yet: the state item keeps
// the decisions' recommendations (scaling.History.Recommendations) for the scale-in
// stabilization window; docs/backtest.md lists the wiring that needs.
//
// # The model
//
// The numbers are only as good as this model; every simplification is listed here, and
// every choice the autoscalers' documentation leaves open is a Models field or a Setup
// field, a flag of `stepscaler simulate` of the same name (Knobs), with its default and
// its source. Sensitivity shows how the results move with each.
//
// Time. The run starts at the trace's first bucket and ends with its last, in ticks of
// Setup.Tick (5 s by default). Within a tick: tasks due to start serving do; the alarms
// due are evaluated; the autoscaler steps; the tick is measured; the tick's metric is
// recorded for later alarm periods. Events an autoscaler schedules (poll intervals, waits)
// happen at the first tick at or after their time. Lambda, Step Functions and API latency
// are not modelled.
//
// Demand. A trace bucket's value is the number of requests in the bucket that starts at
// its timestamp; demand is value / bucket seconds, in requests per second, constant
// within the bucket (a tick straddling buckets gets their overlap-weighted mean). A
// missing bucket has unknown demand: the alarms get no datapoint from it (their
// TreatMissingData applies), and the measures skip it and count it in SkippedMinutes.
//
// Need. needed = ceil(demand / TaskCapacity), 0 when demand is 0: the tasks that serve it
// at 100% utilization. It is not clamped to [Min, Max], so the measures show what the
// bounds cost; the controllable measures use it clamped.
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
// ones (10, 20 and 30 s) every 10 s ("If the alarm period is 10 seconds or 30 seconds,
// the alarm is evaluated every 10 seconds", "Using Amazon CloudWatch alarms"). A
// period's datapoint is the mean of its ticks with known demand, and missing when it
// has none (so are periods before the trace starts). CloudWatch fetches more periods
// than EvaluationPeriods (N), how many is undocumented; the model uses N + 2, as in the
// guide's examples. With at least N real datapoints among them, the N newest decide:
// ALARM when at least DatapointsToAlarm (M) breach. With fewer, TreatMissingData applies
// (package alarmeval). Alarms start in INSUFFICIENT_DATA. An alarm notifies only when its
// state changes, and the SNS-driven scalers act on transitions into ALARM; Since is its
// StateUpdatedTimestamp.
//
// Metric delay. A datapoint does not reach CloudWatch's alarms the moment its period
// ends: the service publishes it at the end of the period (ECS "sends metrics to
// CloudWatch at one-minute intervals", Amazon ECS CloudWatch metrics), CloudWatch
// ingests it, and the alarm is evaluated on its own schedule. AWS publishes no figure.
// Setup.MetricDelay shifts every alarm's periods that much into the past, for every
// alarm-driven autoscaler alike (Stepscaler, the seed, AAS step scaling and target
// tracking); the CLI's default, MetricDelayOneEvaluation, is one evaluation interval of
// each alarm (60 s for standard alarms, 10 s for high-resolution ones): a datapoint
// completed at one evaluation is first used by the next. The HPA's metric pipeline has
// its own delay (below).
//
// # The autoscalers
//
// Stepscaler (the workflow), Seed (a Lambda adding or removing one task per
// notification), AASStepScaling and AASTargetTracking (Application Auto Scaling), HPA
// (the Kubernetes Horizontal Pod Autoscaler) and Oracle (the lower bound, which knows the
// future). Each type's documentation gives its rules and their source; the choices left
// open are:
//   - AASTargetTracking.ScaleInLimit (default none: the same proportion as a scale-out),
//     CooldownBase (default the capacity before the scale-out that started the cooldown)
//     and Period (default 60 s; 20 s is ECS's high-resolution CPU metric);
//   - HPA.MetricWindow (default 15 s, what metrics-server's figure covers) and
//     MetricDelay (default 15 s, metrics-server's scrape interval in the upstream
//     manifests);
//   - Stepscaler.Cadence, a what-if: the deployed evaluation runs once a minute and an
//     execution's name lasts the minute, so a scale-out alarm entering ALARM in a minute
//     whose execution already ran waits for the next.
//
// All share the setup's Min and Max, which none may leave: a run that sets desiredCount
// outside them fails. FromPreset builds Stepscaler from a policy preset (package presets).
//
// # The measures
//
// Computed at every tick (see Measures): under- and over-provisioning in task-minutes,
// raw and controllable (against the need clamped to [Min, Max], so that what the bounds
// cost every autoscaler alike is set apart); idle capacity beyond the autoscaler's own
// target (Targeted); minutes with too few tasks; scaling actions; time to capacity over
// every rise of the clamped need, the same rises for every autoscaler, with those never
// met counted; and the task-minutes of serving tasks (tasks still starting are not
// counted, though Fargate bills them from the image pull). Stepscaler's notes count its
// executions, the state transitions they make and their Lambda invocations, by their
// paths through statemachine/scale.asl.json, for what it costs to run. Samples for charts
// are thinned to one a minute, or fewer, at most 20,000 a result.
//
// # Trade-off curves
//
// Families are the autoscalers with their main knob (the presets' and the anchors'
// target, the step policies' threshold); Curves runs each at every value of its knob,
// FlagDominated marks Stepscaler's points another autoscaler's beats on both controllable
// measures, and Cover checks every point of the anchors' curves against the presets'.
// Package report writes them out.
package simulate
