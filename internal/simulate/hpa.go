package simulate

import (
	"fmt"
	"math"
	"time"
)

// HPA defaults, from the Kubernetes documentation ("Horizontal Pod Autoscaling"): the
// controller's 15 s sync period (--horizontal-pod-autoscaler-sync-period), its 0.1
// tolerance, and the default behavior's 300 s scale-down stabilization window.
//
// The metric pipeline's are the model's, from metrics-server, the usual source of the
// resource metrics the HPA reads: its CPU figure "represents latest values (last 15s)"
// (metrics-server FAQ, kubernetes-sigs/metrics-server), hence a 15 s window; and it
// scrapes the kubelets every --metric-resolution, 15 s in the upstream manifests
// (kubernetes/kubernetes#117121), out of phase with the HPA's sync, so what a sync reads
// is up to 15 s old, and up to another 15 s on the kubelet's side: the model delays it
// 15 s.
const (
	DefaultHPASyncPeriod             = 15 * time.Second
	DefaultHPATolerance              = 0.1
	DefaultHPAScaleDownStabilization = 300 * time.Second
	DefaultHPAMetricWindow           = 15 * time.Second
	DefaultHPAMetricDelay            = 15 * time.Second
)

// HPA is the Kubernetes Horizontal Pod Autoscaler's algorithm, with tasks for pods
// ("Horizontal Pod Autoscaling", Kubernetes documentation, and the HPA controller's
// replica calculator in the Kubernetes source). Every sync period:
//   - the metric is the demand over MetricWindow, ending MetricDelay ago, divided among
//     the tasks serving now; without a known demand, nothing changes;
//   - desired = ceil(ready × metric / target), left at the current count when
//     |metric/target − 1| ≤ Tolerance; on a scale-up, tasks still starting count as
//     serving nothing (which makes it ceil(demand / target)), as the HPA treats unready pods;
//   - scale-down stabilization: the highest recommendation of the last
//     ScaleDownStabilization (seeded with the initial count, as the controller does);
//   - the default scale-up policy: at most the larger of +100% and +4 tasks per 15 s.
type HPA struct {
	Label string // the result's name; "hpa" when empty
	// TargetValue is the per-task metric to hold (requests per second); 0 means 70% of
	// the setup's TaskCapacity.
	TargetValue            float64
	SyncPeriod             time.Duration // 0: DefaultHPASyncPeriod
	Tolerance              float64
	ScaleDownStabilization time.Duration
	MetricWindow           time.Duration // 0: SyncPeriod
	MetricDelay            time.Duration // as set, zero included
}

// NewHPA returns the HPA with Kubernetes' defaults, sizing for target.
func NewHPA(target float64) *HPA {
	return &HPA{TargetValue: target, SyncPeriod: DefaultHPASyncPeriod, Tolerance: DefaultHPATolerance,
		ScaleDownStabilization: DefaultHPAScaleDownStabilization, MetricWindow: DefaultHPAMetricWindow, MetricDelay: DefaultHPAMetricDelay}
}

// Name labels the results.
func (h *HPA) Name() string { return orLabel(h.Label, "hpa") }

// Target is the target value under setup, for the measures.
func (h *HPA) Target(setup Setup) float64 { return targetOrDefault(h.TargetValue, setup) }

// Start checks the settings against the tick.
func (h *HPA) Start(s *Sim) (Controller, error) {
	r := &hpaRun{h: *h, target: targetOrDefault(h.TargetValue, s.Setup())}
	if r.h.SyncPeriod == 0 {
		r.h.SyncPeriod = DefaultHPASyncPeriod
	}
	if r.h.MetricWindow == 0 {
		r.h.MetricWindow = r.h.SyncPeriod
	}
	if tick := s.TickLength(); r.h.SyncPeriod < tick || r.h.SyncPeriod%tick != 0 {
		return nil, fmt.Errorf("sync period %s must be a whole number of ticks of %s", r.h.SyncPeriod, tick)
	}
	if r.h.Tolerance < 0 || r.h.ScaleDownStabilization < 0 || r.h.MetricWindow < 0 || r.h.MetricDelay < 0 {
		return nil, fmt.Errorf("tolerance, stabilization window, metric window and delay must not be negative")
	}
	r.recs = []recommendation{{at: s.Now(), replicas: s.Desired()}}
	return r, nil
}

type recommendation struct {
	at       time.Time
	replicas int
}

type hpaRun struct {
	h      HPA
	target float64
	recs   []recommendation
}

func (r *hpaRun) Step(s *Sim) {
	now := s.Now()
	if since := now.Sub(s.Start()); since == 0 || since%r.h.SyncPeriod != 0 {
		return
	}
	// Each ready pod reports its own usage over the window, so their sum is the load the
	// serving tasks took; averaging demand / running per tick instead would mix in the
	// tasks that served before some of the ready ones started.
	demand, ok := s.demandBefore(r.h.MetricWindow, r.h.MetricDelay)
	if !ok {
		s.Note("no metric")
		return
	}
	ready := max(s.Running(), 1)
	cur := s.Desired()
	rec := r.replicas(cur, ready, s.Pending(), demand/float64(ready))

	cutoff := now.Add(-r.h.ScaleDownStabilization)
	kept := r.recs[:0]
	for _, x := range r.recs {
		if x.at.After(cutoff) {
			kept = append(kept, x)
		}
	}
	r.recs = append(kept, recommendation{at: now, replicas: rec})
	down := rec
	for _, x := range r.recs {
		down = max(down, x.replicas)
	}
	// The scale-up window is 0 by default, so the up recommendation is this one.
	next := min(max(cur, rec), down)
	if next > cur {
		next = min(next, max(cur+4, 2*cur))
	}
	setup := s.Setup()
	if next = min(max(next, setup.Min), setup.Max); next != cur {
		s.SetDesired(next)
	}
}

// replicas is the replica calculator's recommendation for a per-task metric measured
// over ready serving tasks, with unready tasks still starting.
func (r *hpaRun) replicas(cur, ready, unready int, metric float64) int {
	ratio := metric / r.target
	if unready > 0 && ratio > 1 {
		usage := metric * float64(ready)
		newRatio := usage / (r.target * float64(ready+unready))
		if newRatio <= 1 || math.Abs(newRatio-1) <= r.h.Tolerance {
			return cur
		}
		return max(tasksFor(usage, r.target), cur)
	}
	if math.Abs(ratio-1) <= r.h.Tolerance {
		return cur
	}
	return tasksFor(metric*float64(ready), r.target)
}
