package awsops

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
)

// AlarmReach is who a region's alarm topic (the AlarmTopicArn output),
// which every alarm of the region notifies, delivers to: its
// subscriptions as SNS lists them, or why they are unknown.
type AlarmReach struct {
	Topic string
	// Env is the samconfig environment of the topic's stack, and Email
	// the stack's AlarmEmail parameter ("" when not set): what the fix
	// names.
	Env, Email string
	// Confirmed holds the protocol of each confirmed subscription, sorted.
	Confirmed []string
	// Pending counts the subscriptions whose endpoint has not confirmed
	// them yet: they deliver nothing.
	Pending int
	Err     error
}

// pendingConfirmation is the SubscriptionArn SNS lists for a subscription
// not confirmed yet (SNS API Reference, ListSubscriptionsByTopic and the
// Subscription data type: a subscription has an ARN once its endpoint
// confirmed it).
const pendingConfirmation = "PendingConfirmation"

// subscriptionsTimeout bounds each region's ListSubscriptionsByTopic
// pages, as alarmsTimeout bounds its alarms: a region that is down may
// leave the calls hanging. A variable so a test can shorten it.
var subscriptionsTimeout = alarmsTimeout

// alarmReach lists the subscriptions of the stack's alarm topic, every
// page (a page holds up to 100).
func alarmReach(ctx context.Context, e *Env, s *Stack, topic string) AlarmReach {
	ctx, cancel := context.WithTimeout(ctx, subscriptionsTimeout)
	defer cancel()
	env := RoleSecondary
	if s == e.Primary {
		env = RolePrimary
	}
	r := AlarmReach{Topic: topic, Env: env, Email: s.Parameters["AlarmEmail"]}
	p := sns.NewListSubscriptionsByTopicPaginator(e.Clients.SNS(s.Region), &sns.ListSubscriptionsByTopicInput{TopicArn: aws.String(topic)},
		func(o *sns.ListSubscriptionsByTopicPaginatorOptions) { o.StopOnDuplicateToken = true })
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			r.Err = fmt.Errorf("list the subscriptions of %s in %s: %w", topic, s.Region, err)
			return r
		}
		for _, sub := range page.Subscriptions {
			// Subscribe answers "pending confirmation" (SNS API Reference,
			// Subscribe, ReturnSubscriptionArn), ListSubscriptionsByTopic
			// "PendingConfirmation": either spelling is not confirmed.
			switch arn := aws.ToString(sub.SubscriptionArn); {
			case strings.EqualFold(strings.ReplaceAll(arn, " ", ""), pendingConfirmation):
				r.Pending++
			case strings.HasPrefix(arn, "arn:"):
				r.Confirmed = append(r.Confirmed, aws.ToString(sub.Protocol))
			}
		}
	}
	slices.Sort(r.Confirmed)
	return r
}

// String is the status line's summary: "2 confirmed (email, https)",
// "nobody (1 pending confirmation)", "nobody (no subscription)" or
// "unknown".
func (a AlarmReach) String() string {
	if a.Err != nil {
		return "unknown (see PROBLEM)"
	}
	pending := ""
	if a.Pending > 0 {
		pending = fmt.Sprintf("%d pending confirmation", a.Pending)
	}
	if len(a.Confirmed) == 0 {
		if pending == "" {
			pending = "no subscription"
		}
		return "nobody (" + pending + ")"
	}
	s := fmt.Sprintf("%d confirmed (%s)", len(a.Confirmed), strings.Join(slices.Compact(slices.Clone(a.Confirmed)), ", "))
	if pending != "" {
		s += ", " + pending
	}
	return s
}

// problem says why the region's alarms may reach nobody and how to fix
// it; "" when a confirmed subscription receives them.
func (a AlarmReach) problem(region string) string {
	if a.Err != nil {
		hint := ""
		if _, ok := errors.AsType[*snstypes.AuthorizationErrorException](a.Err); ok {
			hint = " (status needs sns:ListSubscriptionsByTopic: docs/runbook.md#operator-permissions)"
		}
		return fmt.Sprintf("cannot read who the alarms in %s reach: %v%s", region, a.Err, hint)
	}
	if len(a.Confirmed) > 0 {
		return ""
	}
	subscribe := fmt.Sprintf("aws sns subscribe --region %s --topic-arn %s --protocol email --notification-endpoint <on-call address> (or --protocol https and a pager's URL)",
		region, a.Topic)
	// SNS deletes a subscription left pending confirmation for 48 hours
	// (What's New with AWS, 10 May 2023, on the automatic deletion of
	// unconfirmed subscriptions), and CloudFormation does not recreate a
	// resource deleted behind its back while its properties stay the same.
	switch {
	case a.Pending > 0:
		return fmt.Sprintf("the alarms in %s reach nobody: the %d subscription(s) of %s wait for confirmation: confirm each from the message SNS sent to its endpoint; SNS deletes one left unconfirmed for 48 hours: then subscribe again with %s and confirm it",
			region, a.Pending, a.Topic, subscribe)
	case a.Email != "":
		return fmt.Sprintf("the alarms in %s reach nobody: %s has no subscription although AlarmEmail is %s (SNS deletes a subscription left unconfirmed for 48 hours, and a deploy that keeps AlarmEmail does not recreate it): subscribe again (aws sns subscribe --region %s --topic-arn %s --protocol email --notification-endpoint %s) and confirm it",
			region, a.Topic, a.Email, region, a.Topic, a.Email)
	}
	return fmt.Sprintf("the alarms in %s reach nobody: %s has no subscription: set AlarmEmail in samconfig.toml's [%s] parameter_overrides and run go tool mage deploy, or subscribe the on-call endpoint with %s; then confirm the subscription from the message SNS sends to it",
		region, a.Topic, a.Env, subscribe)
}
