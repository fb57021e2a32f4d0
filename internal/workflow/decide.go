package workflow

import (
	"time"

	"github.com/stepscaler/stepscaler/internal/config"
	"github.com/stepscaler/stepscaler/internal/scaling"
	"github.com/stepscaler/stepscaler/internal/stability"
)

// Decide is the "Plan scaling" step's decision: scaling.Decide over the service's deployed
// policies, fed what the earlier steps read and the clock. The what-if CLI and the
// backtest call it too, so their answers are the workflow's.
func Decide(target config.ServiceTarget, req PlanRequest, now time.Time) scaling.Decision {
	_, notScalable := stability.Scalable(req.Before)
	return scaling.Decide(target.Policies, req.Alarms.Alarms, scaling.Observation{
		Service:     req.Before,
		History:     req.Lease.State.History(),
		NotScalable: notScalable,
		Now:         now,
	})
}
