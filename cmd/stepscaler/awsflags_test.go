package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/stepscaler/stepscaler/internal/status"
	"github.com/stepscaler/stepscaler/local/ecsemu"
)

// sharedConfig is an AWS config file with a default profile and a named one.
const sharedConfig = `# the AWS CLI's format
[default]
region = eu-west-1
output = json
aws_access_key_id = DEFAULTKEY
aws_secret_access_key = DEFAULTSECRET

[profile prod]
region=ap-southeast-2
output = text
aws_access_key_id = PRODKEY
aws_secret_access_key = PRODSECRET
s3 =
  output = table

[profile yaml]
output = yaml
`

func writeSharedConfig(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config")
	if err := os.WriteFile(path, []byte(sharedConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// The AWS CLI's precedence: a command-line option, then the environment (AWS_REGION
// before AWS_DEFAULT_REGION), then the profile in use (--profile, else AWS_PROFILE, else
// default).
func TestRegionPrecedence(t *testing.T) {
	for _, c := range []struct {
		name                        string
		flag, profile               string
		awsRegion, awsDefaultRegion string
		awsProfile                  string
		want                        string
	}{
		{name: "the option wins", flag: "us-west-2", awsRegion: "us-east-2", awsDefaultRegion: "ca-central-1", profile: "prod", want: "us-west-2"},
		{name: "AWS_REGION before AWS_DEFAULT_REGION", awsRegion: "us-east-2", awsDefaultRegion: "ca-central-1", want: "us-east-2"},
		{name: "AWS_DEFAULT_REGION before the profile", awsDefaultRegion: "ca-central-1", want: "ca-central-1"},
		{name: "the default profile's region", want: "eu-west-1"},
		{name: "AWS_PROFILE's region", awsProfile: "prod", want: "ap-southeast-2"},
		{name: "--profile before AWS_PROFILE", profile: "default", awsProfile: "prod", want: "eu-west-1"},
	} {
		t.Run(c.name, func(t *testing.T) {
			isolateAWS(t)
			t.Setenv("AWS_CONFIG_FILE", writeSharedConfig(t))
			t.Setenv("AWS_REGION", c.awsRegion)
			t.Setenv("AWS_DEFAULT_REGION", c.awsDefaultRegion)
			t.Setenv("AWS_PROFILE", c.awsProfile)
			g := awsOptions{region: c.flag, profile: c.profile}
			cfg, err := g.load(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Region != c.want {
				t.Errorf("region = %q, want %q", cfg.Region, c.want)
			}
		})
	}
}

// --profile outranks credentials in the environment, as in the AWS CLI (an explicit
// profile turns the environment's credentials off: boto/botocore#486); AWS_PROFILE does
// not (aws/aws-cli#7174), nor does the default profile.
func TestProfileCredentialsPrecedence(t *testing.T) {
	isolateAWS(t)
	t.Setenv("AWS_CONFIG_FILE", writeSharedConfig(t))
	for _, c := range []struct{ flag, env, want string }{
		{"prod", "", "PRODKEY"},
		{"default", "prod", "DEFAULTKEY"},
		{"", "prod", "AKID"},
		{"", "", "AKID"},
	} {
		t.Setenv("AWS_PROFILE", c.env)
		g := awsOptions{profile: c.flag}
		cfg, err := g.load(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		creds, err := cfg.Credentials.Retrieve(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if creds.AccessKeyID != c.want {
			t.Errorf("--profile %q, AWS_PROFILE %q: access key %s, want %s", c.flag, c.env, creds.AccessKeyID, c.want)
		}
	}
}

func TestOutputPrecedence(t *testing.T) {
	for _, c := range []struct {
		name                   string
		flag, env, profile     string
		awsProfile, configFile string
		want                   string
		usage                  bool
	}{
		{name: "the option wins", flag: "text", env: "json", want: "text"},
		{name: "AWS_DEFAULT_OUTPUT before the profile", env: "text", want: "text"},
		{name: "the default profile's output", want: "json"},
		{name: "the named profile's, not a nested setting's", profile: "prod", want: "text"},
		{name: "AWS_PROFILE's", awsProfile: "prod", want: "text"},
		{name: "no setting anywhere: table", configFile: os.DevNull, want: "table"},
		{name: "a format Stepscaler does not print, from the profile: json", profile: "yaml", want: "json"},
		{name: "... or from the environment", env: "yaml-stream", want: "json"},
		{name: "off", flag: "off", want: "off"},
		{name: "... but asked for by option, refused", flag: "yaml", usage: true},
	} {
		t.Run(c.name, func(t *testing.T) {
			isolateAWS(t)
			file := c.configFile
			if file == "" {
				file = writeSharedConfig(t)
			}
			t.Setenv("AWS_CONFIG_FILE", file)
			t.Setenv("AWS_DEFAULT_OUTPUT", c.env)
			t.Setenv("AWS_PROFILE", c.awsProfile)
			g := awsOptions{output: c.flag, profile: c.profile}
			got, err := g.format()
			var usage usageError
			switch {
			case c.usage && !errors.As(err, &usage):
				t.Errorf("format = %q, %v; want a usage error", got, err)
			case !c.usage && (err != nil || got != c.want):
				t.Errorf("format = %q, %v; want %q", got, err, c.want)
			}
		})
	}
}

func TestProfileSetting(t *testing.T) {
	path := writeSharedConfig(t)
	t.Setenv("AWS_CONFIG_FILE", path)
	for _, c := range []struct{ profile, key, want string }{
		{"default", "output", "json"},
		{"default", "region", "eu-west-1"},
		{"prod", "region", "ap-southeast-2"}, // no spaces around =
		{"prod", "output", "text"},           // not the indented s3 setting
		{"yaml", "region", ""},
		{"nobody", "output", ""},
	} {
		if got, err := profileSetting(c.profile, c.key); err != nil || got != c.want {
			t.Errorf("profile %s %s = %q, %v; want %q", c.profile, c.key, got, err, c.want)
		}
	}
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "absent"))
	if got, err := profileSetting("default", "output"); err != nil || got != "" {
		t.Errorf("no file: %q, %v; want nothing", got, err)
	}
}

// What the AWS CLI refuses before it sends a request, Stepscaler refuses too, with the
// same error codes and exit status 253.
func TestConfigurationErrors(t *testing.T) {
	for _, c := range []struct {
		name  string
		env   map[string]string
		flags awsOptions
		code  string
	}{
		{name: "no region", env: map[string]string{"AWS_REGION": ""}, code: "NoRegion"},
		{name: "unknown profile", flags: awsOptions{profile: "nobody"}, code: "ProfileNotFound"},
		{name: "no credentials", env: map[string]string{"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": ""}, code: "NoCredentials"},
	} {
		t.Run(c.name, func(t *testing.T) {
			isolateAWS(t)
			for k, v := range c.env {
				t.Setenv(k, v)
			}
			_, err := c.flags.load(context.Background())
			var cfgErr *configError
			if !errors.As(err, &cfgErr) || cfgErr.code != c.code {
				t.Fatalf("load: %v, want a %s configuration error", err, c.code)
			}
			var msg bytes.Buffer
			if exit := report(&msg, err); exit != exitConfig || !strings.HasPrefix(msg.String(), "stepscaler: An error occurred ("+c.code+"): ") {
				t.Errorf("exit %d, said %q; want 253 and the AWS CLI's form", exit, msg.String())
			}
		})
	}
}

// --endpoint-url sends every call to one URL, over the per-service environment
// variables, as the SDK ranks an endpoint set in code.
func TestEndpointURLPrecedence(t *testing.T) {
	isolateAWS(t)
	var emus [2]*ecsemu.Emulator
	for i := range emus {
		e, err := ecsemu.Start(ecsemu.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { e.Close() })
		emus[i] = e
	}
	t.Setenv("AWS_ENDPOINT_URL_ECS", emus[0].URL())
	for _, c := range []struct {
		flag string
		want int // the emulator called
	}{{"", 0}, {emus[1].URL(), 1}} {
		g := awsOptions{endpointURL: c.flag}
		cfg, err := g.load(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		before := [2]int{emus[0].Calls("ListServices"), emus[1].Calls("ListServices")}
		if _, err := ecs.NewFromConfig(cfg).ListServices(context.Background(), &ecs.ListServicesInput{}); err != nil {
			t.Fatal(err)
		}
		if emus[c.want].Calls("ListServices") == before[c.want] || emus[1-c.want].Calls("ListServices") != before[1-c.want] {
			t.Errorf("--endpoint-url %q: the call went elsewhere than emulator %d", c.flag, c.want)
		}
	}
}

// The global options may come before the command or among its options: the later wins.
// The Region shows in the status report.
func TestGlobalOptionsBeforeAndAfterTheCommand(t *testing.T) {
	l := startLocalAWS(t)
	cfg := l.seed(t)
	regionOf := func(args ...string) string {
		t.Helper()
		out := captureStdout(t, func() error { return run(context.Background(), args) })
		var r status.Report
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
		return r.Region
	}
	base := []string{"--config", cfg, "--table", l.table, "--max-activities", "0", "prod/web"}
	if got := regionOf(append([]string{"--region", "eu-west-3", "--output", "json", "status"}, base...)...); got != "eu-west-3" {
		t.Errorf("before the command: region %s", got)
	}
	if got := regionOf(append([]string{"--region", "eu-west-3", "status", "--region", "sa-east-1", "--output", "json"}, base...)...); got != "sa-east-1" {
		t.Errorf("before and after: region %s, want the later", got)
	}

	for _, args := range [][]string{
		{"--region", "eu-west-3", "validate-config", "x.json"},                              // calls no AWS
		{"--output", "json", "suspend", "--table", "t", "--cluster", "c", "--service", "s"}, // prints no data
		{"--colour", "status"},
		{"nonsense"},
		{},
	} {
		if exit := report(io.Discard, run(context.Background(), args)); exit != exitUsage {
			t.Errorf("%q: exit %d, want %d", args, exit, exitUsage)
		}
	}
	if exit := report(io.Discard, run(context.Background(), []string{"--help"})); exit != exitOK {
		t.Errorf("--help: exit %d", exit)
	}
}

// A call that reaches no service is the AWS CLI's catch-all 255; one the service
// refuses, 254, printed in the AWS CLI's form.
func TestAWSFailuresExitAsTheAWSCLI(t *testing.T) {
	l := startLocalAWS(t)
	cfg := l.seed(t)
	t.Setenv("AWS_MAX_ATTEMPTS", "1")
	l.ecsEmu.InjectFault(ecsemu.Fault{Operation: "DescribeServices", Error: "AccessDeniedException", Times: 1,
		Message: "User is not authorized to perform: ecs:DescribeServices"})
	_, err := statusAt(t, "--config", cfg, "--table", l.table)
	var msg bytes.Buffer
	if exit := report(&msg, err); exit != exitService ||
		msg.String() != "stepscaler: An error occurred (AccessDeniedException) when calling the DescribeServices operation: User is not authorized to perform: ecs:DescribeServices\n" {
		t.Errorf("exit %d, said %q", exit, msg.String())
	}

	_, err = statusAt(t, "--config", cfg, "--table", l.table, "--endpoint-url", "http://127.0.0.1:1")
	msg.Reset()
	if exit := report(&msg, err); exit != exitAWS || !strings.Contains(msg.String(), "DescribeServices") {
		t.Errorf("unreachable endpoint: exit %d, said %q", exit, msg.String())
	}
}
