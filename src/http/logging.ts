// The server's logger: pino JSON lines, with credentials redacted wherever a log call might put
// them — request headers (Authorization, Cookie, the CSRF header), Set-Cookie on responses, and any
// `password`, `token`, `pin` or `secret` (a carrier's signing key) field one level down (a logged body, an input object).
import pino, { type DestinationStream, type Level, type Logger } from 'pino';

export const LOG_REDACT_PATHS: readonly string[] = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-csrf-token"]',
  'res.headers["set-cookie"]',
  'password', 'token', 'pin', 'secret',
  '*.password', '*.token', '*.pin', '*.secret',
];

export function createLogger(level: Level | 'silent', destination?: DestinationStream): Logger {
  const options = { level, redact: { paths: [...LOG_REDACT_PATHS], censor: '[redacted]' } };
  return destination ? pino(options, destination) : pino(options);
}
