package stepscaler

import (
	"cmp"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	"github.com/aws/aws-cdk-go/awscdk/v2/interfaces/interfacesawscloudwatch"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/stepscaler/stepscaler/internal/activity"
	"github.com/stepscaler/stepscaler/internal/config"
	"github.com/stepscaler/stepscaler/internal/metrics"
	"github.com/stepscaler/stepscaler/internal/scaling"
)

// The dashboard: one per deployment, a row of deployment-wide widgets, then a row per
// configured service.
//
//   - "Stepscaler deployment <name>" (text): what the dashboard shows and where the numbers
//     come from. AWS recommends that a dashboard made by a script say so at its top
//     (PutDashboard, CloudWatch API Reference).
//   - "Executions by outcome": the state machine's ExecutionsSucceeded, ExecutionsFailed,
//     ExecutionsTimedOut and ExecutionsAborted (AWS/States, dimension StateMachineArn;
//     "Monitoring Step Functions metrics using Amazon CloudWatch", Step Functions
//     Developer Guide), Sum a minute.
//   - "Scaling activities by status and direction" and "Not scaled, by reason": the record
//     step's Activities and NotScaled metrics (internal/metrics), found with a search
//     expression over their dimension schema, so every status, direction and reason
//     that occurs shows without the dashboard listing them ("CloudWatch search
//     expression syntax", CloudWatch User Guide).
//   - "Seconds from alarm to update and to stable": TimeToUpdate and TimeToStable of all
//     the services, by direction, Maximum a minute.
//   - "Stepscaler health" (alarm status): the operational alarms.
//   - Per service: "<cluster>/<service>: tasks", its desired, running and pending task
//     counts from Container Insights (ECS/ContainerInsights DesiredTaskCount,
//     RunningTaskCount, PendingTaskCount, dimensions ClusterName and ServiceName:
//     "Amazon ECS Container Insights metrics", CloudWatch User Guide; the AWS/ECS
//     namespace has no task counts, only CPU and memory utilization and reservation,
//     "Amazon ECS CloudWatch metrics", ECS Developer Guide), with the desired count
//     Stepscaler left (DesiredCount) over them. Container Insights must be on for the
//     cluster: without it those three lines stay empty (docs/deploy.md).
//     "<cluster>/<service>: alarms" (alarm status): the service's configured alarms (a
//     service scaled by scheduled actions alone may have none, and then no such widget).
//     "<cluster>/<service>: scaling activities": its Activities by status.
//     "<cluster>/<service>: seconds from alarm to update and to stable": TimeToUpdate and
//     TimeToStable, Maximum a minute. A dry-run service never updates, so it has neither
//     this widget nor the statuses only an update gives.
const (
	dashboardPeriodMinutes = 1
	// maxDashboardWidgets: "A DashboardBody ... can include an array of between 0 and
	// 500 widget objects" (Dashboard Body Structure and Syntax, CloudWatch API Reference).
	maxDashboardWidgets = 500
	// maxAlarmsPerWidget: an alarm status widget's "alarms" holds 1 to 100 alarm ARNs
	// (same page, Properties of an Alarm Status Widget Object).
	maxAlarmsPerWidget = 100
	// Widgets before the services' rows; each service has up to serviceWidgets.
	fixedWidgets   = 6
	serviceWidgets = 4
)

// Container Insights' service metrics.
const (
	containerInsightsNamespace = "ECS/ContainerInsights"
	ciDesired                  = "DesiredTaskCount"
	ciRunning                  = "RunningTaskCount"
	ciPending                  = "PendingTaskCount"
)

// serviceStatuses are the activity statuses a service's executions can end with: every
// status the record step gives, but a dry-run service never updates its service, and
// only an update ends Successful, Unfulfilled or Overridden.
func serviceStatuses(dryRun bool) []string {
	if dryRun {
		return []string{activity.StatusDryRun, activity.StatusNotScaled, activity.StatusFailed}
	}
	return []string{activity.StatusSuccessful, activity.StatusUnfulfilled, activity.StatusOverridden,
		activity.StatusNotScaled, activity.StatusFailed}
}

// checkDashboardSize refuses a configuration whose dashboard CloudWatch would refuse.
func checkDashboardSize(cfg *config.Config) error {
	n := fixedWidgets
	for _, s := range cfg.Services {
		n += serviceWidgets
		if len(s.Alarms) > maxAlarmsPerWidget {
			return fmt.Errorf("service %s/%s has %d alarms; the dashboard's alarm status widget shows at most %d",
				s.Cluster, s.Service, len(s.Alarms), maxAlarmsPerWidget)
		}
	}
	if n > maxDashboardWidgets {
		return fmt.Errorf("the dashboard would have %d widgets, over CloudWatch's %d: it has %d for each of the %d services; "+
			"split the services between two deployments", n, maxDashboardWidgets, serviceWidgets, len(cfg.Services))
	}
	return nil
}

// dashboardParts are what the dashboard shows besides the metrics.
type dashboardParts struct {
	stateMachine awsstepfunctions.StateMachine
	configured   map[string]awscloudwatch.Alarm // the alarms the construct created, by name
	operational  []awscloudwatch.Alarm
}

func iAlarms(alarms []awscloudwatch.Alarm) []awscloudwatch.IAlarm {
	out := make([]awscloudwatch.IAlarm, 0, len(alarms))
	for _, a := range alarms {
		out = append(out, a)
	}
	return out
}

// dashboardNameChars are the characters a dashboard name may hold: "The name must be
// between 1 and 255 characters and can only contain alphanumeric characters, dashes
// (-), and underscores (_)" (AWS::CloudWatch::Dashboard, CloudFormation).
var dashboardNameChars = regexp.MustCompile(`[^A-Za-z0-9_-]`)

// dashboardName is <deployment>-<Region>: "All dashboards in your account are global,
// not region-specific" (AWS::CloudWatch::Dashboard), so one deployment per Region needs
// the Region in the name.
func dashboardName(deployment string) *string {
	base := dashboardNameChars.ReplaceAllString(deployment, "-")
	if len(base) > 200 {
		base = base[:200]
	}
	return awscdk.Fn_Join(jsii.String("-"), &[]*string{jsii.String(base), awscdk.Aws_REGION()})
}

func newDashboard(scope constructs.Construct, s *settings, p dashboardParts) awscloudwatch.Dashboard {
	d := awscloudwatch.NewDashboard(scope, jsii.String("Dashboard"), &awscloudwatch.DashboardProps{
		DashboardName: dashboardName(s.deployment),
	})
	minute := awscdk.Duration_Minutes(jsii.Number(dashboardPeriodMinutes))
	sum := &awscloudwatch.MetricOptions{Period: minute, Statistic: jsii.String("Sum")}
	sm := p.stateMachine

	d.AddWidgets(awscloudwatch.NewTextWidget(&awscloudwatch.TextWidgetProps{
		Width: jsii.Number(24), Height: jsii.Number(3),
		Markdown: jsii.String(fmt.Sprintf("# Stepscaler deployment %s\n"+
			"Made by the CDK construct: changes made here are lost at the next deployment. "+
			"Task counts come from Container Insights (turn it on for the clusters); the activities, reasons, "+
			"desired counts and seconds from alarm to update and to stable come from the record step's metrics "+
			"(namespace %s, dimension %s=%s). The activity log itself: `stepscaler activities`.",
			s.deployment, metrics.Namespace, metrics.Deployment, s.deployment)),
	}))
	var timing []awscloudwatch.IMetric
	for _, dir := range []string{string(scaling.Out), string(scaling.In)} {
		for _, m := range []struct{ name, label string }{{metrics.TimeToUpdate, "to update"}, {metrics.TimeToStable, "to stable"}} {
			timing = append(timing, awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
				Namespace: jsii.String(metrics.Namespace), MetricName: jsii.String(m.name), Statistic: jsii.String("Maximum"),
				Period: minute, Label: jsii.String("scale-" + dir + " " + m.label),
				DimensionsMap: &map[string]*string{metrics.Deployment: jsii.String(s.deployment), metrics.Direction: jsii.String(dir)},
			}))
		}
	}
	d.AddWidgets(
		graph("Executions by outcome", 6, []awscloudwatch.IMetric{
			sm.MetricSucceeded(sum), sm.MetricFailed(sum), sm.MetricTimedOut(sum), sm.MetricAborted(sum),
		}),
		graph("Scaling activities by status and direction", 6, []awscloudwatch.IMetric{
			search(s.deployment, metrics.Activities, "Sum", minute, metrics.Direction, metrics.Status),
		}),
		graph("Not scaled, by reason", 6, []awscloudwatch.IMetric{
			search(s.deployment, metrics.NotScaled, "Sum", minute, metrics.Reason),
		}),
		graph("Seconds from alarm to update and to stable", 6, timing),
	)
	d.AddWidgets(alarmStatus("Stepscaler health", 24, iAlarms(p.operational)))

	// Services by name, and each service's alarms by name: reordering the configuration
	// changes no widget.
	services := slices.SortedFunc(slices.Values(s.cfg.Services), func(a, b config.Service) int {
		return cmp.Or(cmp.Compare(a.Cluster, b.Cluster), cmp.Compare(a.Service, b.Service))
	})
	for _, svc := range services {
		d.AddWidgets(serviceWidgetsOf(scope, s.deployment, svc, p.configured, minute)...)
	}
	return d
}

// serviceWidgetsOf is one service's row.
func serviceWidgetsOf(scope constructs.Construct, deployment string, svc config.Service,
	created map[string]awscloudwatch.Alarm, minute awscdk.Duration) []awscloudwatch.IWidget {
	title := svc.Cluster + "/" + svc.Service
	ecs := map[string]*string{metrics.ClusterName: jsii.String(svc.Cluster), metrics.ServiceName: jsii.String(svc.Service)}
	own := map[string]*string{metrics.Deployment: jsii.String(deployment),
		metrics.ClusterName: jsii.String(svc.Cluster), metrics.ServiceName: jsii.String(svc.Service)}
	metric := func(namespace, name, stat, label string, dims map[string]*string) awscloudwatch.IMetric {
		return awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
			Namespace: jsii.String(namespace), MetricName: jsii.String(name), DimensionsMap: &dims,
			Statistic: jsii.String(stat), Period: minute, Label: jsii.String(label),
		})
	}

	tasks := []awscloudwatch.IMetric{
		metric(containerInsightsNamespace, ciDesired, "Average", "desired (Container Insights)", ecs),
		metric(containerInsightsNamespace, ciRunning, "Average", "running (Container Insights)", ecs),
		metric(containerInsightsNamespace, ciPending, "Average", "pending (Container Insights)", ecs),
		metric(metrics.Namespace, metrics.DesiredCount, "Maximum", "desired count Stepscaler left", own),
	}
	var statuses []awscloudwatch.IMetric
	for _, st := range serviceStatuses(svc.DryRun) {
		dims := map[string]*string{metrics.Status: jsii.String(st)}
		for k, v := range own {
			dims[k] = v
		}
		statuses = append(statuses, metric(metrics.Namespace, metrics.Activities, "Sum", st, dims))
	}
	var alarms []awscloudwatch.IAlarm
	for _, a := range slices.SortedFunc(slices.Values(svc.Alarms), func(a, b config.Alarm) int { return cmp.Compare(a.AlarmName, b.AlarmName) }) {
		if c, ok := created[a.AlarmName]; ok {
			alarms = append(alarms, c)
			continue
		}
		// An alarm that exists outside the construct: imported by name, which creates
		// nothing (Alarm.fromAlarmName, CDK API Reference).
		alarms = append(alarms, awscloudwatch.Alarm_FromAlarmName(scope, jsii.String("Watched"+alarmConstructID(a.AlarmName)), jsii.String(a.AlarmName)))
	}

	row := []awscloudwatch.IWidget{graph(title+": tasks", 6, tasks)}
	if len(alarms) > 0 { // a service scaled by scheduled actions alone may have none
		row = append(row, alarmStatus(title+": alarms", 6, alarms))
	}
	row = append(row, graph(title+": scaling activities", 6, statuses))
	if !svc.DryRun {
		row = append(row, graph(title+": seconds from alarm to update and to stable", 6, []awscloudwatch.IMetric{
			metric(metrics.Namespace, metrics.TimeToUpdate, "Maximum", "to update", own),
			metric(metrics.Namespace, metrics.TimeToStable, "Maximum", "to stable", own),
		}))
	}
	return row
}

func graph(title string, width float64, lines []awscloudwatch.IMetric) awscloudwatch.IWidget {
	return awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{
		Title: jsii.String(title), Width: jsii.Number(width), Height: jsii.Number(6), Left: &lines,
	})
}

func alarmStatus(title string, width float64, alarms []awscloudwatch.IAlarm) awscloudwatch.IWidget {
	refs := make([]interfacesawscloudwatch.IAlarmRef, 0, len(alarms))
	for _, a := range alarms {
		refs = append(refs, a)
	}
	return awscloudwatch.NewAlarmStatusWidget(&awscloudwatch.AlarmStatusWidgetProps{
		Title: jsii.String(title), Width: jsii.Number(width), Height: jsii.Number(6), Alarms: &refs,
		SortBy: awscloudwatch.AlarmStatusWidgetSortBy_STATE_UPDATED_TIMESTAMP,
	})
}

// search finds the deployment's metrics called name whose dimensions are exactly the
// deployment and dims: `SEARCH('{Namespace,Deployment,dims...} MetricName="name"
// Deployment="deployment"', 'stat', period)`. A schema matches only the metrics with
// exactly its dimensions ("CloudWatch search expression syntax"), so the per-service
// metrics of the same name stay out. The deployment name holds no quote (checkName).
func search(deployment, name, stat string, period awscdk.Duration, dims ...string) awscloudwatch.IMetric {
	schema := append([]string{metrics.Namespace, metrics.Deployment}, dims...)
	expr := fmt.Sprintf(`SEARCH('{%s} MetricName="%s" %s="%s"', '%s', %d)`,
		strings.Join(schema, ","), name, metrics.Deployment, deployment, stat, int(*period.ToSeconds(nil)))
	return awscloudwatch.NewSearchExpression(&awscloudwatch.SearchExpressionProps{
		Expression: jsii.String(expr), Period: period,
		// The empty label keeps only each series' own label, its dimension values.
		Label: jsii.String(""),
	})
}
