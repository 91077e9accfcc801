// The subscriber portal (web/, built into web/dist by scripts/web-build.ts) served by this server at
// `/`. It adds no routes — the OpenAPI document stays the API's — but answers what no API route
// matched: the build's own files, and index.html for any page address a browser asks for (the React
// router takes it from there). API, sandbox and ops paths keep their problem+json 404.
import { existsSync, readdirSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { App } from './types.ts';

export const WEB_DIST_DIR = fileURLToPath(new URL('../../web/dist/', import.meta.url));

/** Paths that belong to the API and the server's own pages: never the portal's index.html. */
const SERVER_PATHS = /^\/(?:api|sandbox|healthz|metrics)(?:\/|$)/;
/** Vite puts content-hashed file names here: a changed file is a new name, so browsers may keep them. */
const HASHED_ASSETS_PREFIX = 'assets/';
const HASHED_ASSET_MAX_AGE_MS = 365 * 24 * 60 * 60 * 1000;

/**
 * The portal's policy: scripts, styles and connections from this origin only — no inline script, no
 * eval, no framing. The app sets no inline style attributes in its HTML and loads no third-party code.
 */
export const PORTAL_CONTENT_SECURITY_POLICY = [
  "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "font-src 'self'",
  "connect-src 'self'", "object-src 'none'", "base-uri 'self'", "form-action 'self'", "frame-ancestors 'none'",
].join('; ');

export type WebAppHandler = (request: FastifyRequest, reply: FastifyReply) => FastifyReply | null;

function filesUnder(dir: string): Set<string> {
  const files = new Set<string>();
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    const file = relative(dir, join(entry.parentPath, entry.name)).split(sep).join('/');
    // Build metadata (.vite/manifest.json) is for our scripts, not for browsers.
    if (entry.isFile() && !file.split('/').some((part) => part.startsWith('.'))) files.add(file);
  }
  return files;
}

function wantsHtml(request: FastifyRequest): boolean {
  return (request.headers.accept ?? '').includes('text/html');
}

/**
 * Serves the built portal from `distDir`, or returns null when there is no build (an API-only
 * process; `npm start` builds it first). The files are listed once here: only those are ever sent,
 * so no request path reaches the file system.
 */
export async function registerWebApp(app: App, distDir: string = WEB_DIST_DIR): Promise<WebAppHandler | null> {
  if (!existsSync(join(distDir, 'index.html'))) return null;
  const files = filesUnder(distDir);
  await app.register(fastifyStatic, { root: distDir, serve: false });
  return (request, reply) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return null;
    const path = request.url.split('?')[0] ?? '/';
    if (SERVER_PATHS.test(path)) return null;
    const file = path.slice(1);
    if (file !== 'index.html' && files.has(file)) {
      const hashed = file.startsWith(HASHED_ASSETS_PREFIX);
      return reply.sendFile(file, { maxAge: hashed ? HASHED_ASSET_MAX_AGE_MS : 0, immutable: hashed });
    }
    if (!wantsHtml(request)) return null;
    reply.header('content-security-policy', PORTAL_CONTENT_SECURITY_POLICY);
    // Always revalidated: a new build's index.html names new asset files.
    return reply.sendFile('index.html', { maxAge: 0, cacheControl: true });
  };
}
