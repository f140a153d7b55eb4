// The page's own helpers, in Node: times in a policy's zone, and the state
// in a URL fragment.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { localToRfc3339, rfc3339ToLocal, offsetText } from '../src/zone.js';
import { encodeState, decodeState } from '../src/share.js';

test('a local time is read in the zone, with the offset in force then', () => {
  assert.equal(localToRfc3339('2023-04-20T12:00', 'Asia/Shanghai'), '2023-04-20T12:00:00+08:00');
  // New York: summer and winter offsets.
  assert.equal(localToRfc3339('2023-07-01T09:30:15', 'America/New_York'), '2023-07-01T09:30:15-04:00');
  assert.equal(localToRfc3339('2023-01-01T09:30:15', 'America/New_York'), '2023-01-01T09:30:15-05:00');
  assert.equal(localToRfc3339('2023-04-20T00:00', 'Asia/Kolkata'), '2023-04-20T00:00:00+05:30');
  assert.equal(localToRfc3339('not a time', 'UTC'), null);
});

test('an instant is shown as the local time of the zone', () => {
  assert.equal(rfc3339ToLocal('2023-04-20T04:00:00Z', 'Asia/Shanghai'), '2023-04-20T12:00:00');
  assert.equal(rfc3339ToLocal('2023-04-20T12:00:00+08:00', 'Europe/Moscow'), '2023-04-20T07:00:00');
  assert.equal(rfc3339ToLocal('yesterday', 'UTC'), '');
  assert.equal(offsetText(-330), '-05:30');
});

test('the state survives the URL, Chinese text and all, and a damaged fragment is none', async () => {
  const state = { policy: 'douyin/zero_deposit_trial.policy', text: '规范 '.repeat(500), records: '{"id":"m-1"}\n', at: '2023-04-20T12:00:00+08:00' };
  const fragment = await encodeState(state);
  assert.match(fragment, /^#s=[A-Za-z0-9_-]+$/);
  assert.ok(fragment.length < 400, `${fragment.length} characters: it is compressed`);
  assert.deepEqual(await decodeState(fragment), state);
  assert.equal(await decodeState('#s=AAAA'), null);
  assert.equal(await decodeState('#other'), null);
  assert.equal(await decodeState(''), null);
});
