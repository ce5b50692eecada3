// Tests for router.js under Node's built-in test runner:
//
//   node --test frontdoor/router.test.mjs
//
// router.js imports the 'cloudfront' module, which exists only inside
// CloudFront Functions. Each test loads a fresh copy of the file with that
// import replaced by a stand-in, after substituting the template's ${...}
// placeholders the way CloudFormation's Fn::Sub would.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

const SOURCE = readFileSync(new URL('./router.js', import.meta.url), 'utf8');
const IMPORT_LINE = "import cf from 'cloudfront';";

const PRIMARY = 'us-east-1';
const PEER = 'us-west-2';
const KVS_ID = '0123abcd-4567-89ef-0123-456789abcdef';

// sub mimics Fn::Sub: ${Name} is replaced from vars (an unknown name is an
// error, as it would be in CloudFormation) and ${!Name} becomes ${Name}.
function sub(text, vars) {
  return text.replace(/\$\{(!?)([^}]*)\}/g, (whole, bang, name) => {
    if (bang) return '${' + name + '}';
    if (!(name in vars)) throw new Error(`unknown Fn::Sub variable ${name}`);
    return vars[name];
  });
}

let loads = 0;

// load evaluates router.js against a stand-in cloudfront module whose
// KeyValueStore answers get() with kvsGet. It returns the handler and
// what the function did to the stand-in.
async function load(kvsGet) {
  assert.ok(SOURCE.includes(IMPORT_LINE), 'router.js must start with the cloudfront import');
  const calls = { kvsIds: [], keys: [], selected: [], updated: [] };
  const stub = {
    kvs(id) {
      calls.kvsIds.push(id);
      return {
        async get(key) {
          calls.keys.push(key);
          return kvsGet(key);
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
    sub(SOURCE, { 'FrontDoorKvs.Id': KVS_ID, 'AWS::Region': PRIMARY, PeerRegion: PEER }).replace(
      IMPORT_LINE,
      `const cf = globalThis.${slot};`,
    ) + `\nexport { handler };\n// load ${loads}\n`;
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

const value = (v) => async () => v;
const missing = async (key) => {
  throw new Error(`The key ${key} does not exist`);
};

for (const method of ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH']) {
  for (const region of [PRIMARY, PEER]) {
    test(`${method} goes to the origin named by active-region=${region}`, async () => {
      const { handler, calls } = await load(value(region));
      await handler(event(method));
      assert.deepEqual(calls.selected, [region]);
      assert.deepEqual(calls.keys, ['active-region']);
      assert.deepEqual(calls.kvsIds, [KVS_ID]);
    });
  }
}

for (const tt of [
  { name: 'missing key', get: missing },
  { name: 'KeyValueStore error', get: async () => { throw new Error('KVS unavailable'); } },
  { name: 'unknown region value', get: value('eu-central-1') },
  { name: 'empty value', get: value('') },
  { name: 'value in the wrong case', get: value('US-WEST-2') },
  { name: 'get that throws synchronously', get: () => { throw new TypeError('boom'); } },
]) {
  test(`${tt.name} falls back to the default region`, async () => {
    const { handler, calls } = await load(tt.get);
    await handler(event('POST'));
    assert.deepEqual(calls.selected, [PRIMARY]);
  });
}

test('surrounding whitespace in the value is ignored', async () => {
  const { handler, calls } = await load(value(` ${PEER}\n`));
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
  const { handler, calls } = await load(value(PEER));
  const got = await handler(ev);
  assert.equal(got, ev.request, 'handler must return the request object');
  assert.deepEqual(got, before);
  assert.deepEqual(calls.updated, [], 'origin must be selected by id, not rewritten');
});

test('the code substituted into the template has no placeholders left', () => {
  const code = sub(SOURCE, { 'FrontDoorKvs.Id': KVS_ID, 'AWS::Region': PRIMARY, PeerRegion: PEER });
  assert.doesNotMatch(code, /\$\{/);
  assert.doesNotMatch(code, /`/, 'template literals would collide with Fn::Sub');
});
