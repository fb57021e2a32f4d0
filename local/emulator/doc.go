// Package emulator holds the plumbing the AWS service emulators under local/
// share: the queue of injected faults and the count of calls (Faults), the
// HTTP server they listen with (Server), and the JSON helpers of their control
// API under ControlPrefix.
//
// What differs between services stays in each emulator: its operations, its
// error codes and how they go over the wire, and its Options.
package emulator
