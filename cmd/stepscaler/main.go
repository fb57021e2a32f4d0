// Command stepscaler is Stepscaler's operator CLI: see what every service is doing, read a
// service's scaling activities, suspend and resume scaling, ask what a step would decide,
// run the whole workflow offline, and check a scaling configuration.
//
// Install it with `go install github.com/stepscaler/stepscaler/cmd/stepscaler@latest`.
// The commands that call AWS take the AWS CLI's global options (--profile, --region,
// --output, --endpoint-url) and environment, and exit with its return codes.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
)

// command is one of the CLI's commands. aws commands call AWS and take the global AWS
// options; output ones print data and take --output too.
type command struct {
	name, summary string
	aws, output   bool
	run           func(ctx context.Context, g *awsOptions, args []string) error
}

var commands = []command{
	{name: "status", summary: "every service at a glance: ECS counts and rollout, alarm states, lease,\ncooldowns, suspensions and latest activities", aws: true, output: true, run: statusCmd},
	{name: "describe-scaling-activities", summary: "list a service's scaling activities from the activity table", aws: true, output: true, run: describeActivities},
	{name: "suspend", summary: "stop a service's scaling (--direction out|in|both) at runtime", aws: true,
		run: func(ctx context.Context, g *awsOptions, args []string) error { return suspend(ctx, g, args, true) }},
	{name: "resume", summary: "restart a service's suspended scaling", aws: true,
		run: func(ctx context.Context, g *awsOptions, args []string) error { return suspend(ctx, g, args, false) }},
	{name: "plan", summary: "what-if: the decision for an alarm and a service, as JSON",
		run: func(_ context.Context, _ *awsOptions, args []string) error { return plan(args) }},
	{name: "simulate", summary: "backtest: replay a metric history through a policy and other autoscalers",
		run: func(_ context.Context, _ *awsOptions, args []string) error { return simulateCmd(args) }},
	{name: "demo", summary: "run a real scale-out offline: local ECS, DynamoDB, Step Functions and the\nreal Lambda bootstraps; --event FILE replays a notification",
		run: func(ctx context.Context, _ *awsOptions, args []string) error { return demo(ctx, args) }},
	{name: "import", summary: "write a Stepscaler configuration from an Application Auto Scaling setup\n(the AWS CLI's describe-* output), reporting what does not map",
		run: func(_ context.Context, _ *awsOptions, args []string) error { return importCmd(args) }},
	{name: "validate-config", summary: "check a scaling configuration file",
		run: func(_ context.Context, _ *awsOptions, args []string) error { return validateConfig(args) }},
	{name: "version", summary: "print the version (also --version)",
		run: func(_ context.Context, _ *awsOptions, _ []string) error { return printVersion(os.Stdout) }},
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:])
	if ctx.Err() != nil {
		os.Exit(exitInterrupted)
	}
	os.Exit(report(os.Stderr, err))
}

func run(ctx context.Context, args []string) error {
	var g awsOptions
	top := flag.NewFlagSet("stepscaler", flag.ContinueOnError)
	top.SetOutput(io.Discard) // usage is ours
	g.register(top, true)
	version := top.Bool("version", false, "print the version")
	if err := top.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printUsage(os.Stdout)
			return nil
		}
		printUsage(os.Stderr)
		return usageError{err: err}
	}
	if *version {
		return printVersion(os.Stdout)
	}
	rest := top.Args()
	if len(rest) == 0 {
		printUsage(os.Stderr)
		return usageError{err: errors.New("a command is required")}
	}
	if rest[0] == "help" {
		printUsage(os.Stdout)
		return nil
	}
	for _, c := range commands {
		if c.name != rest[0] {
			continue
		}
		var misplaced []string
		top.Visit(func(f *flag.Flag) {
			if !c.aws || (f.Name == "output" && !c.output) {
				misplaced = append(misplaced, "--"+f.Name)
			}
		})
		if len(misplaced) > 0 {
			return usageError{err: fmt.Errorf("%s: %s does not apply to it", c.name, strings.Join(misplaced, ", "))}
		}
		return c.run(ctx, &g, rest[1:])
	}
	printUsage(os.Stderr)
	return usageError{err: fmt.Errorf("unknown command %q", rest[0])}
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "usage: stepscaler [global options] <command> [options]")
	fmt.Fprintln(w, "\nCommands:")
	for _, c := range commands {
		lines := strings.Split(c.summary, "\n")
		fmt.Fprintf(w, "  %-29s  %s\n", c.name, lines[0])
		for _, l := range lines[1:] {
			fmt.Fprintf(w, "  %-29s  %s\n", "", l)
		}
	}
	fmt.Fprint(w, `
Global options, for the commands that call AWS (the AWS CLI's, with its environment
variables and precedence: option, then environment, then profile):
  --profile NAME       named profile (AWS_PROFILE)
  --region REGION      AWS Region (AWS_REGION, AWS_DEFAULT_REGION, the profile's region)
  --output FORMAT      table, json, text or off (AWS_DEFAULT_OUTPUT, the profile's output;
                       default table)
  --endpoint-url URL   send every AWS call to URL (per service: AWS_ENDPOINT_URL_ECS,
                       AWS_ENDPOINT_URL_CLOUDWATCH, AWS_ENDPOINT_URL_DYNAMODB)
  --version            print the version

Run 'stepscaler <command> -h' for a command's options.
`)
}

// newFlags is a command's flag set. Parse errors are reported by the flag package, with
// the command's options.
func newFlags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet("stepscaler "+name, flag.ContinueOnError)
	fs.SetOutput(os.Stderr)
	return fs
}

// parseFlags parses a command's options and returns its positional arguments. Options
// may follow positional arguments, as the AWS CLI allows (`status prod/web --output
// json`); everything after "--" is positional.
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional, after []string
	if i := slices.Index(args, "--"); i >= 0 {
		args, after = args[:i], args[i+1:]
	}
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, usageError{err: err, shown: true}
		}
		args = fs.Args()
		if len(args) == 0 {
			return append(positional, after...), nil
		}
		positional, args = append(positional, args[0]), args[1:]
	}
}

// noArguments refuses positional arguments a command does not take.
func noArguments(fs *flag.FlagSet, args []string) error {
	if len(args) > 0 {
		fs.Usage()
		return usageError{err: fmt.Errorf("unexpected argument %q", args[0]), shown: true}
	}
	return nil
}
