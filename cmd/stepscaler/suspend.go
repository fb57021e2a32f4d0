package main

import (
	"context"
	"fmt"

	"github.com/stepscaler/stepscaler/internal/scaling"
)

// suspend sets or clears a service's suspension flags in its state item: the next plan
// honours them, with no redeploy (like Application Auto Scaling's SuspendedState).
func suspend(ctx context.Context, g *awsOptions, args []string, suspended bool) error {
	name, done := "resume", "resumed"
	if suspended {
		name, done = "suspend", "suspended"
	}
	fs := newFlags(name)
	svc := addServiceFlags(fs, g, false)
	direction := fs.String("direction", "both", "out, in or both")
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if err := noArguments(fs, rest); err != nil {
		return err
	}
	var dirs []scaling.Direction
	switch *direction {
	case "out", "in":
		dirs = []scaling.Direction{scaling.Direction(*direction)}
	case "both":
		dirs = []scaling.Direction{scaling.Out, scaling.In}
	default:
		return usageError{err: fmt.Errorf("--direction must be out, in or both, got %q", *direction)}
	}
	store, ref, err := svc.open(ctx, fs)
	if err != nil {
		return err
	}
	for _, d := range dirs {
		if err := store.SetSuspended(ctx, ref, d, suspended); err != nil {
			return err
		}
		fmt.Printf("%s: scale-%s %s\n", ref, d, done)
	}
	return nil
}
