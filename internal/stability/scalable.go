package stability

import (
	"fmt"

	"github.com/stepscaler/stepscaler/internal/service"
)

// Scalable reports whether ECS scales the service through its desiredCount, and if not,
// why, for the planner to refuse the service up front. It looks at the kind of service
// only; whether it is ACTIVE is the planner's own check.
//
//   - schedulingStrategy DAEMON: ECS runs exactly one task on each active container
//     instance that meets the placement constraints; a daemon service needs no desired
//     number of tasks and no Service Auto Scaling (Developer Guide, "Daemon" under "Amazon
//     ECS services"; Service definition parameters: desiredCount is optional for DAEMON).
//   - the CODE_DEPLOY or EXTERNAL controller with no task set: such a service runs its tasks
//     only through task sets, each keeping its scale percentage of desiredCount running
//     (Developer Guide, "External deployment"); with none, a new desiredCount starts
//     nothing (the AWS CLI's create-service example of an EXTERNAL service reports
//     desiredCount 1, runningCount 0 and "taskSets": []).
func Scalable(s service.Snapshot) (ok bool, reason string) {
	if s.SchedulingStrategy == service.SchedulingDaemon {
		return false, "schedulingStrategy is DAEMON: ECS runs one task on each container instance and does not scale a daemon service through desiredCount"
	}
	if c := s.Controller(); c != service.ControllerECS && len(s.TaskSets) == 0 {
		return false, fmt.Sprintf("deploymentController is %s and the service has no task set: its tasks run only through task sets, so a new desiredCount starts nothing", c)
	}
	return true, ""
}
