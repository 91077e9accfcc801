// Real answers checked against the declared ones: the harness passes every response it returns
// through `checkResponse`, which finds the operation in the app's own OpenAPI document and
// validates the status (declared?), the media type and the body (ajv, JSON Schema 2020-12) against
// what that operation declares. A route whose answers are not declared yet is listed in
// UNDECLARED_OPERATIONS — the one allowlist; openapi.test.ts keeps it equal to what the document
// lacks, so it can only shrink.
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsPlugin, { type FormatsPlugin } from 'ajv-formats';

/** Operations ("METHOD /path/{param}") whose responses are not declared yet: not checked. Empty it as they are. */
export const UNDECLARED_OPERATIONS: readonly string[] = [];

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

interface MediaTypeObject { schema?: unknown }
interface ResponseObject { description?: string; content?: Record<string, MediaTypeObject> }
type OperationObject = { responses?: Record<string, ResponseObject> };
export interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Partial<Record<(typeof HTTP_METHODS)[number], OperationObject>>>;
}

export interface OperationRef {
  /** "METHOD /path/{param}" as in UNDECLARED_OPERATIONS. */
  key: string;
  path: string;
  method: (typeof HTTP_METHODS)[number];
  operation: OperationObject;
}

export function operationsOf(document: OpenApiDocument): OperationRef[] {
  const found: OperationRef[] = [];
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of HTTP_METHODS) {
      const operation = item[method];
      if (operation) found.push({ key: `${method.toUpperCase()} ${path}`, path, method, operation });
    }
  }
  return found;
}

/** A success answer is declared when it has a body schema, or is one that carries no body (204, 3xx). */
export function declaresSuccess(operation: OperationObject): boolean {
  return Object.entries(operation.responses ?? {}).some(([status, response]) => {
    const code = Number(status);
    if (code === 204 || (code >= 300 && code < 400)) return true;
    return code >= 200 && code < 300 && Object.keys(response.content ?? {}).length > 0;
  });
}

const escapePointer = (segment: string): string => encodeURIComponent(segment.replace(/~/g, '~0').replace(/\//g, '~1'));
const mediaTypeOf = (header: string | string[] | undefined): string =>
  (Array.isArray(header) ? header[0] ?? '' : header ?? '').split(';')[0]?.trim().toLowerCase() ?? '';

export interface CheckedResponse {
  method: string;
  url: string;
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** Validates responses against one app's document; compiles each schema once, on first use. */
export class ResponseContract {
  private readonly ajv = new Ajv2020({ strict: false, allErrors: true, validateSchema: false });
  private readonly compiled = new Map<string, ValidateFunction>();
  private readonly templates: Array<{ operation: OperationRef; pattern: RegExp; params: number }>;

  constructor(private readonly document: OpenApiDocument) {
    // ajv-formats is CommonJS: its default export is the plugin, under `default` when loaded as ESM.
    const plugin = addFormatsPlugin as unknown as FormatsPlugin | { default: FormatsPlugin };
    const addFormats = 'default' in plugin ? plugin.default : plugin;
    addFormats(this.ajv);
    this.ajv.addSchema(document as object, 'openapi');
    this.templates = operationsOf(document).map((operation) => ({
      operation,
      pattern: new RegExp(`^${operation.path.split('/').map((s) => (/^\{[^}]+\}$/.test(s) ? '[^/]+' : s.replace(/[.*+?^$()|[\]\\]/g, '\\$&'))).join('/')}$`),
      params: (operation.path.match(/\{/g) ?? []).length,
    }));
  }

  /** The documented operation a request reached (literal segments win over parameters), or null. */
  operationFor(method: string, url: string): OperationRef | null {
    let path = url.split('?')[0] ?? '';
    if (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
    const candidates = this.templates
      .filter((t) => t.operation.method === method.toLowerCase() && t.pattern.test(path))
      .sort((a, b) => a.params - b.params);
    return candidates[0]?.operation ?? null;
  }

  /** Throws an Error saying what differs; returns quietly when the answer is as declared (or not checkable yet). */
  check(response: CheckedResponse): void {
    const operation = this.operationFor(response.method, response.url);
    // Not a documented operation (an unknown path or method): the not-found handler answered.
    if (operation === null || UNDECLARED_OPERATIONS.includes(operation.key)) return;
    const where = `${response.method} ${response.url} (${operation.key})`;
    const declared = operation.operation.responses ?? {};
    const entry = declared[String(response.status)] ?? declared.default;
    if (!entry) {
      throw new Error(`${where} answered ${response.status}, which its OpenAPI responses do not declare `
        + `(declared: ${Object.keys(declared).join(', ')}). Body: ${response.body.slice(0, 400)}`);
    }
    const content = entry.content ?? {};
    if (Object.keys(content).length === 0) {
      if (response.body !== '') throw new Error(`${where} answered ${response.status} with a body, but declares none: ${response.body.slice(0, 400)}`);
      return;
    }
    const mediaType = mediaTypeOf(response.headers['content-type']);
    if (!(mediaType in content)) {
      throw new Error(`${where} answered ${response.status} as ${mediaType || 'no content type'}; declared: ${Object.keys(content).join(', ')}`);
    }
    // A media type declared without a schema promises nothing about the body.
    if (content[mediaType]?.schema === undefined) return;
    const statusKey = String(response.status) in declared ? String(response.status) : 'default';
    const validate = this.validatorFor(operation, statusKey, mediaType);
    let body: unknown = response.body;
    if (mediaType.endsWith('json')) {
      try {
        body = JSON.parse(response.body);
      } catch {
        throw new Error(`${where} answered ${response.status} as ${mediaType} but the body is not JSON: ${response.body.slice(0, 400)}`);
      }
    }
    if (!validate(body)) {
      const problems = (validate.errors ?? []).slice(0, 10).map((e) => `${e.instancePath || '(body)'} ${e.message ?? 'invalid'}`).join('; ');
      throw new Error(`${where} answered ${response.status} with a body its declared schema refuses: ${problems}. Body: ${response.body.slice(0, 400)}`);
    }
  }

  private validatorFor(operation: OperationRef, status: string, mediaType: string): ValidateFunction {
    const pointer = ['paths', operation.path, operation.method, 'responses', status, 'content', mediaType, 'schema'].map(escapePointer).join('/');
    let validate = this.compiled.get(pointer);
    if (!validate) {
      validate = this.ajv.compile({ $ref: `openapi#/${pointer}` });
      this.compiled.set(pointer, validate);
    }
    return validate;
  }
}
