package stepscaler

import (
	"slices"
	"strings"
	"testing"

	"github.com/stepscaler/stepscaler/internal/config"
)

// TestTopic: the alarm topic is encrypted with the stack's key, requires TLS, lets
// CloudWatch publish for exactly the configured alarms and refuses every other publisher,
// and delivers to the starter alone.
func TestTopic(t *testing.T) {
	_, tmpl := synthesized(t)
	checkTopic(t, tmpl, loadExample(t))
}

// TestTopicAcceptsTheAlarmSources: with alarmSources, the configured alarm names in those
// accounts and Regions may publish too, and CloudWatch may use the key for those accounts.
func TestTopicAcceptsTheAlarmSources(t *testing.T) {
	synthesized(t)
	cfg := *loadExample(t)
	cfg.AlarmSources = []config.AlarmSource{{AccountID: "111122223333", Region: "eu-west-2"}, {AccountID: "111122223333", Region: "us-east-2"}}
	_, tmpl := synthesizeConfig(t, &cfg, Operator{})
	checkTopic(t, tmpl, &cfg)
}

// wantPublishers are the alarm ARNs the topic must accept, worked out from the
// configuration: every alarm name in this account and Region and in each alarm source.
func wantPublishers(cfg *config.Config) (arns, accounts []string) {
	places := [][2]string{{"123456789012", "us-east-1"}}
	accounts = []string{"123456789012"}
	for _, src := range cfg.AlarmSources {
		places = append(places, [2]string{src.AccountID, src.Region})
		if !slices.Contains(accounts, src.AccountID) {
			accounts = append(accounts, src.AccountID)
		}
	}
	for _, p := range places {
		for _, s := range cfg.Services {
			for _, a := range s.Alarms {
				arns = append(arns, "arn:aws:cloudwatch:"+p[1]+":"+p[0]+":alarm:"+a.AlarmName)
			}
		}
	}
	return arns, accounts
}

func checkTopic(t *testing.T, tmpl map[string]any, cfg *config.Config) {
	t.Helper()
	wantArns, wantAccounts := wantPublishers(cfg)
	topic := byConstructID(t, tmpl, "AWS::SNS::Topic", "Topic")
	topicRef := "{Ref:" + topic.id + "}"
	key := byConstructID(t, tmpl, "AWS::KMS::Key", "TopicKey")

	if render(topic.props["KmsMasterKeyId"]) != "{GetAtt:"+key.id+".Arn}" {
		t.Errorf("topic key = %s, want the stack's customer managed key", render(topic.props["KmsMasterKeyId"]))
	}
	if key.props["EnableKeyRotation"] != true {
		t.Error("topic key rotation is off")
	}
	var cloudwatch []map[string]any
	for _, s := range key.props["KeyPolicy"].(map[string]any)["Statement"].([]any) {
		if st := s.(map[string]any); render(st["Principal"]) == `{"Service":"cloudwatch.amazonaws.com"}` {
			cloudwatch = append(cloudwatch, st)
		}
	}
	if len(cloudwatch) != 1 {
		t.Fatalf("key policy has %d statements for CloudWatch, want 1", len(cloudwatch))
	}
	if st := cloudwatch[0]; st["Effect"] != "Allow" || !equalSets(strs(st["Action"]), []string{"kms:Decrypt", "kms:GenerateDataKey*"}) {
		t.Errorf("CloudWatch's key statement = %s, want Allow kms:Decrypt, kms:GenerateDataKey*", render(st))
	}
	keyCond, _ := cloudwatch[0]["Condition"].(map[string]any)
	if len(keyCond) != 1 || len(keyCond["StringEquals"].(map[string]any)) != 1 {
		t.Errorf("CloudWatch's key statement condition = %s, want only StringEquals aws:SourceAccount", render(keyCond))
	} else if got := renderAll(keyCond["StringEquals"].(map[string]any)["aws:SourceAccount"]); !equalSets(got, wantAccounts) {
		t.Errorf("key policy aws:SourceAccount = %v, want %v", got, wantAccounts)
	}

	var policies []resource
	for _, p := range resources(tmpl, "AWS::SNS::TopicPolicy") {
		if slices.Contains(renderAll(p.props["Topics"]), topicRef) {
			policies = append(policies, p)
		}
	}
	if len(policies) != 1 {
		t.Fatalf("%d policies on the alarm topic, want 1", len(policies))
	}
	assertTLSOnly(t, policies, "topic")
	var allows, denies []map[string]any
	for _, s := range policies[0].props["PolicyDocument"].(map[string]any)["Statement"].([]any) {
		st := s.(map[string]any)
		if a := strs(st["Action"]); len(a) != 1 || a[0] != "sns:Publish" {
			t.Errorf("topic policy statement on %v, want sns:Publish only: %s", a, render(st))
		}
		if r := renderAll(st["Resource"]); len(r) != 1 || r[0] != topicRef {
			t.Errorf("topic policy statement on %v, want the topic", r)
		}
		switch st["Effect"] {
		case "Allow":
			allows = append(allows, st)
		case "Deny":
			if render(st["Condition"]) != `{"Bool":{"aws:SecureTransport":"false"}}` {
				denies = append(denies, st)
			}
		}
	}
	if len(allows) != 1 {
		t.Fatalf("topic policy has %d Allow statements, want 1 (CloudWatch's)", len(allows))
	}
	allow := allows[0]
	if render(allow["Principal"]) != `{"Service":"cloudwatch.amazonaws.com"}` {
		t.Errorf("topic policy allows %s, want only cloudwatch.amazonaws.com", render(allow["Principal"]))
	}
	cond := allow["Condition"].(map[string]any)
	if len(cond) != 2 {
		t.Errorf("Allow condition = %s, want StringEquals and ArnEquals", render(cond))
	}
	if got := renderAll(cond["StringEquals"].(map[string]any)["aws:SourceAccount"]); !equalSets(got, wantAccounts) {
		t.Errorf("aws:SourceAccount = %v, want %v", got, wantAccounts)
	}
	arnEquals, ok := cond["ArnEquals"].(map[string]any)
	if !ok {
		t.Fatalf("Allow condition = %s, want ArnEquals (exact: ArnLike reads * and ? in alarm names as wildcards)", render(cond))
	}
	if got := renderAll(arnEquals["aws:SourceArn"]); !equalSets(got, wantArns) {
		t.Errorf("Allow aws:SourceArn = %v, want %v", got, wantArns)
	}

	// The Deny that makes the Allow the only way in: any principal, unless the request's
	// aws:SourceArn is one of the alarms.
	if len(denies) != 1 {
		t.Fatalf("topic policy has %d Deny statements besides TLS, want 1", len(denies))
	}
	deny := denies[0]
	if p := render(deny["Principal"]); p != `{"AWS":"*"}` && p != `"*"` {
		t.Errorf("Deny principal = %s, want everyone", p)
	}
	dc := deny["Condition"].(map[string]any)
	notEquals, ok := dc["ArnNotEquals"].(map[string]any)
	if len(dc) != 1 || !ok || len(notEquals) != 1 {
		t.Fatalf("Deny condition = %s, want only ArnNotEquals aws:SourceArn", render(dc))
	}
	if got := renderAll(notEquals["aws:SourceArn"]); !equalSets(got, wantArns) {
		t.Errorf("Deny aws:SourceArn = %v, want %v", got, wantArns)
	}

	starter := byConstructID(t, tmpl, "AWS::Lambda::Function", "Starter")
	var subs []resource
	for _, s := range resources(tmpl, "AWS::SNS::Subscription") {
		if render(s.props["TopicArn"]) == topicRef {
			subs = append(subs, s)
		}
	}
	if len(subs) != 1 {
		t.Fatalf("%d subscriptions to the alarm topic, want 1", len(subs))
	}
	if s := subs[0].props; s["Protocol"] != "lambda" || render(s["Endpoint"]) != "{GetAtt:"+starter.id+".Arn}" {
		t.Errorf("subscription = %v, want the starter subscribed to the topic", s)
	}
	perms := resources(tmpl, "AWS::Lambda::Permission")
	if len(perms) != 1 {
		t.Fatalf("%d Lambda permissions, want 1", len(perms))
	}
	if p := perms[0].props; p["Principal"] != "sns.amazonaws.com" || render(p["SourceArn"]) != topicRef ||
		render(p["FunctionName"]) != "{GetAtt:"+starter.id+".Arn}" || p["Action"] != "lambda:InvokeFunction" {
		t.Errorf("invoke permission = %v, want SNS from this topic only", p)
	}
}

// TestTopicPolicySizeIsChecked: a configuration whose alarm ARNs cannot fit in a topic
// policy (30 KB, SNS's quota) fails synth with a message, rather than the deployment.
// Each ARN counts at most 63 bytes of prefix, quotes and comma plus its name, twice (Allow
// and Deny), and 2,000 bytes go to the rest: 200 alarms named with 20 characters need
// 2 × 200 × 83 + 2,000 = 35,200 bytes, 170 of them 30,220, 160 of them 28,560.
func TestTopicPolicySizeIsChecked(t *testing.T) {
	alarms := func(n int) *config.Config {
		var as []config.Alarm
		for i := range n {
			as = append(as, config.Alarm{AlarmName: strings.Repeat("x", 16) + string(rune('a'+i/26%26)) + string(rune('a'+i%26)) + "00"})
		}
		return &config.Config{Services: []config.Service{{Cluster: "c", Service: "s", Alarms: as}}}
	}
	for _, tt := range []struct {
		n    int
		fits bool
	}{{160, true}, {170, false}, {200, false}} {
		err := checkTopicPolicySize(alarms(tt.n))
		if (err == nil) != tt.fits {
			t.Errorf("%d alarms: err = %v, want fits = %v", tt.n, err, tt.fits)
		}
	}
}

// A configuration with scheduled actions and no alarm: no alarm may publish, so the
// topic denies every publisher outright, and no role is granted DescribeAlarms on an
// empty list of alarms (which IAM would refuse at synth).
func TestScheduleOnlyConfiguration(t *testing.T) {
	synthesized(t)
	cfg, err := config.Parse("schedule-only.json", []byte(`{"services": [{"cluster": "prod", "service": "batch",
  "minCapacity": 0, "maxCapacity": 4, "alarms": [],
  "scheduledActions": [{"scheduledActionName": "nights", "schedule": "cron(0 22 * * ? *)", "timezone": "UTC",
    "scalableTargetAction": {"minCapacity": 2, "maxCapacity": 4}}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	_, tmpl := synthesizeConfig(t, cfg, Operator{})
	policy := byConstructID(t, tmpl, "AWS::SNS::TopicPolicy", "TopicPolicy")
	var sids []string
	for _, st := range policy.props["PolicyDocument"].(map[string]any)["Statement"].([]any) {
		s := st.(map[string]any)
		sids = append(sids, render(s["Sid"]))
		if s["Sid"] == "DenyPublishFromAnyone" && (s["Effect"] != "Deny" || s["Condition"] != nil) {
			t.Errorf("DenyPublishFromAnyone = %v, want an unconditional Deny", s)
		}
	}
	slices.Sort(sids)
	if want := []string{"AllowPublishThroughSSLOnly", "DenyPublishFromAnyone"}; !slices.Equal(sids, want) {
		t.Errorf("topic policy statements = %v, want %v", sids, want)
	}
	for _, p := range resources(tmpl, "AWS::IAM::Policy") {
		for _, st := range p.props["PolicyDocument"].(map[string]any)["Statement"].([]any) {
			if strings.Contains(render(st.(map[string]any)["Action"]), "cloudwatch:DescribeAlarms") ||
				slices.Contains(renderAll(st.(map[string]any)["Action"]), "cloudwatch:DescribeAlarms") {
				t.Errorf("%s grants DescribeAlarms with no alarm configured", p.id)
			}
		}
	}
}
