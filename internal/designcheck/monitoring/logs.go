package monitoring

import (
	"github.com/todomgmt/todomgmt/internal/designcheck"
)

func checkLogs(in *designcheck.Input, r *designcheck.Report) {
	for _, d := range in.Deployments() {
		for _, lg := range d.OfType("AWS::Logs::LogGroup") {
			if lg.Prop("RetentionInDays") == nil {
				r.AddIn(d, "Resources."+lg.Name, "RetentionInDays must be set (CloudWatch Logs keeps logs forever otherwise)")
			}
		}
	}
}
