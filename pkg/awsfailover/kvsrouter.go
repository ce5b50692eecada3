package awsfailover

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudfrontkeyvaluestore"
	kvstypes "github.com/aws/aws-sdk-go-v2/service/cloudfrontkeyvaluestore/types"

	"github.com/todomgmt/todomgmt/pkg/awsclient"
	"github.com/todomgmt/todomgmt/pkg/failover"
)

// ActiveRegionKey is the KeyValueStore key naming the active region; the
// CloudFront Function routes every request to the origin with that id.
const ActiveRegionKey = "active-region"

// KVSRouter is the CloudFront front door: one key of a KeyValueStore names
// the region that takes traffic. Switching writes that key with the
// store's ETag (optimistic concurrency); the distribution is not edited.
type KVSRouter struct {
	// ARN is the KeyValueStore's ARN (stack output KeyValueStoreArn).
	ARN string
	// Regions are the values the function accepts (the origins' ids).
	Regions []string
	// Fallback is the region the function uses while the key is absent:
	// the primary stack's region.
	Fallback string
	Client   awsclient.KVSAPI
}

var _ failover.Router = (*KVSRouter)(nil)

// Active reads the key; an absent key means the function's fallback.
func (k *KVSRouter) Active(ctx context.Context) (string, error) {
	v, ok, _, err := k.get(ctx)
	if err != nil {
		return "", err
	}
	if !ok || !slices.Contains(k.Regions, v) {
		// The function falls back to its default for a missing or
		// unknown value: report what it does.
		return k.Fallback, nil
	}
	return v, nil
}

// get reads the key. GetKey answers ResourceNotFoundException both for a
// missing key and for a missing store (a wrong ARN): the store is then
// described, and only a store that exists makes the key absent. A wrong
// ARN must not read as "absent, so the fallback region is active". When
// it described the store, get also returns the store's ETag.
func (k *KVSRouter) get(ctx context.Context) (value string, ok bool, etag *string, err error) {
	out, err := k.Client.GetKey(ctx, &cloudfrontkeyvaluestore.GetKeyInput{KvsARN: aws.String(k.ARN), Key: aws.String(ActiveRegionKey)})
	var nf *kvstypes.ResourceNotFoundException
	switch {
	case errors.As(err, &nf):
		d, derr := k.Client.DescribeKeyValueStore(ctx, &cloudfrontkeyvaluestore.DescribeKeyValueStoreInput{KvsARN: aws.String(k.ARN)})
		var snf *kvstypes.ResourceNotFoundException
		switch {
		case errors.As(derr, &snf):
			return "", false, nil, fmt.Errorf("the front door's KeyValueStore %s does not exist (check the primary stack's KeyValueStoreArn output, or %s): %w", k.ARN, EnvKVSARN, derr)
		case derr != nil:
			return "", false, nil, fmt.Errorf("read %s: the key is absent or the store is missing, and describing the store failed: %w", ActiveRegionKey, derr)
		}
		return "", false, d.ETag, nil
	case err != nil:
		return "", false, nil, fmt.Errorf("read %s from the front door's KeyValueStore: %w", ActiveRegionKey, err)
	}
	return aws.ToString(out.Value), true, nil, nil
}

// Route sets the key to region unless it already holds it. The write
// carries the store's current ETag (IfMatch); when another writer got in
// between, it reads the ETag again and retries a few times.
func (k *KVSRouter) Route(ctx context.Context, region string) error {
	if !slices.Contains(k.Regions, region) {
		return fmt.Errorf("route to %s: not a front door origin (origins: %v)", region, k.Regions)
	}
	_, err := k.put(ctx, region, false)
	return err
}

// Seed sets the key to region only when it is absent: the first deploy
// names the primary, later deploys never move traffic. It reports whether
// it wrote.
func (k *KVSRouter) Seed(ctx context.Context, region string) (bool, error) {
	return k.put(ctx, region, true)
}

func (k *KVSRouter) put(ctx context.Context, region string, onlyIfAbsent bool) (bool, error) {
	const attempts = 3
	var lastErr error
	for range attempts {
		v, ok, etag, err := k.get(ctx)
		if err != nil {
			return false, err
		}
		if ok && (v == region || onlyIfAbsent) {
			return false, nil
		}
		if etag == nil {
			d, err := k.Client.DescribeKeyValueStore(ctx, &cloudfrontkeyvaluestore.DescribeKeyValueStoreInput{KvsARN: aws.String(k.ARN)})
			if err != nil {
				return false, fmt.Errorf("describe the front door's KeyValueStore: %w", err)
			}
			etag = d.ETag
		}
		_, err = k.Client.PutKey(ctx, &cloudfrontkeyvaluestore.PutKeyInput{
			KvsARN:  aws.String(k.ARN),
			Key:     aws.String(ActiveRegionKey),
			Value:   aws.String(region),
			IfMatch: etag,
		})
		var conflict *kvstypes.ConflictException
		if errors.As(err, &conflict) {
			lastErr = err
			continue
		}
		if err != nil {
			return false, fmt.Errorf("write %s=%s to the front door's KeyValueStore: %w", ActiveRegionKey, region, err)
		}
		return true, nil
	}
	return false, fmt.Errorf("write %s=%s: the KeyValueStore kept changing: %w", ActiveRegionKey, region, lastErr)
}
