package main

import (
	"fmt"

	"github.com/stepscaler/stepscaler/internal/config"
)

func validateConfig(args []string) error {
	fs := newFlags("validate-config")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: stepscaler validate-config FILE")
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return exitError(2)
	}
	cfg, err := config.Load(fs.Arg(0))
	if err != nil {
		return err
	}
	targets := cfg.Targets()
	fmt.Printf("%s: valid, %d services, %d alarms\n", fs.Arg(0), len(cfg.Services), len(targets))
	for _, t := range targets {
		p := t.Policy
		dry := ""
		if p.DryRun {
			dry = ", dry run"
		}
		fmt.Printf("  %-40s scale-%-3s %s within [%d, %d]: %s, cooldown %ds%s\n",
			p.AlarmName, p.Direction, t.Service, p.MinCapacity, p.MaxCapacity, p.Summary(), p.CooldownSeconds, dry)
	}
	return nil
}
