import cf from 'cloudfront';

// ToDoMgmt front door: a CloudFront Function (cloudfront-js-2.0, viewer
// request) that sends every request to the origin named by the key
// "active-region" in the distribution's KeyValueStore.
//
// This file is the source of template.yaml's FrontDoorFunction.FunctionCode,
// which is this text under !Sub: the three placeholders below (dollar-brace
// names) become the KeyValueStore id, the primary stack's region and its
// peer region. The origins of the distribution carry those region names as
// their ids. internal/designcheck's tests fail when the two copies differ. No template
// literals: Fn::Sub would take their placeholders for its own.
//
// The function never touches headers: Authorization reaches API Gateway as
// the viewer sent it (the origin request policy forwards it).
//
// When the key does not name a region:
// - absent (until the first "mage deploy" writes it): every method goes to
//   the default region, the primary stack's.
// - the store cannot be read, or the value names neither origin (only the
//   failover tools write it, so it is a bad write): a write (any method
//   but GET, HEAD, OPTIONS) gets the API's 503 "unavailable" with
//   Retry-After and reaches no origin: after a failover the default region
//   is the demoted or lost one. A read goes to the default region: both
//   regions serve reads, so it is answered (possibly stale after a
//   failover) unless that region is down, where a refusal would not have
//   served it either.

const KVS_ID = '${FrontDoorKvs.Id}';
const DEFAULT_REGION = '${AWS::Region}';
const PEER_REGION = '${PeerRegion}';
const ACTIVE_KEY = 'active-region';
const READ_METHODS = ['GET', 'HEAD', 'OPTIONS'];
const RETRY_AFTER_SECONDS = '1'; // as the API's 503s (pkg/httpapi)

const kvs = cf.kvs(KVS_ID);

// activeRegion returns the region named in the KeyValueStore, the default
// region when the key is absent, or null when the store cannot be read or
// the value names neither origin.
async function activeRegion() {
  let value;
  try {
    value = await kvs.get(ACTIVE_KEY);
  } catch (err) {
    // get() fails alike for an absent key and a store error; exists()
    // tells them apart, at the cost of a second read on this path only.
    if (await keyAbsent()) {
      return DEFAULT_REGION;
    }
    console.log('active-region unreadable: ' + err);
    return null;
  }
  if (typeof value === 'string') {
    value = value.trim();
    if (value === DEFAULT_REGION || value === PEER_REGION) {
      return value;
    }
  }
  console.log('active-region names no origin: ' + JSON.stringify(value));
  return null;
}

// keyAbsent reports whether the store says the key does not exist; a
// store that cannot answer does not say so.
async function keyAbsent() {
  try {
    return (await kvs.exists(ACTIVE_KEY)) === false;
  } catch (err) {
    return false;
  }
}

// unavailable is the API's error response for code "unavailable":
// {"error":{"code","message","requestId"}}, here with CloudFront's id.
function unavailable(requestId) {
  const body = {
    error: {
      code: 'unavailable',
      message: 'the front door cannot tell the active region; retry later',
      requestId: requestId || '',
    },
  };
  return {
    statusCode: 503,
    statusDescription: 'Service Unavailable',
    headers: {
      'content-type': { value: 'application/json' },
      'retry-after': { value: RETRY_AFTER_SECONDS },
    },
    body: { encoding: 'text', data: JSON.stringify(body) + '\n' },
  };
}

async function handler(event) {
  const request = event.request;
  let region = await activeRegion();
  if (region === null) {
    if (READ_METHODS.indexOf(request.method) < 0) {
      return unavailable(event.context.requestId);
    }
    region = DEFAULT_REGION;
  }
  cf.selectRequestOriginById(region);
  return request;
}
