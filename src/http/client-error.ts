// Requests Node's HTTP parser refuses before Fastify sees them — headers over the size limit
// (431), a malformed or contradictory Content-Length (400), a garbled request line — still get a
// problem+json answer, written straight to the socket as Fastify's default handler does.
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyBaseLogger } from 'fastify';
import { problem } from './problem.ts';

const CONTENT_LENGTH_ERRORS = new Set(['HPE_INVALID_CONTENT_LENGTH', 'HPE_UNEXPECTED_CONTENT_LENGTH', 'HPE_INVALID_TRANSFER_ENCODING']);

function problemFor(code: string | undefined): { status: number; code: string; detail: string } {
  if (code === 'HPE_HEADER_OVERFLOW') return { status: 431, code: 'headers_too_large', detail: 'the request headers are larger than the server accepts' };
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return { status: 408, code: 'request_timeout', detail: 'the request took too long to arrive' };
  if (code !== undefined && CONTENT_LENGTH_ERRORS.has(code)) {
    return { status: 400, code: 'invalid_content_length', detail: 'the Content-Length or Transfer-Encoding header is malformed or contradictory' };
  }
  return { status: 400, code: 'malformed_request', detail: 'the request is not valid HTTP/1.1' };
}

export function clientErrorHandler(this: { log: FastifyBaseLogger }, error: Error & { code?: string }, socket: Socket): void {
  // A reset connection has nobody left to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const p = problemFor(error.code);
  this.log.debug({ err: error }, `client error ${p.code}`);
  if (socket.writable) {
    const body = JSON.stringify(problem(p.status, p.code, p.detail));
    socket.write(
      `HTTP/1.1 ${p.status} ${STATUS_CODES[p.status] ?? 'Error'}\r\nContent-Type: application/problem+json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}
