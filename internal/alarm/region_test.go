package alarm

import "testing"

func TestRegion(t *testing.T) {
	tests := []struct {
		name       string
		arn        string // "" for a message without AlarmArn
		regionName string
		want       string
	}{
		{"ARN", "arn:aws:cloudwatch:eu-west-2:123456789012:alarm:a", "EU (London)", "eu-west-2"},
		{"ARN wins over display name", "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:a", "EU (London)", "eu-west-1"},
		{"ARN with unknown display name", "arn:aws:cloudwatch:ap-southeast-9:123456789012:alarm:a", "Somewhere (New)", "ap-southeast-9"},
		{"China partition", "arn:aws-cn:cloudwatch:cn-north-1:123456789012:alarm:a", "China (Beijing)", "cn-north-1"},
		{"GovCloud partition", "arn:aws-us-gov:cloudwatch:us-gov-west-1:123456789012:alarm:a", "AWS GovCloud (US-West)", "us-gov-west-1"},
		{"ISO partition", "arn:aws-iso-b:cloudwatch:us-isob-east-1:123456789012:alarm:a", "", "us-isob-east-1"},
		{"display name", "", "US East (N. Virginia)", "us-east-1"},
		{"CloudWatch's EU spelling", "", "EU (London)", "eu-west-2"},
		{"SDK's Europe spelling", "", "Europe (Frankfurt)", "eu-central-1"},
		{"case and spaces", "", "  asia pacific (tokyo) ", "ap-northeast-1"},
		{"accented", "", "South America (São Paulo)", "sa-east-1"},
		{"unknown display name", "", "Moon (Tranquility Base)", ""},
		{"no region at all", "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := baseMessage()
			m["AlarmName"] = "a"
			m["Region"] = tt.regionName
			if tt.arn == "" {
				delete(m, "AlarmArn")
			} else {
				m["AlarmArn"] = tt.arn
			}
			n := mustParse(t, encode(t, m))
			if n.Region != tt.want {
				t.Errorf("Region = %q, want %q", n.Region, tt.want)
			}
			if n.RegionName != tt.regionName {
				t.Errorf("RegionName = %q, want %q", n.RegionName, tt.regionName)
			}
		})
	}
}

func TestParseAlarmARN(t *testing.T) {
	a, problem := parseAlarmARN("arn:aws:cloudwatch:eu-west-2:123456789012:alarm:svc:web:high")
	if problem != "" {
		t.Fatal(problem)
	}
	want := alarmARN{partition: "aws", region: "eu-west-2", account: "123456789012", name: "svc:web:high"}
	if a != want {
		t.Errorf("parseAlarmARN = %+v, want %+v", a, want)
	}
	for _, bad := range []string{
		"",
		"arn",
		"arn:aws:cloudwatch:eu-west-2:123456789012:alarm", // no name part
		"ARN:aws:cloudwatch:eu-west-2:123456789012:alarm:a",
		"arn:aws-:cloudwatch:eu-west-2:123456789012:alarm:a",
		"arn:AWS:cloudwatch:eu-west-2:123456789012:alarm:a",
		"arn:aws:cloudwatch:-eu-west-2:123456789012:alarm:a",
		"arn:aws:cloudwatch:eu-west-2:12345678901:alarm:a",
		"arn:aws:cloudwatch:eu-west-2:123456789012:alarms:a",
	} {
		if _, problem := parseAlarmARN(bad); problem == "" {
			t.Errorf("parseAlarmARN(%q) accepted it", bad)
		}
	}
}

// Every code in the table must look like a region code, and every entry must
// be reachable under its own (lower-cased) name.
func TestRegionTable(t *testing.T) {
	for name, code := range regionCodes {
		if !isRegionCode(code) {
			t.Errorf("%q maps to %q, not a region code", name, code)
		}
		if got := regionCode(name); got != code {
			t.Errorf("regionCode(%q) = %q, want %q", name, got, code)
		}
	}
}
