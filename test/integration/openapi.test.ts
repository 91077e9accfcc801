import { readFile } from 'node:fs/promises';
import { Validator } from '@seriousme/openapi-schema-validator';
import { describe, expect, it } from 'vitest';
import { API_DOCUMENT_PATH, API_TYPES_PATH, generateApiFiles } from '../../scripts/api-types.ts';
import { forEachDatabase } from '../support/harness.ts';
import { UNDECLARED_OPERATIONS, declaresSuccess, operationsOf, type OpenApiDocument } from '../support/openapi-contract.ts';

forEachDatabase('the OpenAPI document', (ctx) => {
  it('is a valid OpenAPI 3.1 document by an independent validator', async () => {
    const r = await ctx().get('/api/v1/openapi.json');
    expect(r.status).toBe(200);
    expect(r.json.openapi).toBe('3.1.0');
    const result = await new Validator().validate(r.json as Parameters<Validator["validate"]>[0]);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('declares a success answer for every operation but the allowlisted ones, and the allowlist only shrinks', async () => {
    const document = (await ctx().get<OpenApiDocument>('/api/v1/openapi.json')).json;
    const lacking = operationsOf(document).filter((op) => !declaresSuccess(op.operation)).map((op) => op.key);
    // An operation that now declares its answers must leave UNDECLARED_OPERATIONS (test/support/openapi-contract.ts).
    expect([...lacking].sort()).toEqual([...UNDECLARED_OPERATIONS].sort());
  });

  it('answers GET /metrics as Prometheus text, as declared', async () => {
    const r = await ctx().get('/metrics');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toMatch(/^text\/plain/);
    expect(r.text).toContain('simkeep_http_requests_total');
  });
});

describe('the web client types', () => {
  it('are generated from the current document (regenerating changes nothing)', async () => {
    const { document, types } = await generateApiFiles();
    const committed = { document: await readFile(API_DOCUMENT_PATH, 'utf8'), types: await readFile(API_TYPES_PATH, 'utf8') };
    if (document !== committed.document || types !== committed.types) {
      throw new Error('web/src/api/openapi.json or schema.d.ts is out of date with the server: run npm run api:types and commit the result');
    }
  }, 180_000); // builds a whole app on a fresh embedded database
});
