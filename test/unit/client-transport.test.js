'use strict';
// Pure transport pieces: what an error keeps of a foreign cause, the AADSTS sentence extractor on
// hostile input, the token endpoint's Retry-After as msal gets it, the request-timeout setting.
const { test, describe } = require('node:test');
const assert = require('node:assert/strict');
const util = require('node:util');

const errors = require('../../dist/client/errors.js');
const { retryAfterSeconds } = require('../../dist/client/auth/network-client.js');
const { parseRequestTimeout } = require('../../dist/nodes/shared/config-settings.js');
const { huntingTimeoutMs, HUNTING_TIMEOUT_MS, runHuntingQuery } = require('../../dist/client/hunting/hunting.js');

const TOKEN = 'eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJodHRwczovL2FwaSJ9.c2lnbmF0dXJlLXNpZ25hdHVyZQ';

/** Shaped like got's RequestError: an enumerable `options` holding the Authorization header. */
function gotLikeError() {
  const e = new Error(`read ECONNRESET (sent authorization: Bearer ${TOKEN})`);
  e.name = 'RequestError';
  e.code = 'ECONNRESET';
  e.options = { headers: { authorization: `Bearer ${TOKEN}` }, body: 'client_secret=Top~Secret~Value&grant_type=client_credentials' };
  return e;
}

describe('MdeError cause', () => {
  test('a foreign cause is kept as a plain { name, code, message } without the token', () => {
    const e = new errors.MdeNetworkError('Could not reach the API.', { code: 'NetworkError', cause: gotLikeError() });
    assert.deepEqual(Object.keys(e.cause).sort(), ['code', 'message', 'name']);
    assert.equal(Object.getPrototypeOf(e.cause), Object.prototype);
    assert.equal(e.cause.name, 'RequestError');
    assert.equal(e.cause.code, 'ECONNRESET');
    assert.match(e.cause.message, /read ECONNRESET/);
    for (const text of [JSON.stringify(e.cause), util.inspect(e, { depth: 10, showHidden: true }), e.stack]) {
      assert.ok(!text.includes(TOKEN), text);
      assert.ok(!text.includes('Top~Secret~Value'), text);
    }
  });

  test('our own error stays the cause as it is; msal errors keep their errorCode', () => {
    const inner = new errors.MdeApiError('inner', { code: 'X' });
    assert.equal(new errors.MdeError('outer', { code: 'Y', cause: inner }).cause, inner);
    const msalLike = Object.assign(new Error('invalid_client: AADSTS7000215: Invalid client secret provided.'), { name: 'ServerError', errorCode: 'invalid_client' });
    assert.deepEqual(new errors.MdeAuthError('x', { code: 'Z', cause: msalLike }).cause, { name: 'ServerError', code: 'invalid_client', message: 'invalid_client: AADSTS7000215: Invalid client secret provided.' });
    assert.deepEqual(new errors.MdeError('x', { code: 'Z', cause: 'plain text' }).cause, { name: 'string', message: 'plain text' });
  });

  test('redactSecrets blanks bearer values, JWTs and credential fields', () => {
    const out = errors.redactSecrets(`Authorization: Bearer ${TOKEN} client_secret=abc123&client_assertion=${TOKEN} {"password":"hunter2"} token ${TOKEN}`);
    assert.ok(!out.includes(TOKEN));
    assert.ok(!out.includes('abc123'));
    assert.ok(!out.includes('hunter2'));
    assert.match(out, /client_secret=\[redacted\]/);
  });
});

describe('extractAadstsDescription', () => {
  test('keeps the first sentence and drops trace lines', () => {
    const text = 'AADSTS7000215: Invalid client secret provided. Ensure the secret being sent is the value.\r\nTrace ID: 123\r\nCorrelation ID: 456';
    assert.equal(errors.extractAadstsDescription(text), 'AADSTS7000215: Invalid client secret provided.');
    assert.equal(errors.extractAadstsDescription('AADSTS90002: Tenant not found - Correlation ID: abc - Timestamp: now'), 'AADSTS90002: Tenant not found');
    assert.equal(errors.extractAadstsDescription('no code here'), undefined);
  });

  test('long whitespace runs fold into one space (a quadratic scan used to take seconds on 50,000)', () => {
    const spaces = ' '.repeat(50_000);
    assert.equal(errors.extractAadstsDescription(`AADSTS7000215:${spaces}Invalid client secret provided.${spaces}Next.`), 'AADSTS7000215: Invalid client secret provided.');
    assert.equal(errors.extractAadstsDescription(`AADSTS50011:${'\t '.repeat(25_000)}The reply URL${spaces}does not match.${spaces}Trace ID: x`), 'AADSTS50011: The reply URL does not match.');
    assert.equal(errors.extractAadstsDescription(`AADSTS90033: A transient error${spaces}- Correlation ID: 1`), 'AADSTS90033: A transient error');
    const long = errors.extractAadstsDescription(`AADSTS1: ${'word '.repeat(400_000)}`);
    assert.equal(long.length, 300);
    assert.ok(long.endsWith('...'));
  });
});

describe('token endpoint Retry-After for msal', () => {
  test('delta-seconds and HTTP-dates become whole seconds, at least 1', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    assert.equal(retryAfterSeconds('7', now), 7);
    assert.equal(retryAfterSeconds('0', now), 1, 'msal reads 0 as "no header" and waits 60 s');
    assert.equal(retryAfterSeconds('1.2', now), 2);
    assert.equal(retryAfterSeconds('Thu, 01 Jan 2026 00:00:05 GMT', now), 5);
    assert.equal(retryAfterSeconds('soon', now), undefined);
    assert.equal(retryAfterSeconds(undefined, now), undefined);
  });
});

describe('request timeout setting', () => {
  test('seconds, as a number or the text the editor saves, become milliseconds', () => {
    assert.equal(parseRequestTimeout(undefined), undefined);
    assert.equal(parseRequestTimeout(''), undefined);
    assert.equal(parseRequestTimeout(45), 45_000);
    assert.equal(parseRequestTimeout('120'), 120_000);
    assert.equal(parseRequestTimeout('1.5'), 1_500);
  });

  test('a wrong type or an out-of-range value is refused, naming the property, what came and what is allowed', () => {
    const refused = (value, came) => assert.throws(() => parseRequestTimeout(value), (e) => e instanceof errors.MdeInputError && /requestTimeout/.test(e.message) && /from 1 to 900/.test(e.message) && e.message.includes(came));
    refused(true, 'boolean true');
    refused({ s: 5 }, 'an object');
    refused([30], 'an array');
    refused('30s', '"30s"');
    refused('abc', '"abc"');
    refused(0, 'got 0');
    refused(-5, 'got -5');
    refused(901, 'got 901');
    refused(Number.NaN, 'got NaN');
    refused(Number.POSITIVE_INFINITY, 'got Infinity');
  });
});

describe('hunting request shape', () => {
  function fakeHttp(requestTimeoutMs) {
    const sent = [];
    return {
      sent,
      requestTimeoutMs,
      async request(req) {
        sent.push(req);
        return { status: 200, headers: {}, body: Buffer.from('{"schema":[],"results":[]}'), retries: 0 };
      },
    };
  }

  test('waits longer than the 200 s Microsoft gives a query and is never resent after a timeout', async () => {
    for (const api of ['graph', 'mde']) {
      const http = fakeHttp(30_000);
      await runHuntingQuery(http, 'DeviceInfo | take 1', { api });
      assert.equal(http.sent.length, 1);
      assert.ok(http.sent[0].timeoutMs > 200_000, `${api}: ${http.sent[0].timeoutMs}`);
      assert.equal(http.sent[0].timeoutMs, HUNTING_TIMEOUT_MS);
      assert.equal(http.sent[0].resendOnTimeout, false);
    }
  });

  test('a connection timeout above the hunting floor, or an explicit one, wins', () => {
    assert.equal(huntingTimeoutMs({ requestTimeoutMs: 300_000 }), 300_000);
    assert.equal(huntingTimeoutMs({ requestTimeoutMs: 30_000 }), HUNTING_TIMEOUT_MS);
    assert.equal(huntingTimeoutMs({ requestTimeoutMs: 30_000 }, 5_000), 5_000);
  });
});
