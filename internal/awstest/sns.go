package awstest

import (
	"context"
	"crypto/sha256"
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
)

// snsPageSize is how many subscriptions one ListSubscriptionsByTopic
// call returns at most ("Each call returns a limited list of
// subscriptions, up to 100", SNS API Reference, ListSubscriptionsByTopic).
const snsPageSize = 100

// PendingConfirmation is the SubscriptionArn SNS lists for a subscription
// whose endpoint has not confirmed it yet (SNS API Reference,
// ListSubscriptionsByTopic and the Subscription data type; the ARN
// exists only once ConfirmSubscription created the subscription).
const PendingConfirmation = "PendingConfirmation"

// snsAPI is SNS in one region: the alarm topics' subscriptions come from
// f.Subscriptions.
type snsAPI struct {
	f      *AWS
	region string
}

// Subscription is a subscription of topic as ListSubscriptionsByTopic
// lists it: confirmed, its ARN (the topic's ARN and an id); not yet,
// PendingConfirmation.
func Subscription(topic, protocol, endpoint string, confirmed bool) snstypes.Subscription {
	arn := PendingConfirmation
	if confirmed {
		// <topic ARN>:<id>, the id a UUID; here one derived from the
		// endpoint, so the same subscription keeps its ARN.
		h := sha256.Sum256([]byte(protocol + ":" + endpoint))
		arn = fmt.Sprintf("%s:%x-%x-%x-%x-%x", topic, h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
	}
	return snstypes.Subscription{SubscriptionArn: aws.String(arn), Owner: aws.String("111122223333"),
		Protocol: aws.String(protocol), Endpoint: aws.String(endpoint), TopicArn: aws.String(topic)}
}

// ListSubscriptionsByTopic answers as the SNS API Reference documents:
// TopicArn is required (InvalidParameter otherwise), a topic that does
// not exist in the client's region is NotFound, and each call returns up
// to 100 subscriptions with a NextToken while more remain. A region in
// SNSDown fails every call with its error; one in SNSHang leaves the call
// hanging until the caller's deadline.
func (s snsAPI) ListSubscriptionsByTopic(ctx context.Context, in *sns.ListSubscriptionsByTopicInput, _ ...func(*sns.Options)) (*sns.ListSubscriptionsByTopicOutput, error) {
	f := s.f
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.SNSDown[s.region]; err != nil {
		return nil, err
	}
	if f.SNSHang[s.region] {
		f.mu.Unlock()
		<-ctx.Done()
		f.mu.Lock()
		return nil, fmt.Errorf("ListSubscriptionsByTopic: %w", ctx.Err())
	}
	topic := aws.ToString(in.TopicArn)
	if topic == "" {
		return nil, &snstypes.InvalidParameterException{Message: aws.String("Invalid parameter: TopicArn")}
	}
	subs, ok := f.Subscriptions[topic]
	// A topic ARN names its region (arn:aws:sns:<region>:<account>:<name>):
	// SNS in another region does not know it.
	if !ok || !strings.HasPrefix(topic, "arn:aws:sns:"+s.region+":") {
		return nil, &snstypes.NotFoundException{Message: aws.String("Topic does not exist")}
	}
	f.record(s.region, "ListSubscriptionsByTopic %s", topic)
	start := 0
	if t := aws.ToString(in.NextToken); t != "" {
		// The token is opaque to the caller; this fake's names the topic
		// and the offset, and refuses one from another topic.
		at, off, found := strings.Cut(t, "#")
		n, err := strconv.Atoi(off)
		if !found || at != topic || err != nil || n < 0 || n > len(subs) {
			return nil, &snstypes.InvalidParameterException{Message: aws.String("Invalid parameter: NextToken")}
		}
		start = n
	}
	end := min(start+snsPageSize, len(subs))
	out := &sns.ListSubscriptionsByTopicOutput{Subscriptions: append([]snstypes.Subscription(nil), subs[start:end]...)}
	if end < len(subs) {
		out.NextToken = aws.String(fmt.Sprintf("%s#%d", topic, end))
	}
	return out, nil
}
