// Package load holds Stepscaler's load test: a storm of alarm notifications and the
// per-minute evaluation over many services, run on the local stack, checked for the
// guarantees that must hold under load and measured for the ECS API rates it costs.
// `make load` runs it at full size (100 services, 1,000 notifications); `make test` runs
// a smaller size.
package load
