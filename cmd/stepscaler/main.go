// Command stepscaler is Stepscaler's operator CLI: run the whole workflow offline, read a
// service's scaling activities, and check a scaling configuration.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

const usage = `usage: stepscaler <command> [options]

Commands:
  demo                           run a real scale-out offline: local ECS, DynamoDB, Step Functions
                                 and the real Lambda bootstraps; --event FILE replays a notification
  plan                           what-if: the decision for an alarm and a service, as JSON
  simulate                       backtest: replay a metric history through a policy and other autoscalers
  describe-scaling-activities    list a service's scaling activities from the activity table
  suspend, resume                stop or restart a service's scaling (--direction out|in|both) at runtime
  validate-config                check a scaling configuration file

Run 'stepscaler <command> -h' for a command's options.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		var exit exitError
		if errors.As(err, &exit) {
			os.Exit(int(exit))
		}
		fmt.Fprintln(os.Stderr, "stepscaler:", err)
		os.Exit(1)
	}
}

// exitError ends the program with a status after the command has said why.
type exitError int

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

func run(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Print(usage)
		return nil
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "demo":
		return demo(ctx, rest)
	case "plan":
		return plan(rest)
	case "simulate":
		return simulateCmd(rest)
	case "suspend":
		return suspend(ctx, rest, true)
	case "resume":
		return suspend(ctx, rest, false)
	case "describe-scaling-activities":
		return describeActivities(ctx, rest)
	case "validate-config":
		return validateConfig(rest)
	default:
		fmt.Fprint(os.Stderr, usage)
		return fmt.Errorf("unknown command %q", cmd)
	}
}

func newFlags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet("stepscaler "+name, flag.ContinueOnError)
	fs.SetOutput(os.Stderr)
	return fs
}
