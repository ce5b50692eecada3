package awsops

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/google/go-cmp/cmp"

	"github.com/todomgmt/todomgmt/internal/awstest"
)

// TestStatusSaysWhoTheAlarmsReach: a region's alarms notify its topic
// (AlarmTopicArn); a topic without a confirmed subscription delivers to
// nobody, which is a problem whose text says how to fix it. SNS lists a
// subscription whose endpoint has not confirmed it with SubscriptionArn
// "PendingConfirmation", a confirmed one with its ARN, up to 100 per
// call and a NextToken while more remain (SNS API Reference,
// ListSubscriptionsByTopic and the Subscription data type; the fake,
// internal/awstest, answers so).
func TestStatusSaysWhoTheAlarmsReach(t *testing.T) {
	eastTopic, westTopic := awstest.TopicARN(east), awstest.TopicARN(west)
	for _, tt := range []struct {
		name  string
		setup func(*awstest.AWS)
		// want are the problems' prefixes, lines what Write prints (and
		// absent what it must not).
		want          []string
		lines, absent []string
		// contains are further texts the problems hold.
		contains []string
	}{
		{name: "confirmed subscriptions", setup: func(f *awstest.AWS) {
			f.Subscriptions[westTopic] = []snstypes.Subscription{
				awstest.Subscription(westTopic, "https", "https://events.pagerduty.example/integration/abc/enqueue", true),
				awstest.Subscription(westTopic, "email", "oncall@example.com", true),
				awstest.Subscription(westTopic, "email", "new-hire@example.com", false),
			}
		}, lines: []string{"alarms in us-east-1 reach: 1 confirmed (email)\n", "alarms in us-west-2 reach: 2 confirmed (email, https), 1 pending confirmation\n"}},

		{name: "only a subscription pending confirmation", setup: func(f *awstest.AWS) {
			f.Subscriptions[westTopic] = []snstypes.Subscription{awstest.Subscription(westTopic, "email", "oncall@example.com", false)}
		}, want: []string{"the alarms in us-west-2 reach nobody: the 1 subscription(s) of " + westTopic + " wait for confirmation: confirm each from the message SNS sent to its endpoint"},
			contains: []string{"aws sns subscribe --region us-west-2 --topic-arn " + westTopic + " --protocol email --notification-endpoint"},
			lines:    []string{"alarms in us-west-2 reach: nobody (1 pending confirmation)\n", "alarms in us-east-1 reach: 1 confirmed (email)\n"}},

		{name: "no subscription, AlarmEmail not set", setup: func(f *awstest.AWS) {
			f.Subscriptions[eastTopic] = nil
		}, want: []string{"the alarms in us-east-1 reach nobody: " + eastTopic + " has no subscription: set AlarmEmail in samconfig.toml's [primary] parameter_overrides and run go tool mage deploy, or subscribe the on-call endpoint with aws sns subscribe --region us-east-1 --topic-arn " + eastTopic + " --protocol "},
			contains: []string{"then confirm the subscription"},
			lines:    []string{"alarms in us-east-1 reach: nobody (no subscription)\n"}},

		{name: "no subscription left although AlarmEmail is set", setup: func(f *awstest.AWS) {
			f.Stacks[1].Parameters["AlarmEmail"] = "oncall@example.com"
			f.Subscriptions[westTopic] = nil
		}, want: []string{"the alarms in us-west-2 reach nobody: " + westTopic + " has no subscription although AlarmEmail is oncall@example.com"},
			contains: []string{"aws sns subscribe --region us-west-2 --topic-arn " + westTopic + " --protocol email --notification-endpoint oncall@example.com) and confirm it"},
			lines:    []string{"alarms in us-west-2 reach: nobody (no subscription)\n"}},

		{name: "SNS in the passive region does not answer", setup: func(f *awstest.AWS) {
			f.SNSDown[west] = errors.New("dial tcp: i/o timeout")
		}, want: []string{"cannot read who the alarms in us-west-2 reach: list the subscriptions of " + westTopic + " in us-west-2: dial tcp: i/o timeout"},
			lines: []string{"alarms in us-west-2 reach: unknown (see PROBLEM)\n", "alarms in us-east-1 reach: 1 confirmed (email)\n"}},

		{name: "the operator may not list the subscriptions", setup: func(f *awstest.AWS) {
			f.SNSDown[east] = &snstypes.AuthorizationErrorException{Message: aws.String("User: arn:aws:sts::111122223333:assumed-role/ops/me is not authorized to perform: SNS:ListSubscriptionsByTopic")}
		}, want: []string{"cannot read who the alarms in us-east-1 reach: list the subscriptions of " + eastTopic + " in us-east-1: AuthorizationError: "},
			contains: []string{"(status needs sns:ListSubscriptionsByTopic: docs/runbook.md#operator-permissions)"}},

		// 100 pending on the first page: only the second holds the
		// confirmed one.
		{name: "the confirmed subscription on the second page", setup: func(f *awstest.AWS) {
			var subs []snstypes.Subscription
			for i := range 100 {
				subs = append(subs, awstest.Subscription(westTopic, "email", fmt.Sprintf("user%d@example.com", i), false))
			}
			f.Subscriptions[westTopic] = append(subs, awstest.Subscription(westTopic, "sqs", "arn:aws:sqs:us-west-2:111122223333:oncall", true))
		}, lines: []string{"alarms in us-west-2 reach: 1 confirmed (sqs), 100 pending confirmation\n"}},

		{name: "an older template without AlarmTopicArn says nothing new", setup: func(f *awstest.AWS) {
			delete(f.Stacks[1].Outputs, "AlarmTopicArn")
			f.SNSDown[west] = errors.New("not to be called")
		}, lines: []string{"alarms in us-east-1 reach: 1 confirmed (email)\n"}, absent: []string{"alarms in us-west-2 reach"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f, a, _, _ := deployment(t, east)
			tt.setup(f)
			e := openEnv(t, f, &strings.Builder{})
			e.Clients.HTTP = a.Server.Client()
			st, err := ReadStatus(context.Background(), e)
			if err != nil {
				t.Fatal(err)
			}
			got := st.Problems()
			if len(got) != len(tt.want) {
				t.Fatalf("problems %q, want %q", got, tt.want)
			}
			for i := range got {
				if !strings.HasPrefix(got[i], tt.want[i]) {
					t.Errorf("problem %q, want it to start with %q", got[i], tt.want[i])
				}
			}
			for _, c := range tt.contains {
				if !strings.Contains(strings.Join(got, "\n"), c) {
					t.Errorf("problems %q lack %q", got, c)
				}
			}
			var b strings.Builder
			if err := st.Write(&b); err != nil {
				t.Fatal(err)
			}
			for _, l := range tt.lines {
				if !strings.Contains(b.String(), l) {
					t.Errorf("status lacks %q:\n%s", l, b.String())
				}
			}
			for _, l := range tt.absent {
				if strings.Contains(b.String(), l) {
					t.Errorf("status has %q:\n%s", l, b.String())
				}
			}
			for _, p := range got {
				if !strings.Contains(b.String(), "PROBLEM: "+p+"\n") {
					t.Errorf("status does not print the problem %q:\n%s", p, b.String())
				}
			}
		})
	}
}

// TestStatusReadsEveryPageOfSubscriptions: each topic is asked in its own
// region, and the NextToken is followed to the last page.
func TestStatusReadsEveryPageOfSubscriptions(t *testing.T) {
	f, a, _, _ := deployment(t, east)
	topic := awstest.TopicARN(west)
	var subs []snstypes.Subscription
	for i := range 250 {
		subs = append(subs, awstest.Subscription(topic, "email", fmt.Sprintf("user%d@example.com", i), i == 249))
	}
	f.Subscriptions[topic] = subs
	e := openEnv(t, f, &strings.Builder{})
	e.Clients.HTTP = a.Server.Client()
	st, err := ReadStatus(context.Background(), e)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := st.Reach[west].String(), "1 confirmed (email), 249 pending confirmation"; got != want {
		t.Errorf("reach in %s %q, want %q", west, got, want)
	}
	want := []string{
		"us-east-1 ListSubscriptionsByTopic " + awstest.TopicARN(east),
		"us-west-2 ListSubscriptionsByTopic " + topic,
		"us-west-2 ListSubscriptionsByTopic " + topic,
		"us-west-2 ListSubscriptionsByTopic " + topic,
	}
	got := f.Log("ListSubscriptionsByTopic")
	if countPrefix(got, east) != 1 || countPrefix(got, west) != 3 || len(got) != 4 {
		t.Errorf("calls (-want +got, any order):\n%s", cmp.Diff(want, got))
	}
}

// TestStatusBoundsAHangingSNS: a region whose SNS leaves the call hanging
// costs status the subscriptions' timeout, not the caller's deadline, and
// is a problem that names the region.
func TestStatusBoundsAHangingSNS(t *testing.T) {
	defer func(d time.Duration) { subscriptionsTimeout = d }(subscriptionsTimeout)
	subscriptionsTimeout = 50 * time.Millisecond
	f, a, e, _ := deployment(t, east)
	e.Clients.HTTP = a.Server.Client()
	f.WithLock(func() { f.SNSHang[west] = true })
	st, err := ReadStatus(context.Background(), e)
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(st.Problems(), "\n")
	if want := "cannot read who the alarms in us-west-2 reach: list the subscriptions of " + awstest.TopicARN(west) + " in us-west-2: "; !strings.Contains(got, want) ||
		!strings.Contains(got, context.DeadlineExceeded.Error()) {
		t.Errorf("problems %q, want %q ending in the deadline", got, want)
	}
	if r := st.Reach[east]; r.Err != nil || len(r.Confirmed) != 1 {
		t.Errorf("reach in %s %+v, want its confirmed subscription", east, r)
	}
}

// TestAlarmReachOverTheSDK: the SNS client of pkg/awsclient, its
// requests and the documented XML answers (SNS API Reference,
// ListSubscriptionsByTopic, the sample response): the call goes to the
// topic's region, the NextToken of one page is the next request's, and
// the members' SubscriptionArn tells confirmed from pending.
func TestAlarmReachOverTheSDK(t *testing.T) {
	rec := awstest.NewRecorder(t)
	topic := awstest.TopicARN(west)
	member := func(protocol, endpoint, arn string) string {
		return fmt.Sprintf("<member><TopicArn>%s</TopicArn><Protocol>%s</Protocol><SubscriptionArn>%s</SubscriptionArn><Owner>111122223333</Owner><Endpoint>%s</Endpoint></member>",
			topic, protocol, arn, endpoint)
	}
	page := func(next string, members ...string) string {
		token := ""
		if next != "" {
			token = "<NextToken>" + next + "</NextToken>"
		}
		return `<ListSubscriptionsByTopicResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><ListSubscriptionsByTopicResult><Subscriptions>` +
			strings.Join(members, "") + `</Subscriptions>` + token + `</ListSubscriptionsByTopicResult><ResponseMetadata><RequestId>r1</RequestId></ResponseMetadata></ListSubscriptionsByTopicResponse>`
	}
	rec.WireBody = func(c awstest.WireCall) (int, string) {
		if awstest.Form(t, c.Body).Get("NextToken") == "" {
			return http.StatusOK, page("AAEBAf-page-2", member("email", "oncall@example.com", "PendingConfirmation"))
		}
		return http.StatusOK, page("", member("https", "https://pager.example/hook", topic+":0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b"))
	}
	e := &Env{Config: testConfig(), Clients: rec.Clients(), Secondary: &Stack{Name: "todomgmt-secondary", Region: west,
		Outputs: map[string]string{"AlarmTopicArn": topic}, Parameters: map[string]string{}}}
	r := alarmReach(context.Background(), e, e.Secondary, topic)
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	if diff := cmp.Diff(AlarmReach{Topic: topic, Env: RoleSecondary, Confirmed: []string{"https"}, Pending: 1}, r); diff != "" {
		t.Errorf("reach (-want +got):\n%s", diff)
	}
	wire := rec.Wire()
	if len(wire) != 2 {
		t.Fatalf("%d requests on the wire, want 2 (both pages)", len(wire))
	}
	for i, c := range wire {
		form := awstest.Form(t, c.Body)
		if region, service := awstest.CredentialScope(c.Header); region != west || service != "sns" || c.URL.Host != "sns.us-west-2.amazonaws.com" {
			t.Errorf("request %d to %s signed for %s/%s, want sns in %s", i, c.URL.Host, region, service, west)
		}
		if form.Get("Action") != "ListSubscriptionsByTopic" || form.Get("TopicArn") != topic {
			t.Errorf("request %d body %q, want ListSubscriptionsByTopic of %s", i, c.Body, topic)
		}
		if want := []string{"", "AAEBAf-page-2"}[i]; form.Get("NextToken") != want {
			t.Errorf("request %d NextToken %q, want %q", i, form.Get("NextToken"), want)
		}
	}
}
