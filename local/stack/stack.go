// Package stack runs Stepscaler offline, on loopback: the ECS emulator, DynamoDB and CloudWatch
// (kumo, in process), the Step Functions endpoint running the real statemachine/scale.asl.json, and
// every function's real bootstrap under the Lambda Runtime Interface Emulator, pointed at
// the local servers only through the SDK's standard AWS_ENDPOINT_URL_* variables.
package stack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/sivchari/kumo"

	"github.com/stepscaler/stepscaler/internal/activity"
	"github.com/stepscaler/stepscaler/internal/config"
	"github.com/stepscaler/stepscaler/local/ecsemu"
	"github.com/stepscaler/stepscaler/local/sfnlocal"
)

// The local account. Nothing here reaches AWS; the credentials only satisfy SigV4 signing.
const (
	Region    = "us-east-1"
	AccountID = "000000000000"
	Table     = "stepscaler-local"
	accessKey = "LOCALSTEPSCALER"
	secretKey = "local-secret"
)

// Options configure a local stack.
type Options struct {
	Root   string // repository root
	Config string // scaling config the starter reads
	// TaskStartDelay is how long the ECS emulator keeps a new task pending.
	TaskStartDelay time.Duration
	// WaitOverride replaces every Wait state's duration (nil: the real waits).
	WaitOverride *time.Duration
	// Throttled keeps the ECS emulator's documented token buckets on.
	Throttled bool
	// LogDir receives one log file per component (functions' JSON lines included).
	LogDir string
	// Progress reports slow steps; nil is silent.
	Progress func(format string, args ...any)
}

// Stack is a running local Stepscaler.
type Stack struct {
	ECS        *ecsemu.Emulator
	SFN        *sfn.Client
	CloudWatch *cloudwatch.Client
	DynamoDB   *dynamodb.Client
	Store      *activity.Store
	// StateMachineARN is the Scale state machine's ARN on the local endpoint.
	StateMachineARN string

	opts      Options
	kumo      *kumo.Server
	sfnServer *sfnlocal.Server
	functions map[string]*function
	logs      []*os.File
}

type function struct {
	name string
	url  string // RIE's invoke endpoint base
	cmd  *exec.Cmd
	log  string
}

// Start builds the functions and starts every component. On error it stops what it
// started.
func Start(ctx context.Context, o Options) (s *Stack, err error) {
	if o.Progress == nil {
		o.Progress = func(string, ...any) {}
	}
	if o.LogDir == "" {
		o.LogDir = filepath.Join(o.Root, "build", "local", "logs")
	}
	if err := os.MkdirAll(o.LogDir, 0o755); err != nil {
		return nil, err
	}
	s = &Stack{opts: o, functions: map[string]*function{}}
	defer func() {
		if err != nil {
			s.Close()
		}
	}()

	rie, err := ensureRIE(ctx, o.Root, o.Progress)
	if err != nil {
		return nil, err
	}
	if err := ensureNodeModules(ctx, o.Root, o.Progress); err != nil {
		return nil, err
	}
	o.Progress("building the Lambda functions (bootstrap binaries)")
	names, err := BuildFunctions(ctx, o.Root, filepath.Join(o.Root, "build", "local", "functions"))
	if err != nil {
		return nil, err
	}

	o.Progress("starting the ECS emulator, DynamoDB and CloudWatch")
	ecsLog, err := s.logFile("ecs")
	if err != nil {
		return nil, err
	}
	if s.ECS, err = ecsemu.Start(ecsemu.Options{
		Region: Region, AccountID: AccountID, TaskStartDelay: o.TaskStartDelay,
		Unthrottled: !o.Throttled, Logger: jsonLogger(ecsLog),
	}); err != nil {
		return nil, fmt.Errorf("start ECS emulator: %w", err)
	}
	s.kumo = kumo.NewServer()
	creds := credentials.NewStaticCredentialsProvider(accessKey, secretKey, "")
	s.DynamoDB = dynamodb.New(dynamodb.Options{Region: Region, BaseEndpoint: aws.String(s.kumo.URL), Credentials: creds})
	// kumo keeps tables process-wide: a second stack in one process gets its own table.
	table := fmt.Sprintf("%s-%d", Table, time.Now().UnixNano())
	if err := activity.CreateTable(ctx, s.DynamoDB, table); err != nil {
		return nil, err
	}
	s.Store = activity.New(s.DynamoDB, table)
	s.CloudWatch = cloudwatch.New(cloudwatch.Options{Region: Region, BaseEndpoint: aws.String(s.kumo.URL), Credentials: creds})
	cfg, err := config.Load(o.Config)
	if err != nil {
		return nil, err
	}
	if err := s.createAlarms(ctx, cfg); err != nil {
		return nil, err
	}

	// Ports first: the Step Functions endpoint needs the functions' addresses and the
	// starter needs the endpoint's.
	lambdas, subs := map[string]string{}, map[string]string{}
	for _, n := range names {
		addr, err := freeAddr()
		if err != nil {
			return nil, err
		}
		f := &function{name: n, url: "http://" + addr}
		s.functions[n] = f
		arn := fmt.Sprintf("arn:aws:lambda:%s:%s:function:stepscaler-%s", Region, AccountID, n)
		lambdas[arn] = f.url
		subs[Placeholder(n)] = arn
	}
	o.Progress("starting the Step Functions endpoint (statemachine/scale.asl.json on aws-local-stepfunctions)")
	sfnLog, err := s.logFile("stepfunctions")
	if err != nil {
		return nil, err
	}
	if s.sfnServer, err = sfnlocal.Start(ctx, sfnlocal.Options{
		Definition:    filepath.Join(o.Root, "statemachine", "scale.asl.json"),
		Substitutions: subs, Lambdas: lambdas, WaitOverride: o.WaitOverride,
		Region: Region, Account: AccountID, Name: "Scale", Root: o.Root, Log: sfnLog,
	}); err != nil {
		return nil, fmt.Errorf("start Step Functions endpoint: %w", err)
	}
	s.StateMachineARN = s.sfnServer.StateMachineARN()
	s.SFN = sfn.New(sfn.Options{Region: Region, BaseEndpoint: aws.String(s.sfnServer.URL()), Credentials: creds})

	o.Progress("starting %d functions under the Lambda Runtime Interface Emulator", len(names))
	env := s.functionEnv(table)
	for _, n := range names {
		if err := s.startFunction(ctx, rie, s.functions[n], env); err != nil {
			return nil, err
		}
	}
	for _, n := range names {
		if err := waitListening(ctx, s.functions[n].url, 10*time.Second); err != nil {
			return nil, fmt.Errorf("function %s: %w (see %s)", n, err, s.functions[n].log)
		}
	}
	return s, nil
}

// functionEnv is what every function sees: the SDK's standard variables only. The
// caller's own AWS profile and credentials are left out, so nothing can reach AWS.
func (s *Stack) functionEnv(table string) []string {
	config, _ := filepath.Abs(s.opts.Config)
	return []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + os.TempDir(),
		"AWS_REGION=" + Region,
		"AWS_ACCESS_KEY_ID=" + accessKey,
		"AWS_SECRET_ACCESS_KEY=" + secretKey,
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_CONFIG_FILE=" + os.DevNull,
		"AWS_SHARED_CREDENTIALS_FILE=" + os.DevNull,
		"AWS_ENDPOINT_URL_ECS=" + s.ECS.URL(),
		"AWS_ENDPOINT_URL_DYNAMODB=" + s.kumo.URL,
		"AWS_ENDPOINT_URL_CLOUDWATCH=" + s.kumo.URL,
		"AWS_ENDPOINT_URL_SFN=" + s.sfnServer.URL(),
		"STEPSCALER_TABLE=" + table,
		"STATE_MACHINE_ARN=" + s.StateMachineARN,
		"STEPSCALER_CONFIG=" + config,
		"ACTIVITY_RETENTION_DAYS=42",
	}
}

func (s *Stack) startFunction(ctx context.Context, rie string, f *function, env []string) error {
	apiAddr, err := freeAddr()
	if err != nil {
		return err
	}
	logFile, err := s.logFile("function-" + f.name)
	if err != nil {
		return err
	}
	f.log = logFile.Name()
	bootstrap := filepath.Join(s.opts.Root, "build", "local", "functions", f.name, "bootstrap")
	f.cmd = exec.Command(rie,
		"--runtime-interface-emulator-address", f.url[len("http://"):],
		"--runtime-api-address", apiAddr,
		"--log-level", "error",
		bootstrap)
	f.cmd.Dir = filepath.Dir(bootstrap)
	f.cmd.Env = append(env, "AWS_LAMBDA_FUNCTION_NAME=stepscaler-"+f.name, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE=128")
	f.cmd.Stdout, f.cmd.Stderr = logFile, logFile
	// Its own process group: RIE starts the bootstrap as a child, and both must stop.
	f.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := f.cmd.Start(); err != nil {
		return fmt.Errorf("start %s under RIE: %w", f.name, err)
	}
	return nil
}

// Invoke calls a function as Lambda would, through its emulator, and returns its payload.
// A function error comes back as an *InvokeError.
func (s *Stack) Invoke(ctx context.Context, name string, payload []byte) ([]byte, error) {
	f, ok := s.functions[name]
	if !ok {
		return nil, fmt.Errorf("no function %q", name)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, f.url+"/2015-03-31/functions/function/invocations", bytes.NewReader(payload))
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("invoke %s: %w", name, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("invoke %s: %w", name, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("invoke %s: HTTP %d: %s", name, resp.StatusCode, body)
	}
	// RIE reports a function error as a 200 carrying errorType and errorMessage.
	var fe InvokeError
	if json.Unmarshal(body, &fe) == nil && fe.Type != "" && fe.Message != "" {
		return nil, &fe
	}
	return body, nil
}

// InvokeError is a function's error as Lambda reports it.
type InvokeError struct {
	Type    string `json:"errorType"`
	Message string `json:"errorMessage"`
}

func (e *InvokeError) Error() string { return e.Type + ": " + e.Message }

// FunctionLog returns the path of a function's log file.
func (s *Stack) FunctionLog(name string) string {
	if f, ok := s.functions[name]; ok {
		return f.log
	}
	return ""
}

// Close stops everything Start started.
func (s *Stack) Close() error {
	var errs []error
	for _, f := range s.functions {
		if f.cmd == nil || f.cmd.Process == nil {
			continue
		}
		_ = syscall.Kill(-f.cmd.Process.Pid, syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = f.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(3 * time.Second):
			_ = syscall.Kill(-f.cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
	}
	if s.sfnServer != nil {
		errs = append(errs, s.sfnServer.Close())
	}
	if s.kumo != nil {
		s.kumo.Close()
	}
	if s.ECS != nil {
		errs = append(errs, s.ECS.Close())
	}
	for _, l := range s.logs {
		errs = append(errs, l.Close())
	}
	return errors.Join(errs...)
}

// ECSClient returns an ECS client for the emulator, as the functions configure theirs.
func (s *Stack) ECSClient() *ecs.Client {
	return ecs.New(ecs.Options{Region: Region, BaseEndpoint: aws.String(s.ECS.URL()),
		Credentials: credentials.NewStaticCredentialsProvider(accessKey, secretKey, "")})
}

func (s *Stack) logFile(name string) (*os.File, error) {
	f, err := os.Create(filepath.Join(s.opts.LogDir, name+".log"))
	if err != nil {
		return nil, err
	}
	s.logs = append(s.logs, f)
	return f, nil
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return "127.0.0.1:" + strconv.Itoa(l.Addr().(*net.TCPAddr).Port), nil
}

func waitListening(ctx context.Context, url string, limit time.Duration) error {
	addr := url[len("http://"):]
	deadline := time.Now().Add(limit)
	for {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			return c.Close()
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not listening on %s after %s", addr, limit)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}
