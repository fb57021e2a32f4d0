// Package aas maps an Application Auto Scaling (AAS) setup for ECS services onto a
// Stepscaler configuration: it reads what `aws application-autoscaling
// describe-scalable-targets`, `describe-scaling-policies` and `describe-scheduled-actions`
// and `aws cloudwatch describe-alarms` print, and writes the configuration that decides the
// same, with a report of every item: imported, imported with a change, imported but
// behaving differently, or not imported and why. Nothing is dropped silently.
//
// How each AAS item maps:
//   - a scalable target of namespace ecs and dimension ecs:service:DesiredCount is a
//     service, its MinCapacity and MaxCapacity the service's bounds;
//   - a step scaling policy is one alarm entry per alarm that invokes it, with the same
//     adjustment type, steps (signed as AAS writes them), MinAdjustmentMagnitude, Cooldown
//     and MetricAggregationType. The direction is the sign of its steps (for ExactCapacity,
//     the alarm's comparison);
//   - a target tracking policy is a TargetRatio entry per direction, on a new metric alarm
//     the stack creates as a copy of the alarm AAS created for it (AAS deletes its own
//     alarms with the policy); DisableScaleIn leaves out the scale-in entry;
//   - a scheduled action is a scheduled action, field for field.
//
// The package is pure: it reads bytes and returns bytes.
package aas
