package database

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/todomgmt/todomgmt/internal/designcheck"
)

// cryptoActions use a key's material, or let someone else use it (a grant
// is a way to use the key). A key policy may allow them only through
// kms:ViaService, so that holding kms:Decrypt in IAM is not enough.
var cryptoActions = []string{
	"kms:Encrypt", "kms:Decrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo",
	"kms:GenerateDataKey", "kms:GenerateDataKeyWithoutPlaintext",
	"kms:GenerateDataKeyPair", "kms:GenerateDataKeyPairWithoutPlaintext",
	"kms:GenerateMac", "kms:VerifyMac", "kms:Sign", "kms:Verify",
	"kms:DeriveSharedSecret", "kms:CreateGrant",
}

// KeyAdminActions are the administration actions the account must keep
// without conditions: without them the key becomes unmanageable (and KMS
// refuses a policy that would lock its creator out of PutKeyPolicy).
var KeyAdminActions = []string{
	"kms:DescribeKey", "kms:GetKeyPolicy", "kms:PutKeyPolicy", "kms:EnableKey", "kms:DisableKey",
	"kms:ScheduleKeyDeletion", "kms:CancelKeyDeletion", "kms:TagResource", "kms:UntagResource",
}

// KeyServices are the kms:ViaService values the key may be used through.
var KeyServices = []string{"rds.${AWS::Region}.amazonaws.com", "secretsmanager.${AWS::Region}.amazonaws.com"}

// keyUseActions are what RDS (an encrypted cluster, through a grant) and
// Secrets Manager (secrets with this key) need through those services.
var keyUseActions = []string{"kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey", "kms:CreateGrant", "kms:DescribeKey"}

func checkKeyPolicy(in *designcheck.Input, r *designcheck.Report) {
	for _, d := range in.Deployments() {
		checkKeyPolicyIn(d, r)
	}
}

func checkKeyPolicyIn(d *designcheck.Deployment, r *designcheck.Report) {
	for _, k := range d.OfType("AWS::KMS::Key") {
		where := "Resources." + k.Name
		admin := map[string]bool{}
		use := map[string]bool{}
		for i, st := range designcheck.Items(k.Prop("KeyPolicy", "Statement")) {
			if e, _ := designcheck.Str(designcheck.Get(st, "Effect")); e != "Allow" {
				continue
			}
			sid, _ := designcheck.Str(designcheck.Get(st, "Sid"))
			sw := fmt.Sprintf("%s statement %d %q", where, i, sid)
			if designcheck.Get(st, "NotAction") != nil {
				r.AddIn(d, sw, "NotAction allows everything else, crypto included")
				continue
			}
			var actions []string
			for _, a := range designcheck.Items(designcheck.Get(st, "Action")) {
				if s, ok := designcheck.Str(a); ok {
					actions = append(actions, s)
				} else {
					r.AddIn(d, sw, "line %d: Action must be literal", a.Line)
				}
			}
			via, viaErr := viaServices(designcheck.Get(st, "Condition"))
			if viaErr != "" {
				r.AddIn(d, sw, "%s", viaErr)
			}
			if via == nil {
				for _, a := range actions {
					for _, c := range cryptoActions {
						if actionMatches(a, c) {
							r.AddIn(d, sw, "allows %s (matches %s) without kms:ViaService: use of the key must go through %v", a, c, KeyServices)
							break
						}
					}
					for _, c := range KeyAdminActions {
						if actionMatches(a, c) {
							admin[c] = true
						}
					}
				}
				continue
			}
			for _, v := range via {
				if !slices.Contains(KeyServices, v) {
					r.AddIn(d, sw, "kms:ViaService %q is not one of %v", v, KeyServices)
				}
			}
			for _, a := range actions {
				for _, c := range keyUseActions {
					if actionMatches(a, c) {
						use[c] = true
					}
				}
			}
		}
		for _, c := range KeyAdminActions {
			if !admin[c] {
				r.AddIn(d, where, "no unconditional statement lets the account %s: the key would become unmanageable", c)
			}
		}
		for _, c := range keyUseActions {
			if !use[c] {
				r.AddIn(d, where, "no kms:ViaService statement allows %s: RDS and Secrets Manager need it", c)
			}
		}
	}
}

// viaServices returns the kms:ViaService values of a Condition block (the
// Fn::Sub text of each), nil when there are none, and a problem if the
// values are not matched exactly.
func viaServices(cond *yaml.Node) ([]string, string) {
	var via []string
	problem := ""
	for _, op := range designcheck.Keys(cond) {
		v := designcheck.Get(cond, op, "kms:ViaService")
		if v == nil {
			continue
		}
		if op != "StringEquals" {
			problem = fmt.Sprintf("kms:ViaService under %s: want StringEquals (exact services)", op)
		}
		for _, it := range designcheck.Items(v) {
			if s, ok := designcheck.Str(it); ok {
				via = append(via, s)
			} else if f, arg, ok := designcheck.Intrinsic(it); ok && f == "Fn::Sub" {
				s, _ := designcheck.Str(arg)
				via = append(via, s)
			} else {
				problem = fmt.Sprintf("line %d: kms:ViaService values must be strings or !Sub", it.Line)
			}
		}
	}
	return via, problem
}

// actionMatches reports whether an IAM action pattern (case-insensitive,
// with * and ?) matches action.
func actionMatches(pattern, action string) bool {
	var b strings.Builder
	b.WriteString("(?i)^")
	for _, c := range pattern {
		switch c {
		case '*':
			b.WriteString(".*")
		case '?':
			b.WriteString(".")
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString("$")
	return regexp.MustCompile(b.String()).MatchString(action)
}
