/**
 * Fuzzing the collector's live WebSocket (`GET /api/v1/live`, issue 10 "Done when"):
 * - NUM_RUNS hostile handshakes (no or a wrong credential, a foreign Origin, a near-miss path, with
 *   hostile query strings and headers) are all refused with a 4xx, never upgraded;
 * - NUM_RUNS hostile messages on one authorised socket each get one `{type:'error'}` frame (the
 *   WebSocket's 4xx), never a new subscription, and the socket keeps ticking;
 * - frames the protocol forbids (over maxPayload, invalid UTF-8 text) close only their own socket,
 *   with 1009 / 1007;
 * and the collector stays ready with nothing stored.
 */
import { RUN_ID_PATTERN } from '@queuescope/contracts';
import fc, { type Arbitrary } from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { Value } from 'typebox/value';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type WebSocket from 'ws';
import { brokenObjectWithWhy, deepNesting, hostileString, toJsonText, wrongType, type JsonSchema } from './arbitraries.js';
import { FuzzApp, NUM_RUNS, REQUEST_DEADLINE_MS, bounded, fuzzConfig, printTally, record } from './harness.js';
import { encodeSegment, wrongAuthorization } from './requests.js';
import { buildCollectorFuzzApp } from './collector-targets.js';

const fuzzed = fuzzConfig({
  // Validation is fuzzed here, not the subscribe rate limit: every fuzz message counts against it.
  COLLECTOR_WS_MAX_SUBSCRIBES_PER_MINUTE: '1000000',
});
const { config, collectorToken, runIdPrefix } = fuzzed;
const LIVE = '/api/v1/live';
/** The socket's `maxPayload` (services/collector/src/app.ts): a bigger frame closes the socket with 1009. */
const MAX_PAYLOAD = 64 * 1024;
/** What the collector's live route accepts (a copy of routes/live.ts `SubscribeMessage`): every fuzz message fails it. */
const SubscribeMessage = Type.Object(
  {
    type: Type.Literal('subscribe'),
    runId: Type.Optional(Type.String({ pattern: RUN_ID_PATTERN })),
    queues: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 128 }), { maxItems: 32 })),
  },
  { additionalProperties: false },
);

type Frame = { type: 'backfill' | 'tick'; frame: unknown } | { type: 'error'; message: string };

/** A client socket that keeps every frame it gets and can wait for one. */
interface Client {
  ws: WebSocket;
  frames: Frame[];
  closed: Promise<number>;
  next(pred: (f: Frame, index: number) => boolean, ms?: number): Promise<Frame>;
}

async function connect(server: FastifyInstance, headers: Record<string, string>): Promise<Client> {
  const frames: Frame[] = [];
  let wake: () => void = () => undefined;
  let onClose: (code: number) => void = () => undefined;
  const closed = new Promise<number>((resolve) => (onClose = resolve));
  const ws = await bounded(
    server.injectWS(
      LIVE,
      { headers },
      {
        onInit: (socket) => {
          socket.on('message', (raw: Buffer) => {
            frames.push(JSON.parse(raw.toString('utf8')) as Frame);
            wake();
          });
          socket.on('close', (code: number) => onClose(code));
        },
      },
    ),
    REQUEST_DEADLINE_MS,
    'live upgrade',
  );
  const next = async (pred: (f: Frame, index: number) => boolean, ms = REQUEST_DEADLINE_MS): Promise<Frame> => {
    const deadline = Date.now() + ms;
    for (let seen = 0; ;) {
      for (; seen < frames.length; seen++) if (pred(frames[seen]!, seen)) return frames[seen]!;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no matching live frame within ${ms} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  };
  return { ws, frames, closed, next };
}

// ---------------------------------------------------------------------------------------------
// Handshakes
// ---------------------------------------------------------------------------------------------

const HOST = `127.0.0.1:${config.collector.port}`;
const b64url = (s: string): string => Buffer.from(s, 'utf8').toString('base64url');

/** Origins that are not the collector's own (`HOST`) and not allowed: other hosts, ports, schemes, garbage. */
const foreignOrigin: Arbitrary<string> = fc
  .oneof(
    fc.constantFrom(
      'https://evil.example',
      'null',
      'file://',
      `http://${HOST}.evil.example`,
      'http://127.0.0.1:1',
      'http://localhost',
      'javascript:alert(1)',
      `ws://${HOST}`,
      `http://evil.example@${HOST}.evil.example`,
      '*',
    ),
    hostileString,
  )
  .filter((origin) => {
    try {
      const url = new URL(origin);
      return !['http:', 'https:'].includes(url.protocol) || url.host !== new URL(`http://${HOST}`).host;
    } catch {
      return true;
    }
  });

/** Paths near the live route that are not it (each answers 404, or 401 where it looks like a write). */
const nearMissPath = fc.constantFrom(
  `${LIVE}/`,
  '/api/v1/LIVE',
  `${LIVE}%00`,
  `${LIVE}/x`,
  '/api/v1//live',
  `${LIVE};jsessionid=1`,
  '/api/v2/live',
  '/api/v1/liv',
);

interface Handshake {
  path: string;
  headers: Record<string, string>;
  why: string[];
  /** Carries no valid credential. */
  credentialWrong: boolean;
  originForeign: boolean;
  pathWrong: boolean;
  toString(): string;
}

/** Hostile upgrade requests; `enforced` says which refusals the app has (found by probing it). */
function handshakeArb(enforced: { token: boolean; origin: boolean }): Arbitrary<Handshake> {
  const right = fc.constantFrom<Record<string, string>>(
    { authorization: `Bearer ${collectorToken}` },
    { 'sec-websocket-protocol': `queuescope, base64url.bearer.${b64url(collectorToken)}` },
    { cookie: `qs_token=${collectorToken}` },
  );
  const wrong = fc.oneof(
    fc.constant<Record<string, string>>({}),
    wrongAuthorization(collectorToken)
      .filter((v): v is string => v !== undefined)
      .map((authorization) => ({ authorization })),
    fc
      .string({ minLength: 1, maxLength: 40 })
      .filter((t) => t !== collectorToken)
      .map((t) => ({ 'sec-websocket-protocol': `queuescope, base64url.bearer.${b64url(t)}` })),
    fc.constant({ 'sec-websocket-protocol': `queuescope, base64url.bearer.${collectorToken}!` }),
    fc
      .string({ maxLength: 40 })
      .filter((t) => t !== collectorToken)
      .map((t) => ({ cookie: `qs_token=${encodeURIComponent(t)}` })),
    fc.constant({ cookie: `token=${collectorToken}; qs_token_x=${collectorToken}` }),
  );
  const query = fc
    .array(fc.tuple(hostileString, hostileString), { maxLength: 3 })
    .map((pairs) => pairs.map(([k, v]) => `${encodeSegment(k)}=${encodeSegment(v)}`).join('&'));
  const noise = fc.dictionary(
    fc.constantFrom('x-forwarded-for', 'user-agent', 'sec-websocket-extensions', 'x-forwarded-host', 'accept'),
    hostileString,
    { maxKeys: 2 },
  );
  const breaks = fc
    // A wrong path in one handshake of ~6: most of them test the live route's own refusals.
    .record({ credential: fc.boolean(), origin: fc.boolean(), path: fc.constantFrom(true, false, false, false, false, false) })
    .filter((b) => (b.credential && enforced.token) || (b.origin && enforced.origin) || b.path);
  return fc
    .tuple(breaks, right, wrong, foreignOrigin, nearMissPath, query, noise, fc.boolean())
    .map(([b, good, bad, origin, path, qs, extra, withHost]) => {
      const headers: Record<string, string> = { ...extra, ...(b.credential ? bad : good) };
      if (withHost) headers.host = HOST;
      if (b.origin) headers.origin = origin;
      else if (withHost && !b.credential) headers.origin = `http://${HOST}`;
      const base = b.path ? path : LIVE;
      const why = [b.credential && 'credential: none or wrong', b.origin && 'origin: foreign', b.path && 'path: not the live route'].filter(
        (w): w is string => typeof w === 'string',
      );
      return {
        path: qs ? `${base}?${qs}` : base,
        headers,
        why,
        credentialWrong: b.credential,
        originForeign: b.origin,
        pathWrong: b.path,
        toString: () =>
          `GET ${qs ? `${base}?${qs}` : base} (upgrade) headers=${JSON.stringify(headers).slice(0, 600)} broken=[${why.join(' | ')}]`,
      };
    });
}

// ---------------------------------------------------------------------------------------------
// Messages
// ---------------------------------------------------------------------------------------------

interface Message {
  data: string | Buffer;
  binary: boolean;
  why: string;
  toString(): string;
}

/** What the server makes of a frame: its bytes as UTF-8, JSON.parse'd; invalid unless that passes SubscribeMessage. */
function messageCertainlyInvalid(data: string | Buffer): boolean {
  const text = typeof data === 'string' ? data : data.toString('utf8');
  try {
    return !Value.Check(SubscribeMessage, JSON.parse(text));
  } catch {
    return true;
  }
}

const messageArb: Arbitrary<Message> = fc
  .tuple(
    fc.oneof(
      { weight: 2, arbitrary: hostileString.map((t) => ({ text: t, why: 'text' })) },
      { weight: 2, arbitrary: wrongType(['object']).map((v) => ({ text: toJsonText(v), why: 'JSON, not an object' })) },
      {
        weight: 6,
        arbitrary: brokenObjectWithWhy(SubscribeMessage as unknown as JsonSchema, { runId: fc.constant(`${runIdPrefix}live`) }).map(
          (b) => ({
            text: toJsonText(b.value),
            why: `subscribe ${b.why}`,
          }),
        ),
      },
      { weight: 1, arbitrary: deepNesting.map((d) => ({ text: d.text, why: 'deep nesting' })) },
      {
        weight: 1,
        arbitrary: fc
          .constantFrom('', ' ', '\ufeff{"type":"subscribe"}', '{"type":"subscribe"}{"type":"subscribe"}', '{"type":"subscribe",}')
          .map((text) => ({ text, why: 'near-JSON' })),
      },
    ),
    fc.constantFrom(false, false, false, true),
  )
  .map(([{ text, why }, binary]) => ({
    data: binary ? Buffer.from(text, 'utf8') : text,
    binary,
    why: binary ? `${why} (binary frame)` : why,
  }))
  .map((m) => ({
    ...m,
    toString: () => `${m.binary ? 'binary' : 'text'} frame ${JSON.stringify(String(m.data).slice(0, 400))} (${m.why})`,
  }))
  .filter((m) => Buffer.byteLength(m.data) < MAX_PAYLOAD - 1024 && messageCertainlyInvalid(m.data));

describe(`fuzz: live WebSocket, ${NUM_RUNS} hostile handshakes and ${NUM_RUNS} hostile messages`, () => {
  let fuzz: FuzzApp;
  let enforced: { token: boolean; origin: boolean };
  beforeAll(async () => {
    fuzz = await buildCollectorFuzzApp(fuzzed);
    // Plain HTTP to the route: 401 without a token where enforced, 403 from a foreign origin where checked, else 404.
    const noToken = await fuzz.app.inject({ method: 'GET', url: LIVE });
    const foreign = await fuzz.app.inject({
      method: 'GET',
      url: LIVE,
      headers: { authorization: `Bearer ${collectorToken}`, origin: 'https://evil.example' },
    });
    enforced = { token: noToken.statusCode === 401, origin: foreign.statusCode === 403 };
    await fuzz.takeBaseline();
  });
  afterAll(async () => {
    printTally(
      `live WebSocket, token ${enforced?.token ? 'enforced' : 'NOT enforced'}, origin ${enforced?.origin ? 'checked' : 'NOT checked'}`,
    );
    await fuzz?.close();
  });

  it(`upgrade: ${NUM_RUNS} hostile handshakes are refused with 4xx (401 for a missing or wrong credential); none is served`, async () => {
    await fc.assert(
      fc.asyncProperty(handshakeArb(enforced), async (h) => {
        let status: number;
        let accepted: { terminate(): void } | undefined;
        try {
          await bounded(
            fuzz.app.injectWS(h.path, { headers: h.headers }, { onInit: (socket) => (accepted = socket) }),
            REQUEST_DEADLINE_MS,
            h.toString(),
          );
          status = 101;
        } catch (err) {
          const match = /Unexpected server response: (\d+)/.exec(String(err));
          if (!match) throw err;
          status = Number(match[1]);
        }
        record(`GET ${LIVE} (upgrade)`, status);
        if (status < 400 || status >= 500) {
          accepted?.terminate();
          throw new Error(`expected a 4xx refusal, got ${status}`);
        }
        if (enforced.token && h.credentialWrong && !h.pathWrong && !h.originForeign && status !== 401) {
          throw new Error(`a handshake without a valid credential must answer 401, got ${status}`);
        }
      }),
      { numRuns: NUM_RUNS },
    );
    await fuzz.expectReady('hostile handshakes');
    expect(fuzz.app.liveCounters.open, 'no refused handshake left a socket counted open').toBe(0);
    await fuzz.expectStoreUnchanged('hostile handshakes');
  });

  it(`messages: ${NUM_RUNS} hostile messages each get one error frame, change no subscription, and the socket keeps ticking`, async () => {
    const client = await connect(fuzz.app, { authorization: `Bearer ${collectorToken}` });
    await client.next((f) => f.type === 'backfill');
    const errors = () => client.frames.filter((f) => f.type === 'error').length;
    const errorsAtStart = errors();
    let sent = 0;
    await fc.assert(
      fc.asyncProperty(messageArb, async (m) => {
        const before = errors();
        const from = client.frames.length;
        client.ws.send(m.data, { binary: m.binary });
        sent++;
        const answer = await client.next((f, i) => i >= from && f.type === 'error');
        // Tallied as 400: an error frame is the WebSocket's 4xx.
        record(`WS ${LIVE} message`, 400);
        if (errors() !== before + 1) throw new Error(`expected exactly one error frame, got ${errors() - before}`);
        if (
          typeof (answer as { message?: unknown }).message !== 'string' ||
          (answer as { message: string }).message.includes(collectorToken)
        ) {
          throw new Error(`error frame without a message, or repeating the token: ${JSON.stringify(answer)}`);
        }
      }),
      { numRuns: NUM_RUNS },
    );
    expect(errors() - errorsAtStart, 'one error frame per hostile message').toBe(sent);
    expect(
      client.frames.filter((f) => f.type === 'backfill'),
      'no hostile message made a new subscription',
    ).toHaveLength(1);
    expect(client.ws.readyState).toBe(client.ws.OPEN);
    const ticksSoFar = client.frames.length;
    await client.next((f, i) => i >= ticksSoFar && f.type === 'tick', 5000);
    // Still served: a valid subscribe gets its backfill (a queue filter of the view it already has: no new SQL).
    client.ws.send(JSON.stringify({ type: 'subscribe', queues: ['payment'] }));
    const sentAt = client.frames.length;
    await client
      .next((f, i) => i >= sentAt && f.type === 'backfill')
      .catch((err: Error) => {
        throw new Error(
          `${err.message}; frames since the subscribe: ${JSON.stringify(client.frames.slice(sentAt).map((f) => (f.type === 'error' ? f : f.type)))}`,
        );
      });
    client.ws.terminate();
    await fuzz.expectReady('hostile messages');
    await fuzz.expectStoreUnchanged('hostile messages');
  });

  it('frames the protocol forbids close only their own socket (1009 over maxPayload, 1007 invalid UTF-8); the others keep ticking', async () => {
    const bystander = await connect(fuzz.app, { authorization: `Bearer ${collectorToken}` });
    await bystander.next((f) => f.type === 'backfill');
    const abuse = fc.oneof(
      fc.integer({ min: MAX_PAYLOAD + 1, max: 4 * MAX_PAYLOAD }).map((n) => ({ data: Buffer.alloc(n, 0x61), binary: false, code: 1009 })),
      fc.integer({ min: MAX_PAYLOAD + 1, max: 4 * MAX_PAYLOAD }).map((n) => ({ data: Buffer.alloc(n, 0), binary: true, code: 1009 })),
      fc
        .constantFrom(
          Buffer.from([0xff, 0xfe]),
          Buffer.from([0xc0, 0xaf]),
          Buffer.from([0xed, 0xa0, 0x80]),
          Buffer.from('{"type":"subscribe"\xff}', 'latin1'),
        )
        .map((data) => ({
          data,
          binary: false,
          code: 1007,
        })),
    );
    await fc.assert(
      fc.asyncProperty(abuse, async ({ data, binary, code }) => {
        const victim = await connect(fuzz.app, { authorization: `Bearer ${collectorToken}` });
        victim.ws.send(data, { binary });
        const closedWith = await bounded(victim.closed, REQUEST_DEADLINE_MS, `close after a forbidden ${data.length}-byte frame`);
        record(`WS ${LIVE} forbidden frame`, closedWith);
        expect(closedWith).toBe(code);
      }),
      { numRuns: 50 },
    );
    const seen = bystander.frames.length;
    await bystander.next((f, i) => i >= seen && f.type === 'tick', 5000);
    bystander.ws.terminate();
    await fuzz.expectReady('forbidden frames');
    await new Promise((r) => setTimeout(r, 200));
    expect(fuzz.app.liveCounters.open, 'every closed socket is counted closed').toBe(0);
  });
});
