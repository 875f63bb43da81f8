/**
 * Hostile HTTP requests for one route, built from the route's own schema (captured from the app,
 * so the fuzzing follows the code) and a {@link FuzzTarget} saying what the schema cannot: which
 * ids exist, which queue names are real, which windows make sense. Each request is broken in at
 * least one part (auth, a path parameter, the query, a header, the body), or names a run that
 * does not exist, so a 4xx is the only right answer; everything else it carries is noise.
 */
import fc, { type Arbitrary } from 'fast-check';
import { parse as parseQuery } from 'fast-querystring';
import {
  bodyCertainlyInvalid,
  brokenObjectWithWhy,
  deepNesting,
  hostileKey,
  hostileString,
  invalidText,
  longText,
  paramCertainlyInvalid,
  parsedBody,
  toJsonText,
  validText,
  validValue,
  wrongType,
  type GenContext,
  type JsonSchema,
} from './arbitraries.js';

/** A route as the app registered it (Fastify `onRoute`). */
export interface CapturedRoute {
  method: string;
  url: string;
  schema: { params?: JsonSchema; querystring?: JsonSchema; body?: JsonSchema; headers?: JsonSchema };
  bodyLimit?: number;
}

/** What the fuzzer must know about a route beyond its schema. */
export interface FuzzTarget {
  method: 'GET' | 'POST' | 'PUT';
  /** The route pattern exactly as Fastify lists it, e.g. `/api/v1/runs/:id`. */
  url: string;
  /**
   * `reject`: every generated request is invalid, only 4xx is right. `open`: the route takes no
   * input (health, metrics, docs), so hostile noise must be ignored: 2xx/3xx or 4xx, never 5xx.
   */
  mode: 'reject' | 'open';
  /** A write route: it needs the service's bearer token (when the app enforces one). */
  auth?: boolean;
  /** Every request is invalid even when all its parts are valid: its run id names no run (404), or the route refuses plain HTTP. */
  alwaysInvalid?: boolean;
  /** Valid text of a path parameter where its schema allows more than the route does (the producer's queue names). */
  validParams?: Record<string, Arbitrary<string>>;
  /** Invalid text of a path parameter beyond what its schema refuses (unknown queue names). */
  invalidParams?: Record<string, Arbitrary<string>>;
  /** Raw path segments (not percent-encoded again) that are invalid for this parameter: `%00`, traversal, bad escapes. */
  rawSegments?: Record<string, Arbitrary<string>>;
  /** For a `*` route: the raw tail of the path (never an existing file). */
  wildcard?: Arbitrary<string>;
  /** Query rules the schema cannot state (a window's order and size); true when the parsed query is invalid. */
  querySemanticallyInvalid?: (query: Record<string, string | string[]>) => boolean;
  /** Valid query values where the schema's are not enough (a from/to pair of real dates). */
  validQuery?: Arbitrary<Record<string, string>>;
  /** Queries whose every value passes the schema but whose combination the route refuses (to before from, too many buckets). */
  semanticallyInvalidQuery?: Arbitrary<{ query: Record<string, string>; why: string }>;
  /** Answers besides 4xx (or 2xx/3xx for `open`) that are right for this route, e.g. the dashboard's 503 page while it is not built. */
  alsoAllowed?: (status: number, body: string) => boolean;
}

/** One generated request, printable in a counterexample without megabytes of payload. */
export class FuzzRequest {
  constructor(
    readonly method: string,
    readonly url: string,
    readonly headers: Record<string, string | string[]>,
    readonly payload: string | undefined,
    /** Which parts were broken and how: what fast-check shows for a failing request. */
    readonly why: readonly string[],
    /** Carries no valid token (or a wrong one). */
    readonly authWrong: boolean,
  ) {}

  [fc.toStringMethod](): string {
    return this.toString();
  }

  toString(): string {
    const payload =
      this.payload === undefined
        ? ''
        : ` payload(${this.payload.length} chars)=${JSON.stringify(this.payload.length > 400 ? `${this.payload.slice(0, 400)}…` : this.payload)}`;
    const headers = Object.fromEntries(
      Object.entries(this.headers).map(([k, v]) => [k, typeof v === 'string' && v.length > 200 ? `${v.slice(0, 200)}…(${v.length})` : v]),
    );
    const url = this.url.length > 400 ? `${this.url.slice(0, 400)}…(${this.url.length})` : this.url;
    return `${this.method} ${url} headers=${JSON.stringify(headers)}${payload} broken=[${this.why.join(' | ')}]`;
  }
}

/** The fuzz run's knowledge: tokens, whether the app enforces them, the run-id prefix, body limits. */
export interface FuzzContext extends GenContext {
  token: string;
  authEnforced: boolean;
  /** The server's body limit for routes without their own. */
  bodyLimit: number;
}

// ---------------------------------------------------------------------------------------------
// Path parameters
// ---------------------------------------------------------------------------------------------

const UNRESERVED = /[A-Za-z0-9\-._~]/;

/** Percent-encode every byte of the UTF-8 text outside the unreserved set (lone surrogates become U+FFFD, as on the wire). */
export function encodeSegment(text: string): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const c = String.fromCharCode(byte);
    out += byte < 128 && UNRESERVED.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** What the router hands the handler for an encoded segment: the text, with lone surrogates replaced. */
const serverText = (text: string): string => Buffer.from(text, 'utf8').toString('utf8');

/** `.` and `..` are dot segments: URL normalisation removes them (a different route), so they are generated only on purpose. */
const isDotSegment = (text: string): boolean => text === '.' || text === '..';

/** Raw segments every id-like parameter refuses, whatever the router makes of them. */
export const RAW_BAD_SEGMENTS: readonly string[] = [
  '%00',
  'x%00',
  '%ZZ',
  '%',
  '%%',
  '%2e%2e%2f%2e%2e%2fetc%2fpasswd',
  '..%2f..%2f..%2fetc%2fpasswd',
  '..%5c..%5cwindows',
  '%252e%252e%252f',
  '%c0%ae%c0%ae%c0%af',
  '%u002e%u002e',
  '%E2%80%AE',
  '%ff%fe',
  '%0d%0aSet-Cookie:%20x=1',
  '%20',
  '+',
  "'%20OR%20'1'='1",
  `${'%41'.repeat(200)}`,
  `${'a'.repeat(300)}`,
];

function pathParam(
  name: string,
  schema: JsonSchema,
  target: FuzzTarget,
  ctx: GenContext,
): { valid: Arbitrary<string>; broken: Arbitrary<string> } {
  const valid = (target.validParams?.[name] ?? validText(schema, ctx)).map(encodeSegment);
  const bySchema = invalidText(schema, true).filter(
    (t) => !isDotSegment(serverText(t)) && paramCertainlyInvalid(schema, [serverText(t)], true, true),
  );
  const extra = target.invalidParams?.[name];
  const invalid = (
    extra
      ? fc.oneof({ weight: 1, arbitrary: bySchema }, { weight: 4, arbitrary: extra.filter((t) => !isDotSegment(serverText(t))) })
      : bySchema
  ).map(encodeSegment);
  const raw = target.rawSegments?.[name] ?? fc.constantFrom(...RAW_BAD_SEGMENTS);
  return { valid, broken: fc.oneof({ weight: 4, arbitrary: invalid }, { weight: 1, arbitrary: raw }) };
}

// ---------------------------------------------------------------------------------------------
// Query strings
// ---------------------------------------------------------------------------------------------

type Pairs = readonly (readonly [string, string])[];

const queryText = (pairs: Pairs): string => pairs.map(([k, v]) => `${encodeSegment(k)}=${encodeSegment(v)}`).join('&');

/** True when the query, as Fastify parses it, certainly fails the route's query schema or its rules. */
function queryCertainlyInvalid(schema: JsonSchema | undefined, text: string, target: FuzzTarget): boolean {
  if (!schema?.properties) return false;
  const parsed = parseQuery(text) as Record<string, string | string[]>;
  const required = new Set(schema.required ?? []);
  for (const [key, prop] of Object.entries(schema.properties)) {
    const raw = parsed[key];
    const values = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
    if (paramCertainlyInvalid(prop, values, required.has(key), true)) return true;
  }
  return target.querySemanticallyInvalid?.(parsed) ?? false;
}

function queryParts(
  schema: JsonSchema | undefined,
  target: FuzzTarget,
  ctx: GenContext,
): { valid: Arbitrary<[string, string][]>; broken?: Arbitrary<{ pairs: [string, string][]; why: string }> } {
  const props = schema?.properties ?? {};
  const required = schema?.required ?? [];
  const names = Object.keys(props);
  if (names.length === 0) return { valid: fc.constant([]) };
  const validRecord: Arbitrary<Record<string, string>> =
    target.validQuery ??
    (fc.record(Object.fromEntries(names.map((k) => [k, validText(props[k]!, ctx)])), { requiredKeys: [...required] }) as Arbitrary<
      Record<string, string>
    >);
  const valid = validRecord.map((r) => Object.entries(r));
  const breaks: Arbitrary<{ pairs: [string, string][]; why: string }>[] = [];
  for (const name of names) {
    breaks.push(
      fc.tuple(valid, invalidText(props[name]!, true)).map(([pairs, bad]) => ({
        pairs: [...pairs.filter(([k]) => k !== name), [name, bad]],
        why: `query ${name}: invalid`,
      })),
      fc.tuple(valid, validText(props[name]!, ctx), validText(props[name]!, ctx)).map(([pairs, a, b]) => ({
        pairs: [...pairs.filter(([k]) => k !== name), [name, a], [name, b]],
        why: `query ${name}: given twice`,
      })),
    );
  }
  for (const name of required) {
    if (props[name]?.default !== undefined) continue;
    breaks.push(valid.map((pairs) => ({ pairs: pairs.filter(([k]) => k !== name), why: `query ${name}: missing` })));
  }
  if (target.semanticallyInvalidQuery) {
    breaks.push(target.semanticallyInvalidQuery.map(({ query, why }) => ({ pairs: Object.entries(query), why: `query: ${why}` })));
  }
  const broken = fc.oneof(...breaks).filter(({ pairs }) => queryCertainlyInvalid(schema, queryText(pairs), target));
  return { valid, broken };
}

/** Query parameters no route reads: ignored, or they must not matter. Never a name the route's schema declares. */
function noiseQuery(schema: JsonSchema | undefined): Arbitrary<[string, string][]> {
  const declared = new Set(Object.keys(schema?.properties ?? {}));
  return fc
    .array(
      fc.tuple(
        fc.oneof(hostileKey, fc.constantFrom('__proto__[polluted]', 'constructor[prototype][x]', 'a[]', 'a[0]', 'callback', 'format%00')),
        hostileString,
      ),
      { maxLength: 3 },
    )
    .map((pairs) => pairs.filter(([k]) => !declared.has(k) && !declared.has(k.split('[')[0]!)) as [string, string][]);
}

// ---------------------------------------------------------------------------------------------
// Headers
// ---------------------------------------------------------------------------------------------

const NOISE_HEADER_NAMES = [
  'x-forwarded-for',
  'x-real-ip',
  'user-agent',
  'accept',
  'accept-language',
  'accept-encoding',
  'referer',
  'origin',
  'cookie',
  'x-request-id',
  'forwarded',
  'range',
  'if-none-match',
  'if-modified-since',
  'x-http-method-override',
  'x-original-url',
  'x-forwarded-host',
  'x-forwarded-proto',
  'cache-control',
  'x-custom-😀',
  'x-\u0000',
];

const NOISE_HEADER_VALUES = [
  '*/*',
  'application/xml;q=NaN, */*;q=-1',
  'gzip;q=2, br, *;q=0',
  `bytes=${Array.from({ length: 50 }, (_, i) => `${i}-${i}`).join(',')}`,
  'bytes=999999999999-',
  '127.0.0.1, ::1, unknown, 999.999.999.999',
  'for=_hidden;proto=javascript',
  '/api/v1/runs',
  'DELETE',
  'qs_token=x; __proto__=1',
];

/** Headers nothing reads or that must not matter. Never one the route's schema declares, nor auth or body framing. */
function noiseHeaders(schema: JsonSchema | undefined): Arbitrary<Record<string, string | string[]>> {
  const declared = new Set(Object.keys(schema?.properties ?? {}));
  const value = fc.oneof(hostileString, fc.constantFrom(...NOISE_HEADER_VALUES));
  return fc
    .dictionary(
      fc.constantFrom(...NOISE_HEADER_NAMES),
      fc.oneof({ weight: 5, arbitrary: value }, { weight: 1, arbitrary: fc.array(value, { minLength: 2, maxLength: 3 }) }),
      {
        maxKeys: 3,
      },
    )
    .map((h) => Object.fromEntries(Object.entries(h).filter(([k]) => !declared.has(k))));
}

/** Declared headers (the producer's `x-run-id`, `idempotency-key`): valid or absent, or one broken. */
function headerParts(
  schema: JsonSchema | undefined,
  ctx: GenContext,
): { valid: Arbitrary<Record<string, string>>; broken?: Arbitrary<{ headers: Record<string, string | string[]>; why: string }> } {
  const props = schema?.properties ?? {};
  const names = Object.keys(props);
  if (names.length === 0) return { valid: fc.constant({}) };
  const valid = fc.record(Object.fromEntries(names.map((k) => [k, validText(props[k]!, ctx)])), {
    requiredKeys: [...(schema?.required ?? [])],
  }) as Arbitrary<Record<string, string>>;
  const broken = fc.oneof(
    ...names.map((name) =>
      fc
        .tuple(valid, fc.oneof(invalidText(props[name]!, false), fc.tuple(validText(props[name]!, ctx), validText(props[name]!, ctx))))
        .filter(([, bad]) => (Array.isArray(bad) ? true : paramCertainlyInvalid(props[name]!, [bad], true, false)))
        .map(([headers, bad]) => ({
          headers: { ...headers, [name]: Array.isArray(bad) ? [...bad] : bad },
          why: `header ${name}: ${Array.isArray(bad) ? 'given twice' : 'invalid'}`,
        })),
    ),
  );
  return { valid, broken };
}

// ---------------------------------------------------------------------------------------------
// Authorization
// ---------------------------------------------------------------------------------------------

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** `Authorization` values that carry no valid credential for `token` (never a spelling RFC 6750 allows of the right one). */
export function wrongAuthorization(token: string): Arbitrary<string | undefined> {
  const right = new RegExp(`^Bearer +${escapeRegExp(token)} *$`, 'i');
  return fc
    .oneof(
      fc.constant(undefined),
      fc.constant(''),
      fc.constant('Bearer'),
      fc.constant('Bearer '),
      fc.constantFrom(
        `Basic ${Buffer.from(`admin:${token}`).toString('base64')}`,
        `Token ${token}`,
        token,
        `Bearer ${token}x`,
        `Bearer ${token.slice(0, -1)}`,
      ),
      fc.constantFrom(
        `Bearer ${token} ${token}`,
        `Bearer ${token.toUpperCase()}`,
        `Bearer ${token}=`,
        `Bearer\t${token}`,
        `Bearer ${token}\u0000`,
      ),
      fc.stringMatching(/^[A-Za-z0-9._~+/-]{1,64}$/).map((t) => `Bearer ${t}`),
      hostileString.map((t) => `Bearer ${t}`),
      hostileString,
    )
    .filter((v) => v === undefined || !right.test(v));
}

// ---------------------------------------------------------------------------------------------
// Bodies
// ---------------------------------------------------------------------------------------------

const JSON_TYPE = 'application/json';
/** Content types Fastify has no parser for: 415 whatever the body. */
const UNPARSED_TYPES = [
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/xml',
  'application/octet-stream',
  'image/png',
];
/** Spellings of JSON a parser might or might not take: the body must be invalid either way. */
const DOUBTFUL_JSON_TYPES = [
  'application/json; charset=utf-16',
  'APPLICATION/JSON',
  'application/json, text/plain',
  'application/jsonx',
  'application/vnd.api+json',
  'application/json;;',
];

interface BodyPiece {
  contentType?: string;
  payload?: string;
  why: string;
}

/** Turn a valid JSON text into one that is not JSON. */
const malformed: Arbitrary<(text: string) => string> = fc.oneof(
  fc.nat().map((n) => (t: string) => t.slice(0, Math.max(1, n % t.length))),
  fc.constantFrom(
    (t: string) => `${t}x`,
    (t: string) => `${t}${t}`,
    (t: string) => `x${t}`,
    (t: string) => t.replace(/"/g, "'"),
    (t: string) => `/* c */${t}`,
    (t: string) => t.replace(/}$/, ',}'),
    (t: string) => `\u0000${t}`,
    (t: string) => `${t.slice(0, -1)}:NaN}`,
  ),
);

function bodyParts(route: CapturedRoute, ctx: FuzzContext): { valid: Arbitrary<BodyPiece>; broken?: Arbitrary<BodyPiece> } {
  const schema = route.schema.body;
  const limit = route.bodyLimit ?? ctx.bodyLimit;
  // Just over the limit: the 413 comes from the length, and a megabyte per request would only slow the run.
  const overLimit: Arbitrary<BodyPiece> = longText(limit + 1, limit + 1024).map((pad) => ({
    contentType: JSON_TYPE,
    payload: toJsonText({ pad }),
    why: `body over the ${limit}-byte limit`,
  }));
  const unparsedType: Arbitrary<BodyPiece> = fc
    .tuple(
      fc.constantFrom(...UNPARSED_TYPES),
      fc.oneof(
        fc.constant('{"a":1}'),
        hostileString.filter((s) => s.length > 0),
      ),
    )
    .map(([contentType, payload]) => ({ contentType, payload, why: `content-type ${contentType}` }));
  if (route.method !== 'POST' && route.method !== 'PUT') return { valid: fc.constant({ why: '' }) };
  if (!schema) {
    // No body schema: any parsed body is ignored, so only an unparseable one or an unknown type is wrong.
    const badJson: Arbitrary<BodyPiece> = fc
      .tuple(fc.jsonValue({ maxDepth: 2 }), malformed)
      .map(([v, mangle]) => mangle(JSON.stringify(v) ?? 'null'))
      .filter((t) => parsedBody(t) === undefined)
      .map((payload) => ({ contentType: JSON_TYPE, payload, why: 'body: not JSON' }));
    return {
      valid: fc.constant({ why: '' }),
      broken: fc.oneof({ weight: 5, arbitrary: badJson }, { weight: 4, arbitrary: unparsedType }, { weight: 1, arbitrary: overLimit }),
    };
  }
  if (schema.type !== 'object')
    throw new Error(`${route.method} ${route.url}: the fuzzer assumes object bodies (text/plain then never passes)`);
  const validJson = validValue(schema, ctx).map((v) => toJsonText(v));
  const jsonInvalid = (p: BodyPiece) => p.payload === undefined || bodyCertainlyInvalid(schema, p.payload);
  const broken: Arbitrary<BodyPiece> = fc.oneof<fc.MaybeWeightedArbitrary<BodyPiece>[]>(
    {
      weight: 8,
      arbitrary: brokenObjectWithWhy(schema, ctx).map((b) => ({
        contentType: JSON_TYPE,
        payload: toJsonText(b.value),
        why: `body ${b.why}`,
      })),
    },
    {
      weight: 1,
      arbitrary: wrongType(['object']).map((v) => ({ contentType: JSON_TYPE, payload: toJsonText(v), why: 'body: not an object' })),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(validJson, malformed)
        .map(([t, mangle]) => ({ contentType: JSON_TYPE, payload: mangle(t), why: 'body: malformed JSON' })),
    },
    { weight: 1, arbitrary: fc.constant({ contentType: JSON_TYPE, payload: '', why: 'body: empty JSON' }) },
    { weight: 1, arbitrary: fc.constant({ contentType: JSON_TYPE, why: 'body: none' }) },
    { weight: 1, arbitrary: deepNesting.map((d) => ({ contentType: JSON_TYPE, payload: d.text, why: 'body: deep nesting' })) },
    {
      weight: 1,
      arbitrary: brokenObjectWithWhy(schema, ctx).map((b) => ({
        contentType: JSON_TYPE,
        payload: `\ufeff${toJsonText(b.value)}`,
        why: `body with BOM, ${b.why}`,
      })),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(validJson, fc.constantFrom(...UNPARSED_TYPES))
        .map(([payload, contentType]) => ({ contentType, payload, why: `content-type ${contentType}` })),
    },
    { weight: 1, arbitrary: validJson.map((payload) => ({ payload, why: 'no content-type' })) },
    { weight: 1, arbitrary: validJson.map((payload) => ({ contentType: 'text/plain', payload, why: 'content-type text/plain' })) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(brokenObjectWithWhy(schema, ctx), fc.constantFrom(...DOUBTFUL_JSON_TYPES))
        .map(([b, contentType]) => ({ contentType, payload: toJsonText(b.value), why: `content-type ${contentType}, body ${b.why}` })),
    },
    { weight: 1, arbitrary: overLimit },
  );
  return {
    valid: validJson.map((payload) => ({ contentType: JSON_TYPE, payload, why: '' })),
    // Checked through the server's parser and the schema; a body over 64 KiB is invalid by construction (too long, too many items, over the limit) and skips the check.
    broken: broken.filter((p) => {
      if (p.contentType === undefined || p.contentType === 'text/plain' || UNPARSED_TYPES.includes(p.contentType)) return true;
      return (p.payload?.length ?? 0) > 64 * 1024 || jsonInvalid(p);
    }),
  };
}

// ---------------------------------------------------------------------------------------------
// The request
// ---------------------------------------------------------------------------------------------

interface Piece {
  path?: Record<string, string>;
  query?: [string, string][];
  headers?: Record<string, string | string[]>;
  body?: BodyPiece;
  why: string;
}

interface Part {
  name: string;
  valid: Arbitrary<Piece>;
  broken: Arbitrary<Piece>;
}

/** Every hostile request the fuzzer sends to `route`. */
export function requestArb(route: CapturedRoute, target: FuzzTarget, ctx: FuzzContext): Arbitrary<FuzzRequest> {
  const parts: Part[] = [];
  const always: Arbitrary<Piece>[] = [];

  const params = route.schema.params?.properties ?? {};
  const paramNames = [...route.url.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => m[1]!);
  for (const name of paramNames) {
    const schema = params[name] ?? { type: 'string' };
    const { valid, broken } = pathParam(name, schema, target, ctx);
    parts.push({
      name: `param ${name}`,
      valid: valid.map((v) => ({ path: { [name]: v }, why: '' })),
      broken: broken.map((v) => ({ path: { [name]: v }, why: `param ${name}: invalid` })),
    });
  }
  if (route.url.endsWith('*')) {
    if (!target.wildcard) throw new Error(`${route.method} ${route.url}: a wildcard route needs target.wildcard`);
    always.push(target.wildcard.map((tail) => ({ path: { '*': tail }, why: 'path: no such file' })));
  }

  const query = queryParts(route.schema.querystring, target, ctx);
  if (query.broken) {
    parts.push({
      name: 'query',
      valid: query.valid.map((pairs) => ({ query: pairs, why: '' })),
      broken: query.broken.map(({ pairs, why }) => ({ query: pairs, why })),
    });
  } else {
    always.push(query.valid.map((pairs) => ({ query: pairs, why: '' })));
  }
  always.push(noiseQuery(route.schema.querystring).map((pairs) => ({ query: pairs, why: '' })));

  const headers = headerParts(route.schema.headers, ctx);
  if (headers.broken) {
    parts.push({
      name: 'headers',
      valid: headers.valid.map((h) => ({ headers: h, why: '' })),
      broken: headers.broken.map(({ headers: h, why }) => ({ headers: h, why })),
    });
  }
  always.push(noiseHeaders(route.schema.headers).map((h) => ({ headers: h, why: '' })));

  const body = bodyParts(route, ctx);
  if (body.broken) {
    parts.push({
      name: 'body',
      valid: body.valid.map((b) => ({ body: b, why: '' })),
      broken: body.broken.map((b) => ({ body: b, why: b.why })),
    });
  } else {
    always.push(body.valid.map((b) => ({ body: b, why: '' })));
  }

  const needsToken = target.auth === true && ctx.authEnforced;
  const authArb = fc.oneof(
    { weight: 17, arbitrary: fc.constant({ header: `Bearer ${ctx.token}` as string | undefined, wrong: false }) },
    { weight: 3, arbitrary: wrongAuthorization(ctx.token).map((header) => ({ header, wrong: true })) },
  );
  // A request with no broken part is still invalid for these: nothing to break (open), an unknown run, no such file.
  const canBeWhole = target.mode === 'open' || target.alwaysInvalid === true || target.wildcard !== undefined;
  if (!canBeWhole && parts.length === 0 && !needsToken)
    throw new Error(`${route.method} ${route.url}: nothing to break, and the target is not open`);
  const indices = parts.map((_, i) => i);

  // Fastify answers HEAD for every GET route with the GET handler: one request in ten asks that way.
  const method =
    route.method === 'GET'
      ? fc.constantFrom('GET', 'GET', 'GET', 'GET', 'GET', 'GET', 'GET', 'GET', 'GET', 'HEAD')
      : fc.constant(route.method);
  return fc
    .tuple(authArb, fc.subarray(indices), method)
    .filter(([auth, broken]) => broken.length > 0 || canBeWhole || (auth.wrong && needsToken))
    .chain(([auth, broken, m]) =>
      fc.tuple(fc.constant(auth), fc.constant(m), fc.tuple(...parts.map((p, i) => (broken.includes(i) ? p.broken : p.valid)), ...always)),
    )
    .map(([auth, m, pieces]) => assemble(route, m, target, auth, pieces));
}

function assemble(
  route: CapturedRoute,
  method: string,
  target: FuzzTarget,
  auth: { header: string | undefined; wrong: boolean },
  pieces: Piece[],
): FuzzRequest {
  const path: Record<string, string> = {};
  const query: [string, string][] = [];
  const headers: Record<string, string | string[]> = {};
  let body: BodyPiece | undefined;
  const why: string[] = [];
  for (const p of pieces) {
    Object.assign(path, p.path);
    if (p.query) query.push(...p.query);
    Object.assign(headers, p.headers);
    if (p.body) body = p.body;
    if (p.why) why.push(p.why);
  }
  if (auth.header !== undefined) headers.authorization = auth.header;
  if (auth.wrong) why.push(`auth: ${auth.header === undefined ? 'none' : 'wrong'}`);
  if (body?.contentType !== undefined) headers['content-type'] = body.contentType;
  let url = route.url.replace(/:([A-Za-z0-9_]+)/g, (_, name: string) => path[name]!);
  if (url.endsWith('*')) url = url.slice(0, -1) + path['*']!;
  const qs = queryText(query);
  if (qs) url += `?${qs}`;
  if (target.alwaysInvalid && why.length === 0) why.push('unknown run id or not a WebSocket');
  return new FuzzRequest(method, url, headers, body?.payload, why, auth.wrong);
}
