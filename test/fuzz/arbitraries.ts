/**
 * Hostile input generators for the fuzz tests (issue 10): text, numbers and JSON an attacker or a
 * broken client sends, and, from a route's own schema, values that are valid and values that are
 * certainly not. "Certainly" is checked, not hoped for: every invalid value is filtered through the
 * checks the server applies (secure-json-parse as Fastify parses bodies, TypeBox `Value.Check` for
 * the schema, Ajv's query-string coercion), so a 2xx answer to one is a finding, not a generator bug.
 */
import { RUN_ID_PATTERN } from '@queuescope/contracts';
import fc, { type Arbitrary } from 'fast-check';
import { parse as secureJsonParse } from 'secure-json-parse';
import { Value } from 'typebox/value';

/** The JSON Schema keywords the routes' TypeBox schemas use (a plain-object view of them). */
export interface JsonSchema {
  type?: string;
  const?: unknown;
  enum?: readonly unknown[];
  anyOf?: readonly JsonSchema[];
  properties?: Record<string, JsonSchema>;
  required?: readonly string[];
  additionalProperties?: boolean | JsonSchema;
  patternProperties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  minItems?: number;
  maxItems?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  default?: unknown;
}

/**
 * Where generated values need more than their schema says: run ids carry the fuzz file's prefix
 * and free text its marker, so a row a generated request stored by mistake (a run's id or name) is
 * countable.
 */
export interface GenContext {
  runId: Arbitrary<string>;
  marker?: string;
}

/** Run ids `<prefix><1..24 id chars>`: valid by RUN_ID_PATTERN, never created, so a route that looks one up answers 404. */
export function runIdArb(prefix: string): Arbitrary<string> {
  return fc.stringMatching(/^[A-Za-z0-9_.:-]{1,24}$/).map((s) => `${prefix}${s}`);
}

// ---------------------------------------------------------------------------------------------
// Hostile scalars
// ---------------------------------------------------------------------------------------------

/** Text that has broken parsers, SQL, paths, logs and terminals before. */
export const HOSTILE_TEXT: readonly string[] = [
  '',
  ' ',
  'NaN',
  'Infinity',
  '-Infinity',
  '1e309',
  '-1e309',
  '-1',
  '-0',
  '0x10',
  '1e3',
  '1_000',
  '١٢٣',
  '１２３',
  'null',
  'undefined',
  'true',
  '[]',
  '{}',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  "' OR '1'='1",
  "x'); DROP TABLE runs;--",
  '"; SELECT pg_sleep(10);--',
  '${jndi:ldap://127.0.0.1/a}',
  '<script>alert(1)</script>',
  '{{7*7}}',
  '../../../../etc/passwd',
  '..\\..\\..\\windows\\win.ini',
  '%00',
  '%ZZ',
  '\u0000',
  'a\u0000b',
  '\r\nSet-Cookie: x=1',
  '\u202e',
  '\ufeff',
  '\u2028\u2029',
  '\ud800',
  '\udfff\ud800',
  'é',
  'Ω≈ç√',
  '😀',
  'İ',
  'ß',
  '\u0300\u0301\u0302',
];

const CONTROL_CHAR = fc.integer({ min: 0, max: 31 }).map((c) => String.fromCharCode(c));

/** A character repeated n times, n in [min, max]: too long however length is counted (UTF-16 units or code points). */
export function longText(min: number, max: number): Arbitrary<string> {
  return fc.tuple(fc.integer({ min, max }), fc.constantFrom('a', 'é', '😀', '\u0000', '%', '\\', '"', ' ')).map(([n, c]) => c.repeat(n));
}

/** A string from the hostile space: constants, any unicode, lone surrogates, control characters, long text, mixtures. */
export const hostileString: Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...HOSTILE_TEXT) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: CONTROL_CHAR, minLength: 1, maxLength: 8 }) },
  { weight: 1, arbitrary: longText(129, 5000) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.constantFrom(...HOSTILE_TEXT), fc.string({ maxLength: 8 }), fc.constantFrom(...HOSTILE_TEXT))
      .map(([a, b, c]) => a + b + c),
  },
);

/** JSON-representable numbers at and past the usual edges (NaN and Infinity are not JSON: see RAW_NUMBER_TOKENS). */
export const hostileNumber: Arbitrary<number> = fc.oneof(
  fc.constantFrom(-1, -0.5, 0.5, -1e-300, 1e21, -1e21, 2 ** 31, 2 ** 53 + 2, -(2 ** 53) - 2, 1e308, -1e308, Number.MIN_VALUE),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer(),
);

/** Number-like tokens spliced into JSON text: some are not JSON at all, `1e999` parses to Infinity. */
export const RAW_NUMBER_TOKENS: readonly string[] = [
  'NaN',
  'Infinity',
  '-Infinity',
  '1e999',
  '-1e999',
  '01',
  '+1',
  '.5',
  '1.',
  '0x10',
  '1e',
  '-',
];

/** Keys that have polluted prototypes or confused mappers, and keys a schema does not know. */
export const hostileKey: Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '__proto__',
    'constructor',
    'prototype',
    '',
    ' ',
    'toString',
    'hasOwnProperty',
    '$where',
    '$gt',
    'a.b',
    'a[0]',
    '\u0000',
    '😀',
  ),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 10 }),
);

// ---------------------------------------------------------------------------------------------
// JSON text with pieces JSON.stringify cannot write
// ---------------------------------------------------------------------------------------------

/** Text spliced into JSON as is: raw tokens, malformed fragments, deep nesting, objects with duplicate keys. */
export class RawJson {
  constructor(readonly text: string) {}
}

/** An own enumerable property, even for `__proto__` (a plain assignment would set the prototype instead). */
export function setOwn(target: Record<string, unknown>, key: string, value: unknown): Record<string, unknown> {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  return target;
}

/** JSON text of a value that may hold {@link RawJson} pieces and own `__proto__` keys (JSON.stringify drops neither, but cannot splice). */
export function toJsonText(value: unknown): string {
  if (value instanceof RawJson) return value.text;
  if (Array.isArray(value)) return `[${value.map(toJsonText).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    return `{${Object.keys(record)
      .map((k) => `${JSON.stringify(k)}:${toJsonText(record[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** `[[[…]]]` or `{"a":{"a":…}}` n levels deep, optionally with a `__proto__` key at the bottom. */
export const deepNesting: Arbitrary<RawJson> = fc
  .tuple(fc.integer({ min: 50, max: 12_000 }), fc.constantFrom('array', 'object', 'object-proto'))
  .map(([n, kind]) => {
    if (kind === 'array') return new RawJson(`${'['.repeat(n)}${']'.repeat(n)}`);
    const bottom = kind === 'object-proto' ? '{"__proto__":{"polluted":true}}' : '1';
    return new RawJson(`${'{"a":'.repeat(n)}${bottom}${'}'.repeat(n)}`);
  });

/** JSON fragments that are not JSON: unterminated, trailing commas, comments, single quotes. */
const MALFORMED_FRAGMENTS: readonly string[] = [
  '"unterminated',
  "'single'",
  'tru',
  '[1,]',
  '{"a":1,}',
  '/*c*/1',
  '{a:1}',
  '[',
  '}',
  '"\\x41"',
  '"\\u12"',
  '\u0000',
];

/** A raw piece of JSON for a field: number-like tokens, malformed fragments, deep nesting. */
export const rawFieldValue: Arbitrary<RawJson> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...RAW_NUMBER_TOKENS, ...MALFORMED_FRAGMENTS).map((t) => new RawJson(t)) },
  { weight: 1, arbitrary: deepNesting },
);

/**
 * What Fastify's JSON parser makes of `text`: the value, or `undefined` when it answers 400
 * (malformed, empty, or a `__proto__` / `constructor.prototype` key: secure-json-parse, as Fastify calls it).
 */
export function parsedBody(text: string): { value: unknown } | undefined {
  if (text.length === 0) return undefined;
  try {
    return { value: secureJsonParse(text, { protoAction: 'error', constructorAction: 'error' }) };
  } catch {
    return undefined;
  }
}

/** True when a JSON body `text` cannot pass `schema` on the server: it does not parse, or its value fails the schema. */
export function bodyCertainlyInvalid(schema: JsonSchema, text: string): boolean {
  const parsed = parsedBody(text);
  return parsed === undefined || !Value.Check(schema, parsed.value);
}

// ---------------------------------------------------------------------------------------------
// Values from a schema: valid ones, and certainly invalid ones
// ---------------------------------------------------------------------------------------------

type JsonType = 'string' | 'number' | 'integer' | 'boolean' | 'null' | 'array' | 'object';

const shallowJson = fc.jsonValue({ maxDepth: 1 });

/** A JSON value of a type other than `types` (integer counts as number). */
export function wrongType(types: readonly string[]): Arbitrary<unknown> {
  const not = (t: JsonType) => !types.includes(t) && !(t === 'number' && types.includes('integer'));
  const pool: Arbitrary<unknown>[] = [];
  if (not('string')) pool.push(hostileString);
  if (not('number')) pool.push(hostileNumber);
  if (types.includes('integer') && !types.includes('number')) pool.push(fc.constantFrom(0.5, -0.5, 1.000001, 1e-7));
  if (not('boolean')) pool.push(fc.boolean());
  if (not('null')) pool.push(fc.constant(null));
  if (not('array')) pool.push(fc.array(shallowJson, { maxLength: 4 }));
  if (not('object')) pool.push(fc.dictionary(fc.string({ maxLength: 6 }), shallowJson, { maxKeys: 4 }));
  return fc.oneof(...pool);
}

/** The JSON types a schema admits. */
function typesOf(schema: JsonSchema): string[] {
  if (schema.anyOf) return schema.anyOf.flatMap(typesOf);
  if (schema.type) return [schema.type];
  if (schema.const !== undefined) return [typeof schema.const];
  if (schema.enum) return [...new Set(schema.enum.map((v) => typeof v))];
  return [];
}

/** A schema that admits any value (`Type.Unknown()`): nothing to break. */
function unconstrained(schema: JsonSchema): boolean {
  return typesOf(schema).length === 0 && !schema.properties && !schema.patternProperties && !schema.items;
}

/** A valid value of `schema`; run ids come from `ctx`. */
export function validValue(schema: JsonSchema, ctx: GenContext): Arbitrary<unknown> {
  return rawValidValue(schema, ctx).filter((v) => Value.Check(schema, v));
}

function rawValidValue(schema: JsonSchema, ctx: GenContext): Arbitrary<unknown> {
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (schema.enum) return fc.constantFrom(...schema.enum);
  if (schema.anyOf) return fc.oneof(...schema.anyOf.map((s) => rawValidValue(s, ctx)));
  switch (schema.type) {
    case 'string': {
      if (schema.pattern === RUN_ID_PATTERN) return ctx.runId;
      const min = schema.minLength ?? 0;
      const max = Math.min(schema.maxLength ?? 24, min + 24);
      if (schema.pattern) return fc.stringMatching(new RegExp(schema.pattern)).filter((s) => s.length >= min && s.length <= max);
      const marker = ctx.marker ?? '';
      if (marker && (schema.maxLength ?? Infinity) >= marker.length + min) {
        return fc.string({ minLength: Math.max(0, min - marker.length), maxLength: max - marker.length }).map((s) => `${marker}${s}`);
      }
      return fc.string({ minLength: min, maxLength: max });
    }
    case 'integer':
      return fc.integer({
        min: schema.minimum ?? (schema.exclusiveMinimum !== undefined ? Math.floor(schema.exclusiveMinimum) + 1 : -1_000_000),
        max: Math.min(schema.maximum ?? 1_000_000, Number.MAX_SAFE_INTEGER),
      });
    case 'number':
      return fc.double({
        min: schema.minimum ?? schema.exclusiveMinimum ?? -1e6,
        minExcluded: schema.minimum === undefined && schema.exclusiveMinimum !== undefined,
        max: schema.maximum ?? 1e9,
        noNaN: true,
        noDefaultInfinity: true,
      });
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array': {
      const min = schema.minItems ?? 0;
      return fc.array(schema.items ? rawValidValue(schema.items, ctx) : shallowJson, {
        minLength: min,
        maxLength: Math.min(schema.maxItems ?? min + 3, min + 3),
      });
    }
    case 'object': {
      if (schema.properties) {
        const model = Object.fromEntries(Object.entries(schema.properties).map(([k, s]) => [k, rawValidValue(s, ctx)]));
        return fc.record(model, { requiredKeys: [...(schema.required ?? [])] });
      }
      const values = Object.values(schema.patternProperties ?? {})[0];
      return fc.dictionary(
        fc.stringMatching(/^[a-z][a-z0-9_]{0,7}$/),
        values && !unconstrained(values) ? rawValidValue(values, ctx) : shallowJson,
        { maxKeys: 3 },
      );
    }
    default:
      return shallowJson;
  }
}

/**
 * A value `schema` certainly refuses. Values that are invalid by construction (too long, out of
 * range, too many items, an invalid item) are used as they are; the rest (wrong types, raw tokens,
 * near-miss literals, hostile text against a pattern) are checked after a JSON round trip through
 * the server's parser.
 */
export function invalidValue(schema: JsonSchema, ctx: GenContext, depth = 0): Arbitrary<unknown> {
  const checked: Arbitrary<unknown>[] = [wrongType(typesOf(schema)), rawFieldValue];
  const certain: Arbitrary<unknown>[] = [];
  /** Certain but big (a field 40 times too long, one item too many): one draw in ~10, so a run stays fast. */
  const rare: Arbitrary<unknown>[] = [];
  const literals = schema.enum ?? (schema.const !== undefined ? [schema.const] : []);
  const texts = literals.filter((v): v is string => typeof v === 'string');
  if (texts.length > 0) {
    checked.push(
      fc
        .tuple(fc.constantFrom(...texts), fc.constantFrom('upper', 'pad', 'nul', 'prefix', 'homoglyph'))
        .map(([t, how]) =>
          how === 'upper'
            ? t.toUpperCase()
            : how === 'pad'
              ? ` ${t} `
              : how === 'nul'
                ? `${t}\u0000`
                : how === 'prefix'
                  ? `x${t}`
                  : t.replace(/[aeo]/, (c) => ({ a: 'а', e: 'е', o: 'о' })[c]!),
        ),
    );
  }
  if (schema.anyOf) checked.push(...schema.anyOf.map((s) => invalidValue(s, ctx, depth + 1)));
  switch (schema.type) {
    case 'string':
      if ((schema.minLength ?? 0) > 0) certain.push(fc.constant(''));
      if (schema.maxLength !== undefined) certain.push(longText(schema.maxLength + 1, schema.maxLength + 3));
      if (schema.maxLength !== undefined) rare.push(longText(schema.maxLength + 1, schema.maxLength * 40));
      if (schema.pattern) {
        const re = new RegExp(schema.pattern, 'u');
        checked.push(hostileString.filter((s) => !re.test(s)));
      }
      break;
    case 'integer':
    case 'number': {
      const below = schema.minimum ?? schema.exclusiveMinimum;
      if (below !== undefined) certain.push(fc.constantFrom(below - 1, below - 1e12, -1e308));
      if (schema.exclusiveMinimum !== undefined) certain.push(fc.constant(schema.exclusiveMinimum));
      if (schema.maximum !== undefined) certain.push(fc.constantFrom(schema.maximum + 1, schema.maximum * 2 + 1, 1e308));
      if (schema.type === 'integer') certain.push(fc.double({ noNaN: true, noDefaultInfinity: true }).filter((n) => !Number.isInteger(n)));
      break;
    }
    case 'array': {
      if ((schema.minItems ?? 0) > 0) certain.push(fc.constant([]));
      const items = schema.items;
      if (items && schema.maxItems !== undefined) {
        const n = schema.maxItems + 1;
        rare.push(rawValidValue(items, ctx).map((item) => Array.from({ length: n }, () => item)));
      }
      if (items && !unconstrained(items) && depth < 3) {
        certain.push(
          fc
            .tuple(fc.array(rawValidValue(items, ctx), { maxLength: 3 }), invalidValue(items, ctx, depth + 1), fc.nat())
            .map(([good, bad, at]) => {
              const out: unknown[] = [...good];
              out.splice(at % (good.length + 1), 0, bad);
              return out;
            }),
        );
      }
      break;
    }
    case 'object':
      if (depth < 3) certain.push(brokenObject(schema, ctx, depth + 1));
      break;
  }
  const weighted = [fc.oneof(...checked).filter((v) => bodyCertainlyInvalid(schema, toJsonText(v))), ...certain].map((arbitrary) => ({
    arbitrary,
    weight: 3,
  }));
  if (rare.length > 0) weighted.push({ arbitrary: fc.oneof(...rare), weight: 1 });
  return fc.oneof(...weighted);
}

/** One change to an object's entries; duplicate keys are kept (they become raw JSON text). */
type Mutation = { why: string; apply: (entries: [string, unknown][]) => [string, unknown][] };

/**
 * A valid object of `schema` with 1 to 3 breaking changes: a field of the wrong type or out of
 * range, a required field dropped, an unknown or prototype-polluting key added, a duplicate key
 * whose last (winning) value is invalid. Invalid by construction: no change undoes another.
 */
export function brokenObject(schema: JsonSchema, ctx: GenContext, depth = 0): Arbitrary<unknown> {
  return brokenObjectWithWhy(schema, ctx, depth).map((b) => b.value);
}

export function brokenObjectWithWhy(schema: JsonSchema, ctx: GenContext, depth = 0): Arbitrary<{ value: unknown; why: string }> {
  const props = schema.properties ?? {};
  const mutations: Arbitrary<Mutation>[] = [];
  for (const [key, prop] of Object.entries(props)) {
    if (unconstrained(prop)) continue;
    mutations.push(
      invalidValue(prop, ctx, depth + 1).map((bad) => ({
        why: `${key}: invalid value`,
        apply: (entries) => [...entries.filter(([k]) => k !== key), [key, bad]],
      })),
      invalidValue(prop, ctx, depth + 1).map((bad) => ({
        why: `${key}: duplicate key, last one invalid`,
        apply: (entries) => [...entries, [key, bad]],
      })),
    );
  }
  for (const key of schema.required ?? []) {
    mutations.push(fc.constant({ why: `${key}: missing`, apply: (entries) => entries.filter(([k]) => k !== key) }));
  }
  const pollution: Arbitrary<[string, unknown]> = fc.constantFrom<[string, unknown]>(
    ['__proto__', { polluted: true }],
    ['constructor', { prototype: { polluted: true } }],
  );
  mutations.push(pollution.map(([k, v]) => ({ why: `${k}: prototype pollution`, apply: (entries) => [...entries, [k, v]] })));
  if (schema.additionalProperties === false) {
    mutations.push(
      fc
        .tuple(
          hostileKey.filter((k) => !(k in props)),
          shallowJson,
        )
        .map(([k, v]) => ({
          why: `unknown key ${JSON.stringify(k)}`,
          apply: (entries) => [...entries, [k, v]],
        })),
    );
  }
  const base = rawValidValue(schema, ctx) as Arbitrary<Record<string, unknown>>;
  return fc.tuple(base, fc.array(fc.oneof(...mutations), { minLength: 1, maxLength: 3 })).map(([obj, changes]) => {
    let entries = Object.entries(obj);
    for (const m of changes) entries = m.apply(entries);
    return { value: fromEntries(entries), why: changes.map((m) => m.why).join('; ') };
  });
}

/** Entries → an object (own `__proto__` kept), or raw JSON text when a key repeats. */
function fromEntries(entries: [string, unknown][]): unknown {
  const keys = entries.map(([k]) => k);
  if (new Set(keys).size !== keys.length) {
    return new RawJson(`{${entries.map(([k, v]) => `${JSON.stringify(k)}:${toJsonText(v)}`).join(',')}}`);
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of entries) setOwn(out, k, v);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Text values: path parameters, query parameters, headers
// ---------------------------------------------------------------------------------------------

/**
 * What Ajv (`coerceTypes: 'array'`, as the collector's query and params validator) makes of the
 * text values of one parameter: a scalar schema takes a one-element array's element; a number
 * schema takes any non-empty text that `Number()` reads (so `' 12 '` and `0x10` are numbers); Ajv's
 * default `strictNumbers` then refuses non-finite numbers.
 */
export function coercedParam(schema: JsonSchema, values: readonly string[], coerce: boolean): { value: unknown } | undefined {
  if (values.length === 0) return undefined;
  if (!coerce) return { value: values.length === 1 ? values[0] : [...values] };
  if (values.length > 1) return { value: [...values] };
  const text = values[0]!;
  const types = typesOf(schema);
  if ((types.includes('number') || types.includes('integer')) && !types.includes('string')) {
    const n = Number(text);
    if (text === '' || Number.isNaN(n)) return { value: text };
    return { value: n };
  }
  return { value: text };
}

/**
 * True when a parameter whose text values are `values` certainly fails `schema` on the server
 * (missing and required without default; several values for a scalar; a value that fails once coerced).
 */
export function paramCertainlyInvalid(schema: JsonSchema, values: readonly string[], required: boolean, coerce: boolean): boolean {
  const coerced = coercedParam(schema, values, coerce);
  if (coerced === undefined) return required && schema.default === undefined;
  if (typeof coerced.value === 'number' && !Number.isFinite(coerced.value)) return true;
  return !Value.Check(schema, coerced.value);
}

/** A valid text value for a parameter `schema` (path, query or header). */
export function validText(schema: JsonSchema, ctx: GenContext): Arbitrary<string> {
  return validValue(schema, ctx).map((v) => String(v));
}

/** Text a parameter certainly refuses: hostile text, near-miss literals, out-of-range or non-integer numbers. */
export function invalidText(schema: JsonSchema, coerce: boolean): Arbitrary<string> {
  const pool: Arbitrary<string>[] = [hostileString];
  const types = typesOf(schema);
  if (types.includes('integer') || types.includes('number')) {
    pool.push(
      fc.constantFrom('1.5', '-1', '1e9', '1e400', 'Infinity', '0x', '1,2', '1 2', '--1', '', ' ', String(Number.MAX_SAFE_INTEGER * 4)),
      hostileNumber.map(String),
    );
  }
  const literals = (schema.enum ?? []).filter((v): v is string => typeof v === 'string');
  if (literals.length > 0)
    pool.push(
      fc.constantFrom(...literals).map((t) => `${t.toUpperCase()} `),
      fc.constantFrom(...literals).map((t) => `${t}\u0000`),
    );
  if (schema.maxLength !== undefined) pool.push(longText(schema.maxLength + 1, schema.maxLength + 200));
  return fc.oneof(...pool).filter((t) => paramCertainlyInvalid(schema, [t], true, coerce));
}
