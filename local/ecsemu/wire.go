package ecsemu

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// This file holds the JSON shapes of the ECS API (awsJson1_1) that the
// emulator speaks. Member names follow the ECS API Reference and the
// aws-sdk-go-v2 ECS schemas; only the members the emulator models are
// present, and the SDK ignores the ones it does not send.

const (
	targetPrefix    = "AmazonEC2ContainerServiceV20141113."
	jsonContentType = "application/x-amz-json-1.1"
)

// epochSeconds encodes a time the way ECS does on the wire: seconds since
// the Unix epoch as a JSON number with a millisecond fraction.
type epochSeconds time.Time

func (t epochSeconds) MarshalJSON() ([]byte, error) {
	ms := time.Time(t).UnixMilli()
	return fmt.Appendf(nil, "%d.%03d", ms/1000, ms%1000), nil
}

type wireCluster struct {
	ClusterArn                        string `json:"clusterArn"`
	ClusterName                       string `json:"clusterName"`
	Status                            string `json:"status"`
	RegisteredContainerInstancesCount int    `json:"registeredContainerInstancesCount"`
	RunningTasksCount                 int    `json:"runningTasksCount"`
	PendingTasksCount                 int    `json:"pendingTasksCount"`
	ActiveServicesCount               int    `json:"activeServicesCount"`
}

type wireFailure struct {
	Arn    string `json:"arn"`
	Reason string `json:"reason"`
}

type wireController struct {
	Type string `json:"type"`
}

type wireCircuitBreaker struct {
	Enable   bool `json:"enable"`
	Rollback bool `json:"rollback"`
}

type wireDeploymentConfiguration struct {
	DeploymentCircuitBreaker *wireCircuitBreaker `json:"deploymentCircuitBreaker,omitempty"`
	MaximumPercent           *int                `json:"maximumPercent,omitempty"`
	MinimumHealthyPercent    *int                `json:"minimumHealthyPercent,omitempty"`
}

type wireEvent struct {
	ID        string       `json:"id"`
	CreatedAt epochSeconds `json:"createdAt"`
	Message   string       `json:"message"`
}

type wireDeployment struct {
	ID                 string       `json:"id"`
	Status             string       `json:"status"`
	TaskDefinition     string       `json:"taskDefinition"`
	DesiredCount       int          `json:"desiredCount"`
	PendingCount       int          `json:"pendingCount"`
	RunningCount       int          `json:"runningCount"`
	FailedTasks        int          `json:"failedTasks"`
	CreatedAt          epochSeconds `json:"createdAt"`
	UpdatedAt          epochSeconds `json:"updatedAt"`
	LaunchType         string       `json:"launchType"`
	RolloutState       string       `json:"rolloutState,omitempty"`
	RolloutStateReason string       `json:"rolloutStateReason,omitempty"`
}

type wireService struct {
	ServiceArn              string                      `json:"serviceArn"`
	ServiceName             string                      `json:"serviceName"`
	ClusterArn              string                      `json:"clusterArn"`
	Status                  string                      `json:"status"`
	DesiredCount            int                         `json:"desiredCount"`
	RunningCount            int                         `json:"runningCount"`
	PendingCount            int                         `json:"pendingCount"`
	LaunchType              string                      `json:"launchType"`
	TaskDefinition          string                      `json:"taskDefinition,omitempty"`
	DeploymentConfiguration wireDeploymentConfiguration `json:"deploymentConfiguration"`
	Deployments             []wireDeployment            `json:"deployments"`
	Events                  []wireEvent                 `json:"events"`
	CreatedAt               epochSeconds                `json:"createdAt"`
	SchedulingStrategy      string                      `json:"schedulingStrategy"`
	DeploymentController    wireController              `json:"deploymentController"`
}

type createClusterInput struct {
	ClusterName string `json:"clusterName"`
}

type createClusterOutput struct {
	Cluster wireCluster `json:"cluster"`
}

type describeClustersInput struct {
	Clusters []string `json:"clusters"`
}

type describeClustersOutput struct {
	Clusters []wireCluster `json:"clusters"`
	Failures []wireFailure `json:"failures"`
}

type createServiceInput struct {
	Cluster                 string                       `json:"cluster"`
	ServiceName             string                       `json:"serviceName"`
	TaskDefinition          string                       `json:"taskDefinition"`
	DesiredCount            *int                         `json:"desiredCount"`
	LaunchType              string                       `json:"launchType"`
	SchedulingStrategy      string                       `json:"schedulingStrategy"`
	DeploymentController    *wireController              `json:"deploymentController"`
	DeploymentConfiguration *wireDeploymentConfiguration `json:"deploymentConfiguration"`
}

// serviceOutput is the response of CreateService, UpdateService and
// DeleteService alike.
type serviceOutput struct {
	Service wireService `json:"service"`
}

type describeServicesInput struct {
	Cluster  string   `json:"cluster"`
	Services []string `json:"services"`
}

type describeServicesOutput struct {
	Services []wireService `json:"services"`
	Failures []wireFailure `json:"failures"`
}

type updateServiceInput struct {
	Cluster                 string                       `json:"cluster"`
	Service                 string                       `json:"service"`
	DesiredCount            *int                         `json:"desiredCount"`
	TaskDefinition          string                       `json:"taskDefinition"`
	ForceNewDeployment      bool                         `json:"forceNewDeployment"`
	DeploymentConfiguration *wireDeploymentConfiguration `json:"deploymentConfiguration"`
}

type deleteServiceInput struct {
	Cluster string `json:"cluster"`
	Service string `json:"service"`
	Force   *bool  `json:"force"`
}

type listServicesInput struct {
	Cluster            string `json:"cluster"`
	NextToken          string `json:"nextToken"`
	MaxResults         *int   `json:"maxResults"`
	LaunchType         string `json:"launchType"`
	SchedulingStrategy string `json:"schedulingStrategy"`
}

type listServicesOutput struct {
	ServiceArns []string `json:"serviceArns"`
	NextToken   string   `json:"nextToken,omitempty"`
}

// apiError is an ECS error response. Its Type is both the __type member and
// the X-Amzn-ErrorType header, which is how the SDK picks the typed error.
type apiError struct {
	Type    string
	Message string
}

func (e *apiError) Error() string { return e.Type + ": " + e.Message }

// status is the HTTP status ECS answers the error with: server faults are
// 5xx (which the SDK retries), everything else is a client error.
func (e *apiError) status() int {
	switch e.Type {
	case "ServerException", "InternalFailure":
		return http.StatusInternalServerError
	case "ServiceUnavailableException", "ServiceUnavailable":
		return http.StatusServiceUnavailable
	default:
		return http.StatusBadRequest
	}
}

func invalidParameter(format string, args ...any) *apiError {
	return &apiError{Type: "InvalidParameterException", Message: fmt.Sprintf(format, args...)}
}

// Messages as ECS words them.
func errClusterNotFound() *apiError {
	return &apiError{Type: "ClusterNotFoundException", Message: "Cluster not found."}
}

func errServiceNotFound() *apiError {
	return &apiError{Type: "ServiceNotFoundException", Message: "Service not found."}
}

func errServiceNotActive() *apiError {
	return &apiError{Type: "ServiceNotActiveException", Message: "Service was not ACTIVE."}
}

// errDaemonDesiredCount is ECS's answer to a desired count for a DAEMON
// service, in CreateService and UpdateService alike, as captured in public
// issue reports (for example fabfuel/ecs-deploy#59, eagletmt/hako#65).
func errDaemonDesiredCount() *apiError {
	return invalidParameter("The daemon scheduling strategy does not support a desired count for services. Remove the desired count value and try again")
}

func errThrottled() *apiError {
	return &apiError{Type: "ThrottlingException", Message: "Rate exceeded"}
}

func writeAPIResponse(w http.ResponseWriter, requestID string, out any) {
	w.Header().Set("Content-Type", jsonContentType)
	w.Header().Set("X-Amzn-Requestid", requestID)
	w.WriteHeader(http.StatusOK)
	_ = json.NewEncoder(w).Encode(out) // the client is gone if this fails
}

func writeAPIError(w http.ResponseWriter, requestID string, e *apiError) {
	w.Header().Set("Content-Type", jsonContentType)
	w.Header().Set("X-Amzn-Requestid", requestID)
	w.Header().Set("X-Amzn-Errortype", e.Type)
	w.WriteHeader(e.status())
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": e.Type, "message": e.Message})
}
