package main

import (
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/aws/smithy-go"
)

// Exit statuses. Where Stepscaler meets a case the AWS CLI has, it returns the AWS CLI's
// code ("Command line return codes in the AWS CLI", AWS CLI User Guide), so scripts can
// treat both alike.
const (
	exitOK = 0
	// exitFailure: something local went wrong: a file that cannot be read, an invalid
	// scaling configuration, a demo that failed. The AWS CLI uses 1 only for failed S3
	// transfers, so the code means nothing else there.
	exitFailure = 1
	// exitUsage: the command line could not be parsed (an unknown command or option, a
	// missing or invalid argument): the AWS CLI's 2.
	exitUsage = 2
	// exitInterrupted: SIGINT or SIGTERM stopped the command, as the AWS CLI's 130.
	exitInterrupted = 130
	// exitConfig: "The system environment or configuration was invalid": no Region, an
	// unknown profile, no credentials.
	exitConfig = 253
	// exitService: the request reached the service and "the service returned an error".
	exitService = 254
	// exitAWS: a call to AWS failed otherwise (network, timeout, a response that could
	// not be read): the AWS CLI's catch-all 255.
	exitAWS = 255
)

// exitError ends the program with a status after the command has said why.
type exitError int

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

// usageError is a command line that could not be parsed. shown says the usage (and the
// flag package's message) was printed already.
type usageError struct {
	err   error
	shown bool
}

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// configError is an AWS configuration the commands cannot run with, named by the code
// the AWS CLI gives the same case (NoRegion, ProfileNotFound, NoCredentials).
type configError struct {
	code    string
	message string
	err     error
}

func (e *configError) Error() string { return e.message }
func (e *configError) Unwrap() error { return e.err }

// report prints why the command failed, if it did, and returns the exit status. AWS
// errors read as the AWS CLI prints them: "An error occurred (Code) when calling the Op
// operation: message".
func report(w io.Writer, err error) int {
	var (
		exit  exitError
		usage usageError
		cfg   *configError
		api   smithy.APIError
		op    *smithy.OperationError
	)
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.As(err, &exit):
		return int(exit)
	case errors.As(err, &usage):
		if !usage.shown {
			fmt.Fprintln(w, "stepscaler:", usage.err)
		}
		return exitUsage
	case errors.As(err, &cfg):
		fmt.Fprintf(w, "stepscaler: An error occurred (%s): %s\n", cfg.code, cfg.message)
		return exitConfig
	case errors.As(err, &api) && errors.As(err, &op):
		fmt.Fprintf(w, "stepscaler: An error occurred (%s) when calling the %s operation: %s\n",
			api.ErrorCode(), op.OperationName, api.ErrorMessage())
		return exitService
	case errors.As(err, &op):
		fmt.Fprintln(w, "stepscaler:", err)
		return exitAWS
	default:
		fmt.Fprintln(w, "stepscaler:", err)
		return exitFailure
	}
}
