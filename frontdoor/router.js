import cf from 'cloudfront';

// ToDoMgmt front door: a CloudFront Function (cloudfront-js-2.0, viewer
// request) that sends every request, whatever its method, to the origin
// named by the key "active-region" in the distribution's KeyValueStore.
//
// This file is the source of template.yaml's FrontDoorFunction.FunctionCode,
// which is this text under !Sub: the three placeholders below (dollar-brace
// names) become the KeyValueStore id, the primary stack's region and its
// peer region. The
// origins of the distribution carry those region names as their ids.
// pkg/cfn's tests fail when the two copies differ.
//
// The function never touches headers: Authorization reaches API Gateway as
// the viewer sent it (the origin request policy forwards it).

const KVS_ID = '${FrontDoorKvs.Id}';
const DEFAULT_REGION = '${AWS::Region}';
const PEER_REGION = '${PeerRegion}';
const ACTIVE_KEY = 'active-region';

const kvs = cf.kvs(KVS_ID);

// activeRegion returns the region named in the KeyValueStore, or the
// default region when the key is missing, unreadable or names a region
// that is not one of the two origins.
async function activeRegion() {
  try {
    const value = (await kvs.get(ACTIVE_KEY)).trim();
    if (value === DEFAULT_REGION || value === PEER_REGION) {
      return value;
    }
  } catch (err) {
    // A missing key throws; so does a KeyValueStore error. Both fall back.
  }
  return DEFAULT_REGION;
}

async function handler(event) {
  const request = event.request;
  cf.selectRequestOriginById(await activeRegion());
  return request;
}
