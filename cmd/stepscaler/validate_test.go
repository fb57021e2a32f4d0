package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestValidateConfigShowsWhatThePresetCreates: the presets example's api service takes
// the balanced preset at its 70% target of 250 requests per task, 175: worked by hand,
// its alarms fire above 192.5 (one of three 10 s datapoints) and below 157.5 (two of two
// 30 s ones), and its scale-out cooldown is 75 s of start-up + 30 s + 10 s.
func TestValidateConfigShowsWhatThePresetCreates(t *testing.T) {
	out := captureStdout(t, func() error {
		return validateConfig([]string{filepath.Join("..", "..", "config", "presets.json")})
	})
	for _, want := range []string{
		"valid, 2 services, 4 alarms",
		"prod/api within [2, 40] (preset balanced)",
		"to ceil(current × highest datapoint / 175), tolerance 0.1, cooldown 115s",
		"fires when Shop RequestsPerSecondPerTask Average > 192.5 in 1 of 3 periods of 10s",
		"fires when Shop RequestsPerSecondPerTask Average < 157.5 in 2 of 2 periods of 30s",
		"no lower than the highest recommendation of the last 300s, cooldown 60s",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestValidateConfigShowsScheduledActions(t *testing.T) {
	out := captureStdout(t, func() error {
		return validateConfig([]string{filepath.Join("..", "..", "config", "scheduled-scaling.json")})
	})
	for _, want := range []string{
		"weekday-morning                          scheduled cron(0 8 ? * MON-FRI *) (Europe/London) sets min 6 and max 40",
		"stop                                     scheduled cron(0 5 * * ? *) (Asia/Tokyo) sets min 0 and max 0",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}
