package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/stepscaler/stepscaler/internal/aas"
)

// exitPartialImport: `stepscaler import` wrote the configuration, and some items could not
// be imported; the report on standard error lists them. Scripts must not take a partial
// migration for a whole one.
const exitPartialImport = 3

const importUsage = `usage: stepscaler import --scalable-targets FILE --scaling-policies FILE
                         --scheduled-actions FILE --alarms FILE [-o FILE] [--dry-run=false]

Writes the Stepscaler configuration that decides as an Application Auto Scaling setup
does, from what the AWS CLI prints for it (--output json):

  aws application-autoscaling describe-scalable-targets --service-namespace ecs > targets.json
  aws application-autoscaling describe-scaling-policies --service-namespace ecs > policies.json
  aws application-autoscaling describe-scheduled-actions --service-namespace ecs > actions.json
  aws cloudwatch describe-alarms > alarms.json

A FILE of - is standard input (for one of them). The configuration goes to standard output
or -o FILE; a report of every item, imported or not and why, to standard error. Exit
status 3: the configuration was written, but some items could not be imported.

Options:
`

// importCmd is `stepscaler import`.
func importCmd(args []string) error {
	return runImport(args, os.Stdin, os.Stdout, os.Stderr)
}

func runImport(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("import")
	fs.SetOutput(stderr)
	files := map[string]*string{
		"scalable-targets":  fs.String("scalable-targets", "", "`FILE`: aws application-autoscaling describe-scalable-targets output"),
		"scaling-policies":  fs.String("scaling-policies", "", "`FILE`: aws application-autoscaling describe-scaling-policies output"),
		"scheduled-actions": fs.String("scheduled-actions", "", "`FILE`: aws application-autoscaling describe-scheduled-actions output"),
		"alarms":            fs.String("alarms", "", "`FILE`: aws cloudwatch describe-alarms output (the alarms the policies name, at least)"),
	}
	out := fs.String("o", "-", "write the configuration to `FILE` (- is standard output)")
	dryRun := fs.Bool("dry-run", true, "write every service with dryRun: true, to run beside AAS before switching (docs/migrate.md)")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), importUsage)
		fs.PrintDefaults()
	}
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if err := noArguments(fs, rest); err != nil {
		return err
	}
	var missing, stdins []string
	for _, name := range []string{"scalable-targets", "scaling-policies", "scheduled-actions", "alarms"} {
		switch *files[name] {
		case "":
			missing = append(missing, "--"+name)
		case "-":
			stdins = append(stdins, "--"+name)
		}
	}
	switch {
	case len(missing) > 0:
		fs.Usage()
		return usageError{err: fmt.Errorf("import: %s required", strings.Join(missing, ", ")), shown: false}
	case len(stdins) > 1:
		return usageError{err: fmt.Errorf("import: %s all read standard input; give files for all but one", strings.Join(stdins, ", "))}
	}

	in, err := readImportInput(files, stdin)
	if err != nil {
		return err
	}
	result, err := aas.Import(in, aas.Options{DryRun: *dryRun})
	writeImportReport(stderr, result, *out)
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	if err := writeImportedConfig(*out, result.Config, stdout); err != nil {
		return err
	}
	if result.NotImported() > 0 {
		return exitError(exitPartialImport)
	}
	return nil
}

// readImportInput reads the four files, each with the reader that knows its shape.
func readImportInput(files map[string]*string, stdin io.Reader) (aas.Input, error) {
	var in aas.Input
	read := func(flag string, parse func(name string, r io.Reader) error) error {
		path := *files[flag]
		if path == "-" {
			return parse("standard input (--"+flag+")", stdin)
		}
		f, err := os.Open(path)
		if err != nil {
			return fmt.Errorf("--%s: %w", flag, err)
		}
		defer f.Close()
		return parse(path, f)
	}
	var err error
	errs := []error{
		read("scalable-targets", func(name string, r io.Reader) error {
			in.Targets, err = aas.ReadScalableTargets(name, r)
			return err
		}),
		read("scaling-policies", func(name string, r io.Reader) error {
			in.Policies, err = aas.ReadScalingPolicies(name, r)
			return err
		}),
		read("scheduled-actions", func(name string, r io.Reader) error {
			in.Actions, err = aas.ReadScheduledActions(name, r)
			return err
		}),
		read("alarms", func(name string, r io.Reader) error {
			in.Alarms, in.AlarmsPaged, err = aas.ReadAlarms(name, r)
			return err
		}),
	}
	return in, errors.Join(errs...)
}

// writeImportReport prints what became of every item, service by service, and what to do
// next.
func writeImportReport(w io.Writer, r aas.Result, out string) {
	fmt.Fprintf(w, "Imported %s, %s and %s; %s not imported.\n",
		nounCount(r.Services, "service"), nounCount(r.Alarms, "alarm"), nounCount(r.ScheduledActions, "scheduled action"), nounCount(r.NotImported(), "item"))
	resource := ""
	for _, f := range r.Findings {
		if f.Resource != resource {
			resource = f.Resource
			fmt.Fprintf(w, "\n%s\n", resource)
		}
		kind := string(f.Kind)
		if f.Kind == aas.NotImported {
			kind = strings.ToUpper(kind)
		}
		fmt.Fprintf(w, "  %-13s %s: %s\n", kind, f.Item, f.Message)
	}
	if len(r.ExistingAlarms) > 0 {
		fmt.Fprintf(w, "\nThese existing alarms drive the imported step policies: add Stepscaler's topic to their alarm actions:\n")
		for _, a := range r.ExistingAlarms {
			fmt.Fprintf(w, "  %s\n", a)
		}
	}
	if r.Config != nil && out != "-" {
		fmt.Fprintf(w, "\nWrote %s.\n", out)
	}
}

func writeImportedConfig(path string, data []byte, stdout io.Writer) error {
	if path == "-" {
		_, err := stdout.Write(data)
		return err
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return fmt.Errorf("-o: %w", err)
	}
	return nil
}

func nounCount(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
