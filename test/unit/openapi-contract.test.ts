import { describe, expect, it } from 'vitest';
import { ResponseContract, type OpenApiDocument } from '../support/openapi-contract.ts';

const problem = { type: 'object', properties: { code: { type: 'string' } }, required: ['code'] };
const document: OpenApiDocument & { components: object } = {
  openapi: '3.1.0',
  components: { schemas: { Problem: problem } },
  paths: {
    '/things/{id}': {
      get: {
        responses: {
          200: { content: { 'application/json': { schema: { type: 'object', properties: { id: { type: 'string' }, at: { type: 'string', format: 'date-time' } }, required: ['id'], additionalProperties: false } } } },
          404: { content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } },
        },
      },
    },
    '/things/new': { get: { responses: { 204: { description: 'No Content' } } } },
  },
};
const json = { 'content-type': 'application/json; charset=utf-8' };

describe('checking answers against the OpenAPI document', () => {
  const contract = new ResponseContract(document);

  it('accepts an answer as declared', () => {
    expect(() => contract.check({ method: 'GET', url: '/things/t1?x=1', status: 200, headers: json, body: '{"id":"t1","at":"2026-01-01T00:00:00.000Z"}' })).not.toThrow();
  });

  it('refuses a body its schema refuses, naming the field', () => {
    expect(() => contract.check({ method: 'GET', url: '/things/t1', status: 200, headers: json, body: '{"id":1}' })).toThrow(/\/id must be string/);
    expect(() => contract.check({ method: 'GET', url: '/things/t1', status: 200, headers: json, body: '{"id":"t1","extra":1}' })).toThrow(/additional properties/);
    expect(() => contract.check({ method: 'GET', url: '/things/t1', status: 200, headers: json, body: '{"id":"t1","at":"yesterday"}' })).toThrow(/format/);
  });

  it('refuses a status the operation does not declare, and an undeclared media type', () => {
    expect(() => contract.check({ method: 'GET', url: '/things/t1', status: 409, headers: json, body: '{}' })).toThrow(/409, which its OpenAPI responses do not declare/);
    expect(() => contract.check({ method: 'GET', url: '/things/t1', status: 404, headers: json, body: '{"code":"x"}' })).toThrow(/declared: application\/problem\+json/);
  });

  it('follows references into the components', () => {
    const problemJson = { 'content-type': 'application/problem+json; charset=utf-8' };
    expect(() => contract.check({ method: 'GET', url: '/things/t1', status: 404, headers: problemJson, body: '{"code":"x"}' })).not.toThrow();
    expect(() => contract.check({ method: 'GET', url: '/things/t1', status: 404, headers: problemJson, body: '{}' })).toThrow(/must have required property 'code'/);
  });

  it('prefers a literal path segment over a parameter, and wants no body where none is declared', () => {
    expect(() => contract.check({ method: 'GET', url: '/things/new', status: 204, headers: {}, body: '' })).not.toThrow();
    expect(() => contract.check({ method: 'GET', url: '/things/new', status: 204, headers: {}, body: 'x' })).toThrow(/declares none/);
  });

  it('leaves requests no operation matches to the not-found handler', () => {
    expect(() => contract.check({ method: 'POST', url: '/things/t1', status: 404, headers: json, body: '{}' })).not.toThrow();
  });
});
