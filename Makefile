# Stepscaler's entry points. Each target installs what it needs: npm packages into
# node_modules/, the Lambda Runtime Interface Emulator into bin/.

SHELL := /bin/bash
RIE_MODULE := github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@v0.0.0-20261030222936-bef5c4ba774d
FUNCTIONS := $(notdir $(wildcard functions/*))
GOFLAGS_LAMBDA := -tags lambda.norpc -trimpath -buildvcs=false -ldflags "-s -w"

# Node 22 or later is supported; on Node 20, which still runs everything, jsii (the CDK's
# Go bridge) prints an end-of-life banner. The CDK CLI must not phone home.
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export CDK_DISABLE_CLI_TELEMETRY := true
export PATH := $(CURDIR)/bin:$(PATH)

.PHONY: demo test check unit build synth bench fuzz load backtest clean

# The backtest: every shipped trace replayed through the example config's prod/web policy
# and the other autoscalers. make test regenerates it and checks it matches docs/backtest.
BACKTEST_OUT ?= docs/backtest
SIMULATE := go run ./cmd/stepscaler simulate --config config/stepscaler.json --service prod/web --task-capacity 100

## demo: run a real scale-out offline (local ECS, DynamoDB, Step Functions, real bootstraps)
demo: node_modules/.installed bin/aws-lambda-rie
	@echo "compiling the stepscaler CLI (the first run also downloads the Go modules)..."
	go run ./cmd/stepscaler demo

## test: everything CI runs: format, vet, ASL validation, unit, wire, workflow and CDK tests,
## and the backtest, which must reproduce the committed tables
test: check
	go test -count=1 ./...
	$(MAKE) --no-print-directory backtest BACKTEST_OUT=build/backtest
	diff -r -x '*.png' -x '*.svg' docs/backtest build/backtest && echo "backtest: reproduced docs/backtest"

## backtest: replay the shipped traces (tables, JSON, PNG and SVG charts in $(BACKTEST_OUT))
backtest:
	rm -rf $(BACKTEST_OUT)/worldcup98 $(BACKTEST_OUT)/nasa $(BACKTEST_OUT)/summary.md
	$(SIMULATE) --trace traces/worldcup98-1998-06-10_16.csv --name "World Cup 98, 10-16 June 1998" --demand-scales 0.5,1,2 --sweep threshold=40,50,60,70,80,90 --sensitivity --out $(BACKTEST_OUT)/worldcup98
	$(SIMULATE) --trace traces/nasa-http-1995-07-01_14-5min.csv --name "NASA-HTTP, 1-14 July 1995, demand x300" --demand-scale 300 --demand-scales 0.5,1,2 --sweep threshold=40,50,60,70,80,90 --sensitivity --out $(BACKTEST_OUT)/nasa
	go run ./cmd/stepscaler simulate --summary $(BACKTEST_OUT)
	@cat $(BACKTEST_OUT)/summary.md

check: node_modules/.installed bin/aws-lambda-rie
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './node_modules/*')); \
	  if [ -n "$$unformatted" ]; then echo "gofmt would change: $$unformatted"; exit 1; fi
	go vet ./...
	npx --no-install asl-validator --json-path statemachine/scale.asl.json

## unit: the fast tests only (no local stack, no CDK synth)
unit:
	go test -short ./internal/...

## build: the deployable bootstraps (linux/arm64, provided.al2023) and their sizes
build:
	@mkdir -p build/lambda
	@for f in $(FUNCTIONS); do \
	  GOOS=linux GOARCH=arm64 CGO_ENABLED=0 go build $(GOFLAGS_LAMBDA) -o build/lambda/$$f/bootstrap ./functions/$$f || exit 1; \
	done
	@ls -l build/lambda/*/bootstrap | awk '{printf "%-45s %6.1f MiB\n", $$9, $$5/1048576}'

## synth: the CloudFormation template, offline
synth: node_modules/.installed
	npx --no-install cdk synth --quiet

## bench: the benchmarks (planning, parsing, one scale-out through the local stack)
bench: node_modules/.installed bin/aws-lambda-rie
	go test -run '^$$' -bench . -benchtime 20x ./internal/... ./local/stack/

## load: the load test at full size: 100 services, 1,000 notifications (make test runs 20)
load: node_modules/.installed bin/aws-lambda-rie
	set -o pipefail; STEPSCALER_LOAD_SERVICES=100 go test -run TestLoad -count=1 -v -timeout 30m ./local/load/ | grep -E 'load_test.go|^(---|ok|FAIL)'

## fuzz: a short run of each fuzz target
fuzz:
	go test -run '^$$' -fuzz FuzzParse -fuzztime 30s ./internal/alarm/
	go test -run '^$$' -fuzz FuzzMessages -fuzztime 30s ./internal/alarm/
	go test -run '^$$' -fuzz FuzzParseDescribeServices -fuzztime 30s ./internal/service/
	go test -run '^$$' -fuzz FuzzExecutionName -fuzztime 30s ./internal/workflow/
	go test -run '^$$' -fuzz FuzzParse -fuzztime 30s ./internal/config/
	go test -run '^$$' -fuzz FuzzInvoke -fuzztime 30s -fuzzminimizetime 5s ./internal/starter/

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

bin/aws-lambda-rie:
	GOBIN=$(CURDIR)/bin go install $(RIE_MODULE)

clean:
	rm -rf build bin node_modules cdk.out
