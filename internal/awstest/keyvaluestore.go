package awstest

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudfrontkeyvaluestore"
	kvstypes "github.com/aws/aws-sdk-go-v2/service/cloudfrontkeyvaluestore/types"
)

// kvsAPI is the KeyValueStore.
type kvsAPI struct{ f *AWS }

func (k kvsAPI) DescribeKeyValueStore(context.Context, *cloudfrontkeyvaluestore.DescribeKeyValueStoreInput, ...func(*cloudfrontkeyvaluestore.Options)) (*cloudfrontkeyvaluestore.DescribeKeyValueStoreOutput, error) {
	k.f.mu.Lock()
	defer k.f.mu.Unlock()
	return &cloudfrontkeyvaluestore.DescribeKeyValueStoreOutput{ETag: aws.String(fmt.Sprint(k.f.kvsETag))}, nil
}

func (k kvsAPI) GetKey(context.Context, *cloudfrontkeyvaluestore.GetKeyInput, ...func(*cloudfrontkeyvaluestore.Options)) (*cloudfrontkeyvaluestore.GetKeyOutput, error) {
	k.f.mu.Lock()
	defer k.f.mu.Unlock()
	if k.f.KVSValue == nil {
		return nil, &kvstypes.ResourceNotFoundException{Message: aws.String("no key")}
	}
	return &cloudfrontkeyvaluestore.GetKeyOutput{Value: aws.String(*k.f.KVSValue)}, nil
}

func (k kvsAPI) PutKey(_ context.Context, in *cloudfrontkeyvaluestore.PutKeyInput, _ ...func(*cloudfrontkeyvaluestore.Options)) (*cloudfrontkeyvaluestore.PutKeyOutput, error) {
	f := k.f
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("global", "PutKey %s=%s", aws.ToString(in.Key), aws.ToString(in.Value))
	if aws.ToString(in.IfMatch) != fmt.Sprint(f.kvsETag) {
		return nil, &kvstypes.ConflictException{Message: aws.String("etag")}
	}
	f.kvsETag++
	f.KVSValue = aws.String(aws.ToString(in.Value))
	return &cloudfrontkeyvaluestore.PutKeyOutput{}, nil
}
