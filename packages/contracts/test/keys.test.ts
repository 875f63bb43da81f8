import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { captureKeys, queueKeys } from '../src/keys.js';
import { QUEUE_NAMES } from '../src/queues.js';

/**
 * Redis Cluster key → slot (https://redis.io/docs/latest/operate/oss_and_stack/reference/cluster-spec/):
 * CRC16-XMODEM (poly 0x1021, init 0) of the hash tag (or of the whole key when it has none) mod 16384.
 * `CLUSTER KEYSLOT` needs a cluster-enabled server, so the test computes it itself.
 */
function crc16(data: Buffer): number {
  let crc = 0;
  for (const byte of data) {
    crc ^= byte << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}

function keySlot(key: string): number {
  let hashed = key;
  const open = key.indexOf('{');
  if (open !== -1) {
    const close = key.indexOf('}', open + 1);
    if (close !== -1 && close !== open + 1) hashed = key.slice(open + 1, close);
  }
  return crc16(Buffer.from(hashed, 'utf8')) % 16384;
}

/** The substring between the first '{' and the first '}' (as the brief defines the tag). */
function hashTag(key: string): string {
  const open = key.indexOf('{');
  const close = key.indexOf('}');
  expect(open, `no '{' in ${key}`).toBeGreaterThanOrEqual(0);
  expect(close, `no '}' after '{' in ${key}`).toBeGreaterThan(open + 1);
  return key.slice(open + 1, close);
}

describe('the slot function of this test', () => {
  it('matches the Redis Cluster spec vectors', () => {
    expect(crc16(Buffer.from('123456789'))).toBe(0x31c3);
    expect(keySlot('somekey')).toBe(11058);
    expect(keySlot('foo{hash_tag}')).toBe(2515);
    expect(keySlot('bar{hash_tag}')).toBe(2515);
    expect(keySlot('foo{}{bar}')).toBe(crc16(Buffer.from('foo{}{bar}')) % 16384);
    expect(keySlot('foo{{bar}}zap')).toBe(crc16(Buffer.from('{bar')) % 16384);
  });
});

describe('queueKeys', () => {
  const ns = `t-${randomUUID()}`;

  it('gives a queue and its event stream the exact same hash tag {ns:queue}', () => {
    for (const q of QUEUE_NAMES) {
      const keys = queueKeys(ns, q);
      expect(hashTag(keys.bullPrefix)).toBe(`${ns}:${q}`);
      expect(hashTag(keys.events)).toBe(`${ns}:${q}`);
      expect(hashTag(keys.idempotency('k-1'))).toBe(`${ns}:${q}`);
    }
  });

  it('gives different queues and different namespaces different tags', () => {
    const tags = QUEUE_NAMES.map((q) => hashTag(queueKeys(ns, q).events));
    expect(new Set(tags).size).toBe(QUEUE_NAMES.length);
    expect(hashTag(queueKeys(`t-${randomUUID()}`, 'payment').events)).not.toBe(hashTag(queueKeys(ns, 'payment').events));
  });

  it('spreads the default namespace queues over different slots', () => {
    const slots = QUEUE_NAMES.map((q) => keySlot(queueKeys('qs', q).events));
    expect(new Set(slots).size).toBe(QUEUE_NAMES.length);
  });

  it('puts BullMQ keys, the event stream and idempotency records of one queue in one slot', () => {
    for (const q of QUEUE_NAMES) {
      const keys = queueKeys(ns, q);
      const slot = keySlot(keys.events);
      const bullKeys = ['wait', 'meta', 'active', 'events', 'id', 'completed', 'failed', 'delayed', 'stalled-check'].map(
        (suffix) => `${keys.bullPrefix}:${q}:${suffix}`,
      );
      bullKeys.push(`${keys.bullPrefix}:${q}:job-123`, `${keys.bullPrefix}:${q}:job-123:lock`);
      for (const key of [...bullKeys, keys.idempotency('abc'), keys.idempotency('with}{braces')]) {
        expect(keySlot(key), key).toBe(slot);
      }
    }
    const payment = queueKeys(ns, 'payment');
    expect(keySlot(`${payment.bullPrefix}:payment:wait`)).toBe(keySlot(payment.events));
    expect(keySlot(`${payment.bullPrefix}:payment:meta`)).toBe(keySlot(payment.events));
  });
});

describe('captureKeys', () => {
  it("puts the collector state and lease of a stream in the stream's slot, tagged or not", () => {
    for (const stream of [queueKeys('qs', 'payment').events, 'bull:emails:events', 'app:{x}:events', 'a{b:events']) {
      const keys = captureKeys(stream);
      expect(keySlot(keys.state), `${stream} → ${keys.state}`).toBe(keySlot(stream));
      expect(keySlot(keys.lease), `${stream} → ${keys.lease}`).toBe(keySlot(stream));
      expect(keys.state).not.toBe(keys.lease);
    }
  });
});
