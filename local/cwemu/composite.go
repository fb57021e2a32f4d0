package cwemu

import (
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/stepscaler/stepscaler/internal/alarmeval"
)

// compositeConfig is a composite alarm's rule.
type compositeConfig struct {
	ruleText string
	rule     parsedRule
}

// putCompositeAlarm creates or updates a composite alarm, as the PutCompositeAlarm API
// Reference says: https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutCompositeAlarm.html
// "When this operation creates an alarm, the alarm state is immediately set to
// INSUFFICIENT_DATA. The alarm is then evaluated and its state is set appropriately. Any
// actions associated with the new state are then executed. For a composite alarm, this
// initial time after creation is the only time that the alarm can be in
// INSUFFICIENT_DATA state." An update keeps the state and re-evaluates the rule ("It is
// also reevaluated if you update its configuration", SetAlarmState).
func (e *Emulator) putCompositeAlarm(c *call, in *putCompositeAlarmInput) (noBody, error) {
	name, err := checkAlarmName(in.AlarmName, "AlarmName")
	if err != nil {
		return noBody{}, err
	}
	switch {
	case in.ActionsSuppressor != nil || in.ActionsSuppressorWaitPeriod != nil || in.ActionsSuppressorExtensionPeriod != nil:
		return noBody{}, unsupported("composite alarm action suppression (ActionsSuppressor)")
	case len(in.ActionConfiguration) > 0:
		return noBody{}, unsupported("the PutCompositeAlarm parameter ActionConfiguration")
	}
	cfg, err := e.compositeRule(in.AlarmRule)
	if err != nil {
		return noBody{}, err
	}
	a, err := e.putAlarm(c, name, true, alarmSettings{in.AlarmDescription, in.ActionsEnabled,
		in.OKActions, in.AlarmActions, in.InsufficientDataActions})
	if err != nil {
		return noBody{}, err
	}
	a.composite = cfg
	e.evaluateComposite(c, a, nil, map[string]bool{a.name: true})
	return noBody{}, nil
}

// compositeRule parses and checks an AlarmRule: every alarm it names must exist.
func (e *Emulator) compositeRule(text *string) (*compositeConfig, error) {
	switch {
	case text == nil:
		return nil, missingParameter("AlarmRule")
	case *text == "":
		return nil, lengthAtLeast("", "alarmRule", 1)
	case len(*text) > maxRuleLength:
		return nil, lengthAtMost(*text, "alarmRule", maxRuleLength)
	}
	rule, err := parseRule(*text)
	var re *ruleError
	switch {
	case errors.As(err, &re) && re.unsupported:
		return nil, unsupported("%s in a composite alarm rule", re.msg)
	case err != nil:
		return nil, validationError("Error in the alarm rule: %v", err)
	}
	var missing []string
	for _, ref := range rule.children {
		if e.alarmByReference(ref) == nil {
			missing = append(missing, ref)
		}
	}
	if len(missing) > 0 {
		return nil, validationError("Could not save the composite alarm as alarms [%s] in the alarm rule do not exist", strings.Join(missing, ", "))
	}
	return &compositeConfig{ruleText: *text, rule: rule}, nil
}

// evaluateComposite re-derives a composite alarm's state from its children's: ALARM
// when the rule holds, OK otherwise. cause is the child whose state change prompted it
// (nil after a configuration change); path guards against cycles of composites, whose
// evaluation "stops if CloudWatch detects a cycle in the evaluation path"
// (PutCompositeAlarm).
func (e *Emulator) evaluateComposite(c *call, a *alarm, cause *alarm, path map[string]bool) {
	holds := a.composite.rule.root.eval(func(ref string) alarmeval.State {
		if child := e.alarmByReference(ref); child != nil {
			return child.state
		}
		return "" // deleted since; matches no function
	})
	next := alarmeval.OK
	if holds {
		next = alarmeval.Alarm
	}
	if next == a.state {
		return
	}
	reason, data := e.compositeReason(a, next, cause, c)
	e.transition(c, a, next, reason, data, path)
}

// triggeringAlarm is an entry of a composite alarm's StateReasonData and a
// notification's TriggeringChildren.
type triggeringAlarm struct {
	arn   string
	state alarmeval.State
	at    string
}

// compositeReason is the StateReason and StateReasonData of a composite alarm entering
// next, in CloudWatch's form: "arn:aws:cloudwatch:...:alarm:child transitioned to ALARM
// at Friday 22 July, 2022 15:57:45 UTC", and
// {"triggeringAlarms":[{"arn":...,"state":{"value":"ALARM","timestamp":...}}]}
// (public captures of DescribeAlarms output and EventBridge events). The children listed
// are the one that changed first, then the other children of the rule in the same state.
func (e *Emulator) compositeReason(a *alarm, next alarmeval.State, cause *alarm, c *call) (string, string) {
	triggers := e.triggeringAlarms(a, next, cause)
	var reason string
	switch {
	case len(triggers) > 0:
		first := e.alarmByReference(triggers[0].arn)
		reason = first.arn + " transitioned to " + string(first.state) + " at " + first.stateUpdated.UTC().Format(compositeReasonTimeLayout)
	default:
		reason = "The alarm rule " + a.composite.ruleText + " evaluated to " + map[alarmeval.State]string{alarmeval.Alarm: "TRUE", alarmeval.OK: "FALSE"}[next] + " at " + c.now.UTC().Format(compositeReasonTimeLayout)
	}
	type state struct {
		Value     string `json:"value"`
		Timestamp string `json:"timestamp"`
	}
	type entry struct {
		Arn   string `json:"arn"`
		State state  `json:"state"`
	}
	doc := struct {
		TriggeringAlarms []entry `json:"triggeringAlarms"`
	}{TriggeringAlarms: []entry{}}
	for _, t := range triggers {
		doc.TriggeringAlarms = append(doc.TriggeringAlarms, entry{Arn: t.arn, State: state{Value: string(t.state), Timestamp: t.at}})
	}
	data, _ := json.Marshal(doc) // strings only: cannot fail
	return reason, string(data)
}

// triggeringAlarms lists the cause first, then the rule's other children in the cause's
// state (or, without a cause, the children in the state matching next: ALARM children
// for ALARM, OK children for OK).
func (e *Emulator) triggeringAlarms(a *alarm, next alarmeval.State, cause *alarm) []triggeringAlarm {
	want := next
	var out []triggeringAlarm
	if cause != nil {
		want = cause.state
		out = append(out, triggeringAlarm{arn: cause.arn, state: cause.state, at: jsonTime(cause.stateUpdated)})
	}
	for _, ref := range a.composite.rule.children {
		child := e.alarmByReference(ref)
		if child == nil || child.state != want || slices.ContainsFunc(out, func(t triggeringAlarm) bool { return t.arn == child.arn }) {
			continue
		}
		out = append(out, triggeringAlarm{arn: child.arn, state: child.state, at: jsonTime(child.stateUpdated)})
	}
	return out
}

// propagate re-derives the composite alarms whose rule names a, after a changed state.
// path holds the alarms of the chain of changes that led here: a composite already on
// it is not evaluated again, which stops cycles of composites.
func (e *Emulator) propagate(c *call, a *alarm, path map[string]bool) {
	var parents []*alarm
	for _, p := range e.alarms {
		if p.composite == nil || path[p.name] {
			continue
		}
		if slices.ContainsFunc(p.composite.rule.children, func(ref string) bool { return e.alarmByReference(ref) == a }) {
			parents = append(parents, p)
		}
	}
	sort.Slice(parents, func(i, j int) bool { return parents[i].name < parents[j].name })
	for _, p := range parents {
		next := maps.Clone(path)
		next[p.name] = true
		e.evaluateComposite(c, p, a, next)
	}
}
