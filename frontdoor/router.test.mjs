// Tests for router.js under Node's built-in test runner:
//
//   node --test frontdoor/router.test.mjs
//
// router.js imports the 'cloudfront' module, which exists only inside
// CloudFront Functions. Each test loads a fresh copy of the file with that
// import replaced by a stand-in, after substituting the template's ${...}
// placeholders the way CloudFormation's Fn::Sub would.
//
// The stand-in KeyValueStore follows "Helper methods for key value stores"
// (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/functions-custom-methods.html):
// get(key) returns a promise of the value and "will return an error when
// the key that you requested doesn't exist"; exists(key) returns a promise
// of true or false. The page does not say what a store fault looks like,
// so the failing stand-ins reject (or throw) from both methods.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

const read = (path) => readFileSync(new URL(path, import.meta.url), 'utf8');
const SOURCE = read('./router.js');
const IMPORT_LINE = "import cf from 'cloudfront';";

const PRIMARY = 'us-east-1';
const PEER = 'us-west-2';
const KVS_ID = '0123abcd-4567-89ef-0123-456789abcdef';
const VARS = { 'FrontDoorKvs.Id': KVS_ID, 'AWS::Region': PRIMARY, PeerRegion: PEER };

const READS = ['GET', 'HEAD', 'OPTIONS'];
const WRITES = ['POST', 'PUT', 'PATCH', 'DELETE'];
const METHODS = [...READS, ...WRITES];

// sub mimics Fn::Sub: ${Name} is replaced from vars (an unknown name is an
// error, as it would be in CloudFormation) and ${!Name} becomes ${Name}.
function sub(text, vars) {
  return text.replace(/\$\{(!?)([^}]*)\}/g, (whole, bang, name) => {
    if (bang) return '${' + name + '}';
    if (!(name in vars)) throw new Error(`unknown Fn::Sub variable ${name}`);
    return vars[name];
  });
}

// Stand-in stores: { get(key), exists(key) }.
const present = (v) => ({ get: async () => v, exists: async () => true });
const absent = {
  get: async (key) => {
    throw new Error(`The key ${key} does not exist`);
  },
  exists: async () => false,
};
const failing = (err) => ({
  get: async () => {
    throw err;
  },
  exists: async () => {
    throw err;
  },
});

let loads = 0;

// load evaluates router.js against a stand-in cloudfront module whose
// KeyValueStore is store. It returns the handler and what the function did
// to the stand-in.
async function load(store) {
  assert.ok(SOURCE.includes(IMPORT_LINE), 'router.js must start with the cloudfront import');
  const calls = { kvsIds: [], gets: [], exists: [], selected: [], updated: [] };
  const stub = {
    kvs(id) {
      calls.kvsIds.push(id);
      return {
        get(key) {
          calls.gets.push(key);
          return store.get(key);
        },
        exists(key) {
          calls.exists.push(key);
          return store.exists(key);
        },
      };
    },
    selectRequestOriginById(id) {
      calls.selected.push(id);
    },
    updateRequestOrigin(params) {
      calls.updated.push(params);
    },
  };
  loads += 1;
  const slot = `__cloudfrontStub${loads}`;
  globalThis[slot] = stub;
  const code =
    sub(SOURCE, VARS).replace(IMPORT_LINE, `const cf = globalThis.${slot};`) +
    `\nexport { handler };\n// load ${loads}\n`;
  const mod = await import('data:text/javascript;base64,' + Buffer.from(code).toString('base64'));
  return { handler: mod.handler, calls };
}

function event(method, headers = {}) {
  return {
    version: '1.0',
    context: { eventType: 'viewer-request', distributionId: 'E2EXAMPLE', requestId: 'req-1' },
    viewer: { ip: '192.0.2.10' },
    request: {
      method,
      uri: '/v1/todos',
      querystring: { limit: { value: '10' } },
      headers,
      cookies: {},
    },
  };
}

for (const method of METHODS) {
  for (const region of [PRIMARY, PEER]) {
    test(`${method} goes to the origin named by active-region=${region}`, async () => {
      const { handler, calls } = await load(present(region));
      const ev = event(method);
      assert.equal(await handler(ev), ev.request);
      assert.deepEqual(calls.selected, [region]);
      assert.deepEqual(calls.gets, ['active-region']);
      assert.deepEqual(calls.exists, [], 'a readable key costs one read');
      assert.deepEqual(calls.kvsIds, [KVS_ID]);
    });
  }
}

for (const method of METHODS) {
  test(`absent key: ${method} falls back to the default region`, async () => {
    const { handler, calls } = await load(absent);
    const ev = event(method);
    assert.equal(await handler(ev), ev.request);
    assert.deepEqual(calls.selected, [PRIMARY]);
    assert.deepEqual(calls.exists, ['active-region']);
  });
}

// Store faults: get() fails and exists() does not say "absent"; and
// values that name neither origin (a bad write: after a failover the
// default region is the demoted or lost one, so writes fail closed alike).
const faults = [
  { name: 'unknown region value', store: present('eu-central-1') },
  { name: 'empty value', store: present('') },
  { name: 'value in the wrong case', store: present('US-WEST-2') },
  { name: 'a value that is not a string', store: present(undefined) },
  { name: 'KeyValueStore error', store: failing(new Error('KVS unavailable')) },
  {
    name: 'get and exists that throw synchronously',
    store: {
      get: () => {
        throw new TypeError('boom');
      },
      exists: () => {
        throw new TypeError('boom');
      },
    },
  },
  {
    name: 'get fails although exists says the key is there',
    store: { get: failing(new Error('read timed out')).get, exists: async () => true },
  },
];

for (const f of faults) {
  for (const method of WRITES) {
    test(`${f.name}: ${method} gets 503 unavailable and reaches no origin`, async (t) => {
      const log = t.mock.method(console, 'log', () => {});
      const { handler, calls } = await load(f.store);
      const res = await handler(event(method));
      assert.deepEqual(calls.selected, [], 'no origin may be selected');
      assert.deepEqual(calls.updated, []);
      assert.equal(res.statusCode, 503);
      assert.equal(res.statusDescription, 'Service Unavailable');
      assert.deepEqual(res.headers, {
        'content-type': { value: 'application/json' },
        'retry-after': { value: '1' },
      });
      assert.equal(res.body.encoding, 'text');
      const body = JSON.parse(res.body.data);
      assert.deepEqual(Object.keys(body), ['error']);
      assert.deepEqual(Object.keys(body.error), ['code', 'message', 'requestId']);
      assert.equal(body.error.code, 'unavailable');
      assert.match(body.error.message, /retry later/);
      assert.equal(body.error.requestId, 'req-1');
      assert.equal(log.mock.callCount(), 1, 'the fault is logged once');
    });
  }
  for (const method of READS) {
    test(`${f.name}: ${method} goes to the default region`, async (t) => {
      t.mock.method(console, 'log', () => {});
      const { handler, calls } = await load(f.store);
      const ev = event(method);
      assert.equal(await handler(ev), ev.request);
      assert.deepEqual(calls.selected, [PRIMARY]);
    });
  }
}

test('the 503 carries an empty requestId when the event has none', async (t) => {
  t.mock.method(console, 'log', () => {});
  const { handler } = await load(failing(new Error('KVS unavailable')));
  const ev = event('POST');
  delete ev.context.requestId;
  const res = await handler(ev);
  assert.equal(JSON.parse(res.body.data).error.requestId, '');
});

// The API's error shape lives in Go; read it from there so the two cannot
// drift apart unnoticed.
test('the 503 has the API error shape, code and Retry-After', async (t) => {
  const errorsGo = read('../pkg/httpapi/errors.go');
  const tags = (type) => {
    const m = errorsGo.match(new RegExp(`type ${type} struct \\{([^}]*)\\}`));
    assert.ok(m, `no ${type} in pkg/httpapi/errors.go`);
    return [...m[1].matchAll(/json:"([^",]+)/g)].map((x) => x[1]);
  };
  const code = read('../pkg/todo/errors.go').match(/\bUnavailable\s+Code\s*=\s*"([^"]+)"/);
  const retry = read('../pkg/httpapi/httpapi.go').match(/\bRetryAfterSeconds\s*=\s*(\d+)/);
  assert.ok(code && retry, 'todo.Unavailable or httpapi.RetryAfterSeconds not found');

  t.mock.method(console, 'log', () => {});
  const { handler } = await load(failing(new Error('KVS unavailable')));
  const res = await handler(event('PUT'));
  const body = JSON.parse(res.body.data);
  assert.deepEqual(Object.keys(body), tags('ErrorBody'));
  assert.deepEqual(Object.keys(body.error), tags('ErrorDetail'));
  assert.equal(body.error.code, code[1]);
  assert.equal(res.headers['retry-after'].value, retry[1]);
});

test('surrounding whitespace in the value is ignored', async () => {
  const { handler, calls } = await load(present(` ${PEER}\n`));
  await handler(event('GET'));
  assert.deepEqual(calls.selected, [PEER]);
});

test('the request is returned with headers, Authorization included, untouched', async () => {
  const headers = {
    authorization: { value: 'Bearer eyJraWQiOiJ0ZXN0In0.payload.signature' },
    'content-type': { value: 'application/json' },
    'idempotency-key': { value: 'k-1' },
    'if-match': { value: '"3"' },
  };
  const ev = event('PUT', headers);
  const before = structuredClone(ev.request);
  const { handler, calls } = await load(present(PEER));
  const got = await handler(ev);
  assert.equal(got, ev.request, 'handler must return the request object');
  assert.deepEqual(got, before);
  assert.deepEqual(calls.updated, [], 'origin must be selected by id, not rewritten');
});

test('the code substituted into the template has no placeholders left', () => {
  const code = sub(SOURCE, VARS);
  assert.doesNotMatch(code, /\$\{/);
  assert.doesNotMatch(code, /`/, 'template literals would collide with Fn::Sub');
});

// "Maximum size of a function: 10 KB" (Quotas on CloudFront Functions,
// https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cloudfront-limits.html#limits-functions).
// The KeyValueStore id is the longest substitution.
test('the deployed code fits the 10 KB function size quota', () => {
  const size = Buffer.byteLength(sub(SOURCE, VARS));
  assert.ok(size <= 10 * 1024, `router.js is ${size} bytes after Fn::Sub`);
});
