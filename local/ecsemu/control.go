package ecsemu

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/stepscaler/stepscaler/local/emulator"
)

// The control API: the Go control methods over HTTP, for a process that
// did not start the emulator. JSON in, JSON out; durations are Go duration
// strings ("150ms"). See README.md for the routes.

const controlPrefix = emulator.ControlPrefix

func (e *Emulator) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+controlPrefix+"clusters", e.ctlCreateCluster)
	mux.HandleFunc("PUT "+controlPrefix+"clusters/{cluster}/capacity", e.ctlSetCapacity)
	mux.HandleFunc("PUT "+controlPrefix+"clusters/{cluster}/fargate", e.ctlSetFargateCapacity)
	mux.HandleFunc("PUT "+controlPrefix+"clusters/{cluster}/instances", e.ctlSetContainerInstances)
	mux.HandleFunc("POST "+controlPrefix+"services", e.ctlCreateService)
	mux.HandleFunc("GET "+controlPrefix+"services/{cluster}/{name}", e.ctlGetService)
	mux.HandleFunc("PATCH "+controlPrefix+"services/{cluster}/{name}", e.ctlPatchService)
	mux.HandleFunc("POST "+controlPrefix+"faults", e.faults.ServeInjectFault)
	mux.HandleFunc("GET "+controlPrefix+"calls", e.faults.ServeCalls)
	mux.HandleFunc(controlPrefix, emulator.NoControlRoute)
	mux.HandleFunc("/", e.serveAPI)
	return mux
}

// duration is a time.Duration written as a Go duration string in JSON.
type duration time.Duration

func (d *duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("duration: want a string such as \"150ms\": %w", err)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("duration: %w", err)
	}
	*d = duration(v)
	return nil
}

type controlService struct {
	Cluster               string         `json:"cluster"`
	Name                  string         `json:"name"`
	DesiredCount          int            `json:"desiredCount"`
	RunningCount          *int           `json:"runningCount"`
	TaskDefinition        string         `json:"taskDefinition"`
	LaunchType            string         `json:"launchType"`
	SchedulingStrategy    string         `json:"schedulingStrategy"`
	DeploymentController  string         `json:"deploymentController"`
	CircuitBreaker        CircuitBreaker `json:"circuitBreaker"`
	MinimumHealthyPercent *int           `json:"minimumHealthyPercent"`
	MaximumPercent        *int           `json:"maximumPercent"`
	TaskStartDelay        duration       `json:"taskStartDelay"`
	TaskStopDelay         duration       `json:"taskStopDelay"`
	FailRollouts          bool           `json:"failRollouts"`
}

type controlPatch struct {
	TaskStartDelay *duration `json:"taskStartDelay"`
	FailRollouts   *bool     `json:"failRollouts"`
}

func (e *Emulator) ctlCreateCluster(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Name string `json:"name"`
	}
	if !emulator.DecodeControl(w, r, &in) {
		return
	}
	if err := e.CreateCluster(in.Name); err != nil {
		emulator.WriteControlError(w, http.StatusBadRequest, err)
		return
	}
	emulator.WriteControl(w, http.StatusCreated, map[string]string{"name": in.Name})
}

func (e *Emulator) ctlSetCapacity(w http.ResponseWriter, r *http.Request) {
	var in struct {
		MaxTasks *int `json:"maxTasks"`
	}
	if !emulator.DecodeControl(w, r, &in) {
		return
	}
	if in.MaxTasks == nil {
		emulator.WriteControlError(w, http.StatusBadRequest, errors.New("maxTasks is required (negative: unlimited)"))
		return
	}
	if err := e.SetCapacity(r.PathValue("cluster"), *in.MaxTasks); err != nil {
		emulator.WriteControlError(w, controlStatus(err), err)
		return
	}
	emulator.WriteControl(w, http.StatusOK, map[string]int{"maxTasks": *in.MaxTasks})
}

func (e *Emulator) ctlSetFargateCapacity(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Available *bool `json:"available"`
	}
	if !emulator.DecodeControl(w, r, &in) {
		return
	}
	if in.Available == nil {
		emulator.WriteControlError(w, http.StatusBadRequest, errors.New("available is required"))
		return
	}
	if err := e.SetFargateCapacity(r.PathValue("cluster"), *in.Available); err != nil {
		emulator.WriteControlError(w, controlStatus(err), err)
		return
	}
	emulator.WriteControl(w, http.StatusOK, map[string]bool{"available": *in.Available})
}

func (e *Emulator) ctlSetContainerInstances(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Count *int `json:"count"`
	}
	if !emulator.DecodeControl(w, r, &in) {
		return
	}
	if in.Count == nil {
		emulator.WriteControlError(w, http.StatusBadRequest, errors.New("count is required"))
		return
	}
	if err := e.SetContainerInstances(r.PathValue("cluster"), *in.Count); err != nil {
		emulator.WriteControlError(w, controlStatus(err), err)
		return
	}
	emulator.WriteControl(w, http.StatusOK, map[string]int{"count": *in.Count})
}

func (e *Emulator) ctlCreateService(w http.ResponseWriter, r *http.Request) {
	in := controlService{Cluster: "default"}
	if !emulator.DecodeControl(w, r, &in) {
		return
	}
	spec := ServiceSpec{
		DesiredCount:          in.DesiredCount,
		RunningCount:          in.RunningCount,
		TaskDefinition:        in.TaskDefinition,
		LaunchType:            in.LaunchType,
		SchedulingStrategy:    in.SchedulingStrategy,
		DeploymentController:  in.DeploymentController,
		CircuitBreaker:        in.CircuitBreaker,
		MinimumHealthyPercent: in.MinimumHealthyPercent,
		MaximumPercent:        in.MaximumPercent,
		TaskStartDelay:        time.Duration(in.TaskStartDelay),
		TaskStopDelay:         time.Duration(in.TaskStopDelay),
		FailRollouts:          in.FailRollouts,
	}
	if err := e.CreateService(in.Cluster, in.Name, spec); err != nil {
		emulator.WriteControlError(w, controlStatus(err), err)
		return
	}
	v, _ := e.Service(in.Cluster, in.Name)
	emulator.WriteControl(w, http.StatusCreated, v)
}

func (e *Emulator) ctlGetService(w http.ResponseWriter, r *http.Request) {
	cluster, name := r.PathValue("cluster"), r.PathValue("name")
	v, ok := e.Service(cluster, name)
	if !ok {
		emulator.WriteControlError(w, http.StatusNotFound, fmt.Errorf("service %s/%s: %w", cluster, name, ErrServiceNotFound))
		return
	}
	emulator.WriteControl(w, http.StatusOK, v)
}

func (e *Emulator) ctlPatchService(w http.ResponseWriter, r *http.Request) {
	cluster, name := r.PathValue("cluster"), r.PathValue("name")
	var in controlPatch
	if !emulator.DecodeControl(w, r, &in) {
		return
	}
	if in.TaskStartDelay != nil {
		if err := e.SetTaskStartDelay(cluster, name, time.Duration(*in.TaskStartDelay)); err != nil {
			emulator.WriteControlError(w, controlStatus(err), err)
			return
		}
	}
	if in.FailRollouts != nil {
		if err := e.FailRollouts(cluster, name, *in.FailRollouts); err != nil {
			emulator.WriteControlError(w, controlStatus(err), err)
			return
		}
	}
	e.ctlGetService(w, r)
}

func controlStatus(err error) int {
	switch {
	case errors.Is(err, ErrClusterNotFound), errors.Is(err, ErrServiceNotFound):
		return http.StatusNotFound
	case errors.Is(err, ErrServiceExists):
		return http.StatusConflict
	default:
		return http.StatusBadRequest
	}
}
