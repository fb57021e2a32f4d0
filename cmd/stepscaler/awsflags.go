package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
)

// awsOptions are the AWS CLI's global options, the one place every command that calls
// AWS takes them from. Each may come before the command (`stepscaler --profile prod
// status`) or among its options; the later wins. Unset, each falls back as the AWS CLI's
// does: option, then environment variable, then the profile in the shared config file
// ("Configuration and credential file settings", "Environment variables", AWS CLI User
// Guide).
type awsOptions struct {
	profile     string
	region      string
	endpointURL string
	output      string
}

// register adds the options to a command's flags, with the values given before the
// command as defaults. output is for commands that print data.
func (o *awsOptions) register(fs *flag.FlagSet, output bool) {
	fs.StringVar(&o.profile, "profile", o.profile, "use this named profile of the shared config and credentials files (default $AWS_PROFILE, else default)")
	fs.StringVar(&o.region, "region", o.region, "AWS Region (default $AWS_REGION, $AWS_DEFAULT_REGION, else the profile's region)")
	fs.StringVar(&o.endpointURL, "endpoint-url", o.endpointURL, "send every AWS call to this URL instead of each service's endpoint")
	if output {
		fs.StringVar(&o.output, "output", o.output, "table, json, text or off (default $AWS_DEFAULT_OUTPUT, else the profile's output, else table)")
	}
}

// load resolves the SDK configuration with the SDK's own loader, which reads the
// environment and the shared files as the AWS CLI does (AWS_REGION before
// AWS_DEFAULT_REGION, AWS_PROFILE, AWS_ENDPOINT_URL_<SERVICE>, credential sources), with
// the options on top. It fails, as the AWS CLI does before it sends anything, when the
// profile does not exist, no Region is set or no credentials can be found.
func (o *awsOptions) load(ctx context.Context) (aws.Config, error) {
	var opts []func(*config.LoadOptions) error
	if o.profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(o.profile))
	}
	if o.region != "" {
		opts = append(opts, config.WithRegion(o.region))
	}
	if o.endpointURL != "" {
		opts = append(opts, config.WithBaseEndpoint(o.endpointURL))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	var noProfile config.SharedConfigProfileNotExistError
	switch {
	case errors.As(err, &noProfile):
		return aws.Config{}, &configError{code: "ProfileNotFound",
			message: fmt.Sprintf("The config profile (%s) could not be found", noProfile.Profile), err: err}
	case err != nil:
		return aws.Config{}, &configError{code: "InvalidConfiguration", message: err.Error(), err: err}
	case cfg.Region == "":
		return aws.Config{}, &configError{code: "NoRegion",
			message: "You must specify a region: --region, AWS_REGION or AWS_DEFAULT_REGION, or region in the profile."}
	}
	if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
		return aws.Config{}, &configError{code: "NoCredentials",
			message: "Unable to locate credentials: " + err.Error(), err: err}
	}
	return cfg, nil
}

// formats are the output formats the data commands print.
var formats = []string{"table", "json", "text", "off"}

// format resolves the output format: --output, else AWS_DEFAULT_OUTPUT, else the
// profile's output setting, else table: these commands are views for people first. A
// format named by the environment or the profile that Stepscaler does not print (yaml,
// yaml-stream) becomes json, the nearest machine-readable one; named with --output it is
// a usage error.
func (o *awsOptions) format() (string, error) {
	if o.output != "" {
		if !slices.Contains(formats, o.output) {
			return "", usageError{err: fmt.Errorf("--output %q: want one of %s", o.output, strings.Join(formats, ", "))}
		}
		return o.output, nil
	}
	f := os.Getenv("AWS_DEFAULT_OUTPUT")
	if f == "" {
		var err error
		if f, err = profileSetting(o.profileName(), "output"); err != nil {
			return "", &configError{code: "InvalidConfiguration", message: err.Error(), err: err}
		}
	}
	switch {
	case f == "":
		return "table", nil
	case slices.Contains(formats, f):
		return f, nil
	}
	return "json", nil
}

// profileName is the profile in use: --profile, else AWS_PROFILE, else
// AWS_DEFAULT_PROFILE, else default, as the SDK resolves it.
func (o *awsOptions) profileName() string {
	for _, p := range []string{o.profile, os.Getenv("AWS_PROFILE"), os.Getenv("AWS_DEFAULT_PROFILE")} {
		if p != "" {
			return p
		}
	}
	return "default"
}

// profileSetting reads one top-level setting of a profile in the shared config file
// (AWS_CONFIG_FILE, else ~/.aws/config). The SDK's loader does not expose settings it
// does not use, such as output. The default profile's section is [default] (or
// [profile default]), any other's [profile NAME]. Indented lines are nested settings of
// the line above (s3 =, services =) and are skipped. A missing file has no settings.
func profileSetting(profile, key string) (string, error) {
	path := os.Getenv("AWS_CONFIG_FILE")
	if path == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", nil
		}
		path = filepath.Join(home, ".aws", "config")
	}
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read the AWS config file: %w", err)
	}
	defer f.Close()
	sections := []string{"profile " + profile}
	if profile == "default" {
		sections = append(sections, "default")
	}
	in, value := false, ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		switch {
		case trimmed == "" || strings.HasPrefix(trimmed, "#") || strings.HasPrefix(trimmed, ";"):
		case strings.HasPrefix(trimmed, "["):
			name := strings.Join(strings.Fields(strings.Trim(trimmed, "[]")), " ")
			in = slices.Contains(sections, name)
		case in && line[0] != ' ' && line[0] != '\t':
			k, v, ok := strings.Cut(trimmed, "=")
			if ok && strings.TrimSpace(k) == key {
				value = strings.TrimSpace(v)
			}
		}
	}
	if err := sc.Err(); err != nil {
		return "", fmt.Errorf("read the AWS config file %s: %w", path, err)
	}
	return value, nil
}
