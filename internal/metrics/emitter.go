package metrics

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sync"
)

// DeploymentVariable names the environment variable that gives a function its
// deployment's name, the Deployment dimension of its metrics (the CDK construct sets it).
const DeploymentVariable = "STEPSCALER_DEPLOYMENT"

// DefaultDeployment is the deployment's name when DeploymentVariable is not set: the
// standalone app's stack name.
const DefaultDeployment = "Stepscaler"

// CheckDeployment refuses a deployment name that cannot be a dimension value.
func CheckDeployment(name string) error {
	if !validDimensionValue(name) {
		return fmt.Errorf("deployment name %q: a metric dimension value is 1 to %d ASCII characters, not all blank, no control characters",
			name, maxDimensionValueLength)
	}
	return nil
}

// Emitter writes an outcome's documents to a function's standard output, one JSON line
// each, where Lambda sends them to CloudWatch Logs. Lambda keeps a line that is a JSON
// object as it is, and with log-level filtering gives one without a "level" key the level
// INFO ("Log-level filtering", Lambda Developer Guide): the stack's INFO keeps them.
type Emitter struct {
	deployment string
	mu         sync.Mutex // one line at a time: a line is one log event
	w          io.Writer
}

// NewEmitter returns an emitter for the deployment's metrics that writes to w.
func NewEmitter(w io.Writer, deployment string) (*Emitter, error) {
	if err := CheckDeployment(deployment); err != nil {
		return nil, err
	}
	return &Emitter{deployment: deployment, w: w}, nil
}

// Emit writes the outcome's documents. Each is one Write call of one line, so that a log
// event never holds half a document.
func (e *Emitter) Emit(o Outcome) error {
	docs := Documents(e.deployment, o)
	lines := make([][]byte, 0, len(docs))
	for _, d := range docs {
		var b bytes.Buffer
		enc := json.NewEncoder(&b) // Encode ends the line with '\n'
		enc.SetEscapeHTML(false)
		if err := enc.Encode(d); err != nil {
			return fmt.Errorf("encode the metrics of %s: %w", o.ActivityID, err)
		}
		lines = append(lines, b.Bytes())
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, l := range lines {
		if _, err := e.w.Write(l); err != nil {
			return fmt.Errorf("write the metrics of %s: %w", o.ActivityID, err)
		}
	}
	return nil
}
