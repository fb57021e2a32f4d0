// Package stack runs Stepscaler offline, on loopback: the ECS and CloudWatch emulators,
// DynamoDB (kumo, in process), the Step Functions endpoint running the real
// statemachine/scale.asl.json, every function's real bootstrap under the Lambda Runtime
// Interface Emulator, pointed at the local servers only through the SDK's standard
// AWS_ENDPOINT_URL_* variables, and the two triggers: the alarms' notifications delivered to
// the starter as SNS delivers them, and the per-minute schedule that invokes the evaluation.
package stack

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/sivchari/kumo"

	"github.com/stepscaler/stepscaler/internal/config"
	"github.com/stepscaler/stepscaler/internal/deploy"
	"github.com/stepscaler/stepscaler/internal/lambdaenv"
	"github.com/stepscaler/stepscaler/internal/store"
	"github.com/stepscaler/stepscaler/local/cwemu"
	"github.com/stepscaler/stepscaler/local/dynamofault"
	"github.com/stepscaler/stepscaler/local/ecsemu"
	"github.com/stepscaler/stepscaler/local/sfnlocal"
)

// The local account. Nothing here reaches AWS; the credentials only satisfy SigV4 signing.
// The account and Region are the ones the Runtime Interface Emulator puts in every
// function's ARN (arn:aws:lambda:us-east-1:012345678912:function:...), from which the
// starter learns its own account and Region: the local alarms must come from there.
const (
	Region    = "us-east-1"
	AccountID = "012345678912"
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
	// RetryOverride replaces every Retry interval of the state machine (nil: the real ones).
	RetryOverride *time.Duration
	// SchedulerDelay is how long the ECS emulator's scheduler takes to act on a change
	// (0: its default).
	SchedulerDelay time.Duration
	// SDKMaxAttempts, when positive, sets the functions' AWS_MAX_ATTEMPTS: 1 turns the
	// SDK's own retries off, so the state machine's Retry rules are what retries.
	SDKMaxAttempts int
	// Throttled keeps the ECS emulator's documented token buckets on.
	Throttled bool
	// LogDir receives one log file per component (functions' JSON lines included).
	LogDir string
	// EvaluateEvery runs the per-minute evaluation in the background this often, in real
	// time: a fast clock, each run standing for the next minute. Zero: only when Evaluate
	// is called.
	EvaluateEvery time.Duration
	// StartsPerSecond paces the evaluation's starts (0: the function's default).
	StartsPerSecond float64
	// ECSShare is the share of the account's ECS API rates the functions keep to
	// (0: deploy.DefaultECSShare), as the stack's stepscaler:ecsApiShare context sets it.
	ECSShare float64
	// Progress reports slow steps; nil is silent.
	Progress func(format string, args ...any)
}

// Stack is a running local Stepscaler.
type Stack struct {
	ECS        *ecsemu.Emulator
	CW         *cwemu.Emulator
	SFN        *sfn.Client
	CloudWatch *cloudwatch.Client
	DynamoDB   *dynamodb.Client
	Store      *store.Store
	// DynamoFaults stands between the functions and DynamoDB, failing the writes a
	// scenario chooses.
	DynamoFaults *dynamofault.Proxy
	// StateMachineARN is the Scale state machine's ARN on the local endpoint.
	StateMachineARN string

	opts      Options
	kumo      *kumo.Server
	sfnServer *sfnlocal.Server
	functions map[string]*function
	logs      []*os.File
	sns       *snsDelivery
	schedule  *schedule
	log       *slog.Logger // the stack's own log: deliveries and scheduled runs
}

type function struct {
	name    string
	url     string // RIE's invoke endpoint base
	apiAddr string // RIE's runtime API, which the bootstrap polls
	cmd     *exec.Cmd
	exited  chan struct{} // closed when the emulator's process has ended
	log     string
	// invoking serializes Invoke's calls (the engine serializes its own).
	invoking sync.Mutex
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

	stackLog, err := s.logFile("stack")
	if err != nil {
		return nil, err
	}
	s.log = jsonLogger(stackLog)
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

	o.Progress("starting the ECS and CloudWatch emulators and DynamoDB")
	ecsLog, err := s.logFile("ecs")
	if err != nil {
		return nil, err
	}
	if s.ECS, err = ecsemu.Start(ecsemu.Options{
		Region: Region, AccountID: AccountID, TaskStartDelay: o.TaskStartDelay, SchedulerDelay: o.SchedulerDelay,
		Unthrottled: !o.Throttled, Logger: jsonLogger(ecsLog),
	}); err != nil {
		return nil, fmt.Errorf("start ECS emulator: %w", err)
	}
	s.kumo = kumo.NewServer()
	creds := credentials.NewStaticCredentialsProvider(accessKey, secretKey, "")
	s.DynamoDB = dynamodb.New(dynamodb.Options{Region: Region, BaseEndpoint: aws.String(s.kumo.URL), Credentials: creds})
	// kumo keeps tables process-wide: a second stack in one process gets its own table.
	table := fmt.Sprintf("%s-%d", Table, time.Now().UnixNano())
	if err := store.CreateTable(ctx, s.DynamoDB, table); err != nil {
		return nil, err
	}
	s.Store = store.New(s.DynamoDB, table)
	// The functions reach DynamoDB through a proxy that scenarios use to fail its writes;
	// the stack's own client, which tests check the records with, goes straight to it.
	if s.DynamoFaults, err = dynamofault.Start(s.kumo.URL, s.log); err != nil {
		return nil, err
	}
	cwLog, err := s.logFile("cloudwatch")
	if err != nil {
		return nil, err
	}
	s.sns = &snsDelivery{stack: s}
	if s.CW, err = cwemu.Start(cwemu.Options{Region: Region, AccountID: AccountID, Publish: s.sns.publish, Logger: jsonLogger(cwLog)}); err != nil {
		return nil, fmt.Errorf("start CloudWatch emulator: %w", err)
	}
	s.CloudWatch = cloudwatch.New(cloudwatch.Options{Region: Region, BaseEndpoint: aws.String(s.CW.URL()), Credentials: creds})
	cfg, err := config.Load(o.Config)
	if err != nil {
		return nil, err
	}
	if err := s.createAlarms(ctx, cfg); err != nil {
		return nil, err
	}

	// Ports first: the Step Functions endpoint needs the functions' addresses and the
	// starter needs the endpoint's. All are taken at once, so no two are the same.
	addrs, err := freeAddrs(2*len(names) + 1)
	if err != nil {
		return nil, err
	}
	lambdas, subs := map[string]string{}, map[string]string{}
	for i, n := range names {
		f := &function{name: n, url: "http://" + addrs[2*i], apiAddr: addrs[2*i+1]}
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
	_, sfnPort, _ := net.SplitHostPort(addrs[len(addrs)-1])
	port, _ := strconv.Atoi(sfnPort)
	if s.sfnServer, err = sfnlocal.Start(ctx, sfnlocal.Options{
		Definition:    filepath.Join(o.Root, "statemachine", "scale.asl.json"),
		Substitutions: subs, Lambdas: lambdas, WaitOverride: o.WaitOverride, RetryOverride: o.RetryOverride, Port: port,
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
		if err := s.functions[n].waitListening(ctx, 10*time.Second); err != nil {
			return nil, fmt.Errorf("function %s: %w (see %s)", n, err, s.functions[n].log)
		}
	}
	s.schedule = newSchedule(s)
	if o.EvaluateEvery > 0 {
		s.schedule.run(o.EvaluateEvery)
	}
	return s, nil
}

// localConcurrency is how many instances of each function run here: one emulator each,
// which runs one invocation at a time.
var localConcurrency = map[string]int{}

// functionEnv is what every function sees: the SDK's standard variables only. The
// caller's own AWS profile and credentials are left out, so nothing can reach AWS.
func (s *Stack) functionEnv(table string) []string {
	config, _ := filepath.Abs(s.opts.Config)
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + os.TempDir(),
		"AWS_REGION=" + Region,
		"AWS_ACCESS_KEY_ID=" + accessKey,
		"AWS_SECRET_ACCESS_KEY=" + secretKey,
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_CONFIG_FILE=" + os.DevNull,
		"AWS_SHARED_CREDENTIALS_FILE=" + os.DevNull,
		"AWS_ENDPOINT_URL_ECS=" + s.ECS.URL(),
		"AWS_ENDPOINT_URL_DYNAMODB=" + s.DynamoFaults.URL(),
		"AWS_ENDPOINT_URL_CLOUDWATCH=" + s.CW.URL(),
		"AWS_ENDPOINT_URL_SFN=" + s.sfnServer.URL(),
		"STEPSCALER_TABLE=" + table,
		"STATE_MACHINE_ARN=" + s.StateMachineARN,
		"STEPSCALER_CONFIG=" + config,
		"ACTIVITY_RETENTION_DAYS=42",
		fmt.Sprintf("STARTS_PER_SECOND=%g", cmp.Or(s.opts.StartsPerSecond, 5)),
	}
	if s.opts.SDKMaxAttempts > 0 {
		env = append(env, fmt.Sprintf("AWS_MAX_ATTEMPTS=%d", s.opts.SDKMaxAttempts))
	}
	return env
}

func (s *Stack) startFunction(ctx context.Context, rie string, f *function, env []string) error {
	logFile, err := s.logFile("function-" + f.name)
	if err != nil {
		return err
	}
	f.log = logFile.Name()
	bootstrap := filepath.Join(s.opts.Root, "build", "local", "functions", f.name, "bootstrap")
	f.cmd = exec.Command(rie,
		"--runtime-interface-emulator-address", f.url[len("http://"):],
		"--runtime-api-address", f.apiAddr,
		"--log-level", "error",
		bootstrap)
	f.cmd.Dir = filepath.Dir(bootstrap)
	// The timeout the stack deploys: the emulator ends an invocation that runs longer.
	f.cmd.Env = append(env, "AWS_LAMBDA_FUNCTION_NAME=stepscaler-"+f.name, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE=128",
		fmt.Sprintf("AWS_LAMBDA_FUNCTION_TIMEOUT=%d", int(deploy.Timeout(f.name).Seconds())))
	// Paced as the stack paces it, for the instances run here: one emulator a function.
	if pace := deploy.ECSCallsPerSecond(f.name, cmp.Or(s.opts.ECSShare, deploy.DefaultECSShare), localConcurrency); pace > 0 {
		f.cmd.Env = append(f.cmd.Env, fmt.Sprintf("%s=%g", lambdaenv.ECSPaceVariable, pace))
	}
	f.cmd.Stdout, f.cmd.Stderr = logFile, logFile
	// Its own process group: RIE starts the bootstrap as a child, and both must stop.
	f.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := f.cmd.Start(); err != nil {
		return fmt.Errorf("start %s under RIE: %w", f.name, err)
	}
	f.exited = make(chan struct{})
	go func() { _ = f.cmd.Wait(); close(f.exited) }()
	return nil
}

// Invoke calls a function as Lambda would, through its emulator, and returns its payload.
// A function error comes back as an *InvokeError.
func (s *Stack) Invoke(ctx context.Context, name string, payload []byte) ([]byte, error) {
	f, ok := s.functions[name]
	if !ok {
		return nil, fmt.Errorf("no function %q", name)
	}
	// The emulator runs one invocation at a time and fails, even dies, when given a second:
	// invocations queue here, as asynchronous ones queue in Lambda for a free instance.
	f.invoking.Lock()
	defer f.invoking.Unlock()
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
	if s.schedule != nil {
		s.schedule.stop()
	}
	if s.sns != nil {
		s.sns.wait()
	}
	for _, f := range s.functions {
		if f.cmd == nil || f.cmd.Process == nil {
			continue
		}
		_ = syscall.Kill(-f.cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-f.exited:
		case <-time.After(3 * time.Second):
			_ = syscall.Kill(-f.cmd.Process.Pid, syscall.SIGKILL)
			<-f.exited
		}
	}
	if s.sfnServer != nil {
		errs = append(errs, s.sfnServer.Close())
	}
	if s.DynamoFaults != nil {
		errs = append(errs, s.DynamoFaults.Close())
	}
	if s.kumo != nil {
		s.kumo.Close()
	}
	if s.CW != nil {
		errs = append(errs, s.CW.Close())
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

// freeAddrs finds n distinct free loopback addresses: each is held until all are found, so
// none is handed out twice.
func freeAddrs(n int) ([]string, error) {
	var addrs []string
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("find a free port: %w", err)
		}
		defer l.Close()
		addrs = append(addrs, l.Addr().String())
	}
	return addrs, nil
}

// waitListening waits for the function's emulator to accept connections. An emulator that
// exited (it could not bind its address, which another process took meanwhile) is an
// error: what listens there is not the function.
func (f *function) waitListening(ctx context.Context, limit time.Duration) error {
	addr := f.url[len("http://"):]
	deadline := time.Now().Add(limit)
	for {
		select {
		case <-f.exited:
			return fmt.Errorf("the Runtime Interface Emulator exited")
		default:
		}
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			// A process that lost its address exits within moments: look again.
			select {
			case <-f.exited:
				return fmt.Errorf("the Runtime Interface Emulator exited (%s is taken by another process)", addr)
			case <-time.After(50 * time.Millisecond):
				return nil
			}
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
