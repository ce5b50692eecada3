package awstest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
)

// TestSNSListsSubscriptionsAsDocumented: the fake answers
// ListSubscriptionsByTopic as the SNS API Reference documents it: up to
// 100 subscriptions per call and a NextToken while more remain,
// PendingConfirmation as the SubscriptionArn of an unconfirmed one,
// NotFound for a topic the region does not have, InvalidParameter
// without a TopicArn.
func TestSNSListsSubscriptionsAsDocumented(t *testing.T) {
	f := New(t, East)
	topic := TopicARN(West)
	var subs []snstypes.Subscription
	for i := range 250 {
		subs = append(subs, Subscription(topic, "email", fmt.Sprintf("u%d@example.com", i), i%2 == 0))
	}
	f.Subscriptions[topic] = subs
	api := f.Clients().SNS(West)

	var pages []int
	var confirmed, pending int
	p := sns.NewListSubscriptionsByTopicPaginator(api, &sns.ListSubscriptionsByTopicInput{TopicArn: aws.String(topic)})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		pages = append(pages, len(page.Subscriptions))
		for _, s := range page.Subscriptions {
			switch arn := aws.ToString(s.SubscriptionArn); {
			case arn == "PendingConfirmation":
				pending++
			case strings.HasPrefix(arn, topic+":"):
				confirmed++
			default:
				t.Errorf("SubscriptionArn %q, want PendingConfirmation or an ARN under the topic's", arn)
			}
		}
	}
	if fmt.Sprint(pages) != "[100 100 50]" || confirmed != 125 || pending != 125 {
		t.Errorf("pages %v, %d confirmed, %d pending; want [100 100 50], 125, 125", pages, confirmed, pending)
	}
	if a, b := Subscription(topic, "email", "x@example.com", true), Subscription(topic, "email", "y@example.com", true); aws.ToString(a.SubscriptionArn) == aws.ToString(b.SubscriptionArn) {
		t.Errorf("two subscriptions share the ARN %s", aws.ToString(a.SubscriptionArn))
	}

	for _, tt := range []struct {
		name   string
		region string
		in     *sns.ListSubscriptionsByTopicInput
		want   any
	}{
		{"no TopicArn", West, &sns.ListSubscriptionsByTopicInput{}, &snstypes.InvalidParameterException{}},
		{"a topic that does not exist", West, &sns.ListSubscriptionsByTopicInput{TopicArn: aws.String("arn:aws:sns:us-west-2:111122223333:nope")}, &snstypes.NotFoundException{}},
		{"a topic of another region", East, &sns.ListSubscriptionsByTopicInput{TopicArn: aws.String(topic)}, &snstypes.NotFoundException{}},
		{"another topic's token", East, &sns.ListSubscriptionsByTopicInput{TopicArn: aws.String(TopicARN(East)), NextToken: aws.String(topic + "#100")}, &snstypes.InvalidParameterException{}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.Clients().SNS(tt.region).ListSubscriptionsByTopic(context.Background(), tt.in)
			switch want := tt.want.(type) {
			case *snstypes.InvalidParameterException:
				if !errors.As(err, &want) {
					t.Errorf("error %v, want InvalidParameter", err)
				}
			case *snstypes.NotFoundException:
				if !errors.As(err, &want) {
					t.Errorf("error %v, want NotFound", err)
				}
			}
		})
	}
}

// TestSNSDownAndHanging: a region that is down fails with its error; one
// that hangs answers only at the caller's deadline.
func TestSNSDownAndHanging(t *testing.T) {
	f := New(t, East)
	in := &sns.ListSubscriptionsByTopicInput{TopicArn: aws.String(TopicARN(West))}
	down := errors.New("dial tcp: i/o timeout")
	f.SNSDown[West] = down
	if _, err := f.Clients().SNS(West).ListSubscriptionsByTopic(context.Background(), in); !errors.Is(err, down) {
		t.Errorf("error %v, want %v", err, down)
	}
	delete(f.SNSDown, West)
	f.SNSHang[West] = true
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := f.Clients().SNS(West).ListSubscriptionsByTopic(ctx, in); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error %v, want the deadline", err)
	}
	// The east topic still answers, with New's confirmed subscription.
	out, err := f.Clients().SNS(East).ListSubscriptionsByTopic(context.Background(), &sns.ListSubscriptionsByTopicInput{TopicArn: aws.String(TopicARN(East))})
	if err != nil || len(out.Subscriptions) != 1 || aws.ToString(out.Subscriptions[0].Protocol) != "email" || aws.ToString(out.Subscriptions[0].SubscriptionArn) == PendingConfirmation {
		t.Errorf("east: %+v, %v; want one confirmed e-mail subscription", out, err)
	}
}
