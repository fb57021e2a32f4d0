// Package schedule holds scheduled scaling as Application Auto Scaling (AAS) defines it:
// schedule expressions (at, rate and cron, as PutScheduledAction takes them), the time zone
// an expression is read in, and what a set of scheduled actions makes of a service's
// minimum and maximum capacity at a given instant.
//
// It is pure: no AWS call, no clock. The per-minute evaluation asks Due which actions fire
// within the minute it evaluates, and the plan step asks Effective for the bounds in force;
// both are functions of the actions and the instant they are given.
//
// The rules come from AAS's and EventBridge's documentation, quoted where they are applied:
//   - "Scheduled scaling for Application Auto Scaling" and "Schedule recurring scaling
//     actions using cron expressions", Application Auto Scaling User Guide;
//   - PutScheduledAction and ScheduledAction, Application Auto Scaling API Reference;
//   - "Cron expressions reference" and "Rate expressions reference", Amazon EventBridge
//     User Guide, which AAS's cron page refers to for the syntax;
//   - "Schedule types on EventBridge Scheduler" (daylight saving time), EventBridge
//     Scheduler User Guide.
package schedule
