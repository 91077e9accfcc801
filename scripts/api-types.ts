// `npm run api:types`: the web app's typed client, generated from the server's own OpenAPI document.
// The app is built on an in-memory PGlite (sandbox mode on, as in development) without listening;
// its document goes to web/src/api/openapi.json and openapi-typescript's types to schema.d.ts. Both
// are committed; test/integration/openapi.test.ts regenerates them and fails when they differ.
// Deterministic: paths sorted, no timestamps, so regenerating an unchanged API changes nothing.
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import openapiTS, { astToString } from 'openapi-typescript';
import pino from 'pino';
import { createApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { openPglite } from '../src/db/pglite.ts';

export const API_DOCUMENT_PATH = fileURLToPath(new URL('../web/src/api/openapi.json', import.meta.url));
export const API_TYPES_PATH = fileURLToPath(new URL('../web/src/api/schema.d.ts', import.meta.url));

const GENERATION_ENV = {
  NODE_ENV: 'development',
  SIMKEEP_SANDBOX: '1',
  SIMKEEP_DEMO: '0',
  SIMKEEP_WORKER: '0',
  SIMKEEP_LOG_LEVEL: 'silent',
  // Never used for anything the document shows; fixed so no key file is written.
  SIMKEEP_SECRET_KEY: '00'.repeat(32),
};

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function sortedKeys(value: Record<string, Json>): Record<string, Json> {
  return Object.fromEntries(Object.keys(value).sort().map((key) => [key, value[key] ?? null]));
}

/** The app's OpenAPI document, paths (and component schemas) in sorted order. */
export async function buildApiDocument(): Promise<Record<string, Json>> {
  const db = await openPglite(null);
  try {
    const app = await createApp(loadConfig(GENERATION_ENV), { db, logger: pino({ level: 'silent' }), startWorker: false });
    try {
      await app.http.ready();
      // Through JSON: plain data only, as a client fetching /api/v1/openapi.json sees it.
      const document = JSON.parse(JSON.stringify(app.http.swagger())) as Record<string, Json>;
      document.paths = sortedKeys(document.paths as Record<string, Json>);
      const components = document.components as Record<string, Json> | undefined;
      if (components?.schemas) components.schemas = sortedKeys(components.schemas as Record<string, Json>);
      return document;
    } finally {
      await app.close();
    }
  } finally {
    await db.close();
  }
}

/** Both committed files' contents, as `npm run api:types` writes them. */
export async function generateApiFiles(): Promise<{ document: string; types: string }> {
  const document = await buildApiDocument();
  const ast = await openapiTS(document as unknown as Parameters<typeof openapiTS>[0]);
  return { document: `${JSON.stringify(document, null, 2)}\n`, types: astToString(ast) };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { document, types } = await generateApiFiles();
  await writeFile(API_DOCUMENT_PATH, document);
  await writeFile(API_TYPES_PATH, types);
  console.log(`wrote ${API_DOCUMENT_PATH} and ${API_TYPES_PATH}`);
}
