// fast-check arbitraries for requests derived from an OpenAPI document: values that satisfy a
// JSON Schema (so a request gets past the first validation and reaches deeper code), the same
// values broken in one place, and hostile values of every type — huge and signed-zero numbers,
// NaN-ish strings, long and odd Unicode (RTL overrides, zero-width, NUL, lone surrogates), deep
// nesting, prototype keys — plus path, query and header tricks.
import fc from 'fast-check';

export type JsonSchema = Record<string, any>;

/** Odd characters a string field may meet: bidi controls, zero-width, NUL, lone surrogates, case-folding traps. */
const ODD_PIECES = ['\u202e', '\u200b', '\u200d', '\u0000', '\ud800', '\udfff', '\ufeff', '\u0130', 'ß', 'ﬃ', '\u0301', '😀', '𝔘', '\u2028', '\r\n', '\t', '"', '\\', "'", '<script>', '%s', '${x}', '../'];

export const oddString: fc.Arbitrary<string> = fc.oneof(
  fc.array(fc.constantFrom(...ODD_PIECES), { minLength: 1, maxLength: 12 }).map((parts) => parts.join('')),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.tuple(fc.constantFrom('A', 'é', '\u0130', '😀', '\u200b'), fc.constantFrom(300, 5_000, 70_000)).map(([c, n]) => c.repeat(n)),
);

const nanIsh = fc.constantFrom('NaN', 'Infinity', '-Infinity', '-0', '1e999', '0x10', '1_000', ' 1', '1.', '.5', '', ' ', 'null', 'true', '[]', '9'.repeat(400));

const hugeNumber = fc.constantFrom(-0, 1e308, -1e308, 2 ** 53 + 1, -(2 ** 53) - 1, 1e21, 0.1, 0.005, -1, 0, 1e-320, 2 ** 31, 4294967296);

function nested(depth: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = i % 2 === 0 ? [v] : { a: v };
  return v;
}

/** Any JSON value a well-behaved server must refuse or shrug at, whatever the field wanted. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  hugeNumber,
  nanIsh,
  oddString,
  fc.constantFrom(null, true, false, [], {}, [null], { __proto__: { role: 'admin' } }, JSON.parse('{"__proto__":{"isAdmin":true}}') as unknown, { constructor: { prototype: { x: 1 } } }),
  fc.integer({ min: 2, max: 3_000 }).map(nested),
  fc.jsonValue({ maxDepth: 3 }),
);

/** The part of an OpenAPI document `$ref`s point into. */
export interface Document {
  components?: { schemas?: Record<string, JsonSchema> };
}

function resolve(doc: Document, schema: JsonSchema | undefined): JsonSchema {
  let s = schema ?? {};
  for (let i = 0; i < 10 && typeof s.$ref === 'string'; i++) {
    const name = (s.$ref as string).split('/').pop() ?? '';
    s = doc.components?.schemas?.[name] ?? {};
  }
  return s;
}

function stringFor(s: JsonSchema): fc.Arbitrary<string> {
  const maxLength = Math.min(typeof s.maxLength === 'number' ? s.maxLength : 40, 40);
  const minLength = Math.min(typeof s.minLength === 'number' ? s.minLength : 0, maxLength);
  if (s.format === 'email') return fc.emailAddress();
  if (s.format === 'date-time') return fc.date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }).map((d) => d.toISOString());
  if (s.format === 'date') return fc.date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10));
  if (s.format === 'uri') return fc.webUrl();
  if (typeof s.pattern === 'string') {
    try {
      return fc.stringMatching(new RegExp(s.pattern)).map((v) => v.slice(0, Math.max(maxLength, minLength)));
    } catch {
      /* a pattern fast-check cannot invert: plain strings below */
    }
  }
  return fc.string({ minLength, maxLength });
}

function numberFor(s: JsonSchema, integer: boolean): fc.Arbitrary<number> {
  const min = typeof s.minimum === 'number' ? s.minimum : typeof s.exclusiveMinimum === 'number' ? s.exclusiveMinimum + 1 : -1e6;
  const max = typeof s.maximum === 'number' ? s.maximum : typeof s.exclusiveMaximum === 'number' ? s.exclusiveMaximum - 1 : 1e6;
  const lo = Math.max(min, -1e9);
  const hi = Math.min(max, 1e9);
  if (integer) return fc.integer({ min: Math.ceil(lo), max: Math.max(Math.ceil(lo), Math.floor(hi)) });
  return fc.double({ min: lo, max: Math.max(lo, hi), noNaN: true, noDefaultInfinity: true });
}

/** Values the schema accepts (as far as fast-check can invert it): they get past validation. */
export function schemaValue(doc: Document, schema: JsonSchema | undefined, depth = 0): fc.Arbitrary<unknown> {
  const s = resolve(doc, schema);
  if (depth > 6) return fc.constant(null);
  if ('const' in s) return fc.constant(s.const);
  if (Array.isArray(s.enum) && s.enum.length > 0) return fc.constantFrom(...(s.enum as unknown[]));
  const alternatives = (s.anyOf ?? s.oneOf) as JsonSchema[] | undefined;
  if (Array.isArray(alternatives) && alternatives.length > 0) return fc.oneof(...alternatives.map((a) => schemaValue(doc, a, depth + 1)));
  const types: string[] = Array.isArray(s.type) ? s.type : typeof s.type === 'string' ? [s.type] : [];
  if (types.length > 1) return fc.oneof(...types.map((type) => schemaValue(doc, { ...s, type }, depth + 1)));
  switch (types[0]) {
    case 'string': return stringFor(s);
    case 'integer': return numberFor(s, true);
    case 'number': return numberFor(s, false);
    case 'boolean': return fc.boolean();
    case 'null': return fc.constant(null);
    case 'array': return fc.array(schemaValue(doc, s.items, depth + 1), { minLength: Math.min(s.minItems ?? 0, 3), maxLength: Math.min(s.maxItems ?? 4, 4) });
    case 'object': return objectFor(doc, s, depth);
    default: return fc.jsonValue({ maxDepth: 2 });
  }
}

function objectFor(doc: Document, s: JsonSchema, depth: number): fc.Arbitrary<unknown> {
  const properties = (s.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set<string>(Array.isArray(s.required) ? s.required : []);
  const keys = Object.keys(properties);
  if (keys.length === 0 && s.additionalProperties && typeof s.additionalProperties === 'object') {
    const keyArb = s.propertyNames ? stringFor(resolve(doc, s.propertyNames)) : fc.string({ maxLength: 10 });
    return fc.dictionary(keyArb, schemaValue(doc, s.additionalProperties, depth + 1), { maxKeys: 3 });
  }
  const model: Record<string, fc.Arbitrary<unknown>> = {};
  for (const key of keys) model[key] = schemaValue(doc, properties[key], depth + 1);
  return fc.record(model, { requiredKeys: keys.filter((k) => required.has(k)) });
}

/** Fields a client must never be able to set: mass assignment attempts. */
const PRIVILEGED_FIELDS: Record<string, unknown> = {
  role: 'admin', status: 'completed', userId: 'usr_other', id: 'x', amount: 1, balance: { amount: 1e9, currency: 'USD' },
  isAdmin: true, paid: true, totalMinor: 0, emailVerified: true, ownerId: 'usr_other',
};

/** A body as the schema wants it, broken in at most one place (a field hostile, one missing, extra ones), or wholly hostile. */
export function bodyValue(doc: Document, schema: JsonSchema | undefined): fc.Arbitrary<unknown> {
  const s = resolve(doc, schema);
  const valid = schemaValue(doc, s);
  const keys = Object.keys((s.properties ?? {}) as Record<string, unknown>);
  const broken: Array<fc.Arbitrary<unknown>> = [valid, hostileValue];
  if (keys.length > 0) {
    const asObject = valid.filter((v): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v));
    broken.push(
      fc.tuple(asObject, fc.constantFrom(...keys), hostileValue).map(([v, k, h]) => ({ ...v, [k]: h })),
      fc.tuple(asObject, fc.constantFrom(...keys)).map(([v, k]) => Object.fromEntries(Object.entries(v).filter(([key]) => key !== k))),
      fc.tuple(asObject, fc.subarray(Object.keys(PRIVILEGED_FIELDS), { minLength: 1 })).map(([v, extra]) =>
        ({ ...v, ...Object.fromEntries(extra.map((k) => [k, PRIVILEGED_FIELDS[k]])) })),
    );
  }
  return fc.oneof({ weight: 3, arbitrary: fc.oneof(...broken) }, { weight: 1, arbitrary: valid });
}

/** Raw payloads that are not the JSON they claim to be. */
export const rawPayload: fc.Arbitrary<string | Buffer> = fc.oneof(
  fc.constantFrom('{', '{"a":', '[1,2', '{"a":1,"a":2}', 'null', '"just a string"', '1e999', '{"__proto__":{"role":"admin"}}', 'a=1&b=2', '\u0000', '{}'.padEnd(2_000_000, ' ')),
  fc.constantFrom(Buffer.from([0xff, 0xfe, 0x00, 0x7b]), Buffer.from([0xc3, 0x28]), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('{"name":"\u00e9"}', 'latin1')),
  fc.string({ unit: 'binary', maxLength: 200 }),
);

/** encodeURIComponent that also takes lone surrogates, sent as the invalid UTF-8 bytes a sloppy client would. */
export function encodeLoose(value: string): string {
  let out = '';
  for (const ch of value) {
    const code = ch.codePointAt(0) ?? 0;
    out += code >= 0xd800 && code <= 0xdfff ? '%ED%A0%80' : encodeURIComponent(ch);
  }
  return out;
}

/** Path parameters: real ids now and then (to reach the handlers), tricks otherwise. Already URL-encoded. */
export function pathParam(realIds: readonly string[]): fc.Arbitrary<string> {
  const tricks = fc.oneof(
    fc.constantFrom('..%2F..%2Fadmin', '..%2f', '%2e%2e', '%00', 'x%00y', 'a'.repeat(101), 'a'.repeat(5_000), '%25', '%E2%80%AE', '%F0%9F%98%80',
      '%ED%A0%80', '%C4%B0', "'%20OR%201=1--", '%22', '%5C', 'null', 'undefined', '0', '-1', 'NaN', '__proto__', 'constructor', '%20', '~'),
    oddString.map((s) => encodeLoose(s.slice(0, 200))).filter((s) => s.length > 0),
    fc.string({ minLength: 1, maxLength: 30 }).map(encodeLoose),
  );
  return realIds.length > 0 ? fc.oneof(fc.constantFrom(...realIds.map(encodeURIComponent)), tricks) : tricks;
}

/** A query-string value: valid for its schema, or not. Already encoded. */
export function queryValue(doc: Document, schema: JsonSchema | undefined): fc.Arbitrary<string> {
  const valid = schemaValue(doc, schema).map((v) => encodeLoose(typeof v === 'string' ? v : JSON.stringify(v) ?? ''));
  const odd = fc.oneof(nanIsh, oddString.map((s) => s.slice(0, 500))).map(encodeLoose);
  return fc.oneof(valid, odd, fc.constantFrom('%', '%ZZ', '1e999', '-0', '9007199254740993', '1%00'));
}

/** Header values an HTTP client can send (visible ASCII), some of them absurd. */
export const headerTricks = {
  contentType: fc.constantFrom('text/plain', 'application/json; charset=latin1', 'application/json; charset=utf-16', 'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x', 'application/problem+json', '*/*', 'application/json, text/plain', 'application/jsonx', 'text/csv', 'application/JSON'),
  idempotencyKey: fc.oneof(fc.uuid(), fc.constantFrom('', ' ', 'k'.repeat(10_000), 'k'.repeat(256), '../../etc', 'k:1', '%00')),
  acceptLanguage: fc.constantFrom('en', 'zh-CN', '*', 'xx-YY', 'en;q=abc', 'zh-CN;q=0.5, en;q=2', ',,,;;;', 'a'.repeat(5_000), 'tr-TR', 'zh-Hant-TW;q=0.9, *;q=0.1', '-'),
  accept: fc.constantFrom('application/json', 'text/html', 'application/xml', '*/*', 'application/pdf', 'text/plain', 'image/png;q=0'),
  authorization: fc.constantFrom('Bearer ', 'Bearer x', `Bearer ${'a'.repeat(10_000)}`, 'Basic YWRtaW46YWRtaW4=', 'bearer', 'Bearer null', 'Bearer sk_%00'),
};
