package alarm

import "strings"

// alarmARN is the parts of arn:PARTITION:cloudwatch:REGION:ACCOUNT:alarm:NAME.
type alarmARN struct {
	partition, region, account, name string
}

// parseAlarmARN splits a CloudWatch alarm ARN, returning what is wrong with it
// if it is not one. The name is everything after "alarm:", since alarm names
// may themselves contain colons.
func parseAlarmARN(s string) (alarmARN, string) {
	parts := strings.SplitN(s, ":", 7)
	if len(parts) != 7 || parts[0] != "arn" {
		return alarmARN{}, "not an ARN (" + quote(s) + ")"
	}
	a := alarmARN{partition: parts[1], region: parts[3], account: parts[4], name: parts[6]}
	switch {
	case !isPartition(a.partition):
		return alarmARN{}, "unknown partition " + quote(a.partition)
	case parts[2] != "cloudwatch":
		return alarmARN{}, "not a CloudWatch ARN (service " + quote(parts[2]) + ")"
	case parts[5] != "alarm":
		return alarmARN{}, "not an alarm ARN (resource type " + quote(parts[5]) + ")"
	case !isRegionCode(a.region):
		return alarmARN{}, "region " + quote(a.region) + " is not a region code"
	case !IsAccountID(a.account):
		return alarmARN{}, "account " + quote(a.account) + " is not a 12-digit account ID"
	}
	return a, ""
}

// isPartition accepts "aws" and "aws-*" (aws-cn, aws-us-gov, and the isolated
// and sovereign partitions) rather than a fixed list, so that a new partition
// does not make every alarm from it unparseable.
func isPartition(s string) bool {
	if s == "aws" {
		return true
	}
	rest, ok := strings.CutPrefix(s, "aws-")
	return ok && rest != "" && isLowerAlnumHyphen(rest)
}

// isRegionCode accepts the shape of a region code, such as "eu-west-2".
func isRegionCode(s string) bool {
	return s != "" && len(s) <= 32 && isLowerAlnumHyphen(s) && s[0] != '-' && s[len(s)-1] != '-'
}

func isLowerAlnumHyphen(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' {
			return false
		}
	}
	return true
}

// regionCode maps a Region display name from a notification to its code, for
// messages without an AlarmArn. It returns "" for names it does not know.
func regionCode(displayName string) string {
	return regionCodes[strings.ToLower(strings.TrimSpace(displayName))]
}

// regionCodes maps lower-cased display names to region codes. The names are
// the SDK's region descriptions; CloudWatch notifications still say
// "EU (London)" where the SDK now says "Europe (London)", so both are listed.
// Only messages without an AlarmArn need this, and those stopped being sent
// around 2019, so the table need not chase new regions.
var regionCodes = func() map[string]string {
	names := map[string]string{
		"us-east-1":      "US East (N. Virginia)",
		"us-east-2":      "US East (Ohio)",
		"us-west-1":      "US West (N. California)",
		"us-west-2":      "US West (Oregon)",
		"af-south-1":     "Africa (Cape Town)",
		"ap-east-1":      "Asia Pacific (Hong Kong)",
		"ap-east-2":      "Asia Pacific (Taipei)",
		"ap-northeast-1": "Asia Pacific (Tokyo)",
		"ap-northeast-2": "Asia Pacific (Seoul)",
		"ap-northeast-3": "Asia Pacific (Osaka)",
		"ap-south-1":     "Asia Pacific (Mumbai)",
		"ap-south-2":     "Asia Pacific (Hyderabad)",
		"ap-southeast-1": "Asia Pacific (Singapore)",
		"ap-southeast-2": "Asia Pacific (Sydney)",
		"ap-southeast-3": "Asia Pacific (Jakarta)",
		"ap-southeast-4": "Asia Pacific (Melbourne)",
		"ap-southeast-5": "Asia Pacific (Malaysia)",
		"ap-southeast-6": "Asia Pacific (New Zealand)",
		"ap-southeast-7": "Asia Pacific (Thailand)",
		"ca-central-1":   "Canada (Central)",
		"ca-west-1":      "Canada West (Calgary)",
		"eu-central-1":   "Europe (Frankfurt)",
		"eu-central-2":   "Europe (Zurich)",
		"eu-north-1":     "Europe (Stockholm)",
		"eu-south-1":     "Europe (Milan)",
		"eu-south-2":     "Europe (Spain)",
		"eu-west-1":      "Europe (Ireland)",
		"eu-west-2":      "Europe (London)",
		"eu-west-3":      "Europe (Paris)",
		"il-central-1":   "Israel (Tel Aviv)",
		"me-central-1":   "Middle East (UAE)",
		"me-south-1":     "Middle East (Bahrain)",
		"me-west-1":      "Middle East (Saudi Arabia)",
		"mx-central-1":   "Mexico (Central)",
		"sa-east-1":      "South America (Sao Paulo)",
		"sa-west-1":      "South America (Chile)",
		"cn-north-1":     "China (Beijing)",
		"cn-northwest-1": "China (Ningxia)",
		"us-gov-east-1":  "AWS GovCloud (US-East)",
		"us-gov-west-1":  "AWS GovCloud (US-West)",
	}
	codes := make(map[string]string, 2*len(names))
	for code, name := range names {
		codes[strings.ToLower(name)] = code
		if rest, ok := strings.CutPrefix(name, "Europe "); ok {
			codes["eu "+strings.ToLower(rest)] = code
		}
	}
	codes["south america (são paulo)"] = "sa-east-1"
	return codes
}()
