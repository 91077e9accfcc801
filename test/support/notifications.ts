// Helpers for the notification suites: raise a notification through the module's export on the
// test's database, an SMTP sink on loopback (smtp-server) and just enough MIME decoding to read what
// nodemailer sent (subject encoded-words, multipart/alternative, quoted-printable and base64).
import { randomBytes } from 'node:crypto';
import { SMTPServer } from 'smtp-server';
import type { AddressInfo } from 'node:net';
import { notify, type NotifyInput, type NotifyResult } from '../../src/modules/notifications/service.ts';
import type { TestContext } from './harness.ts';

export async function raise(ctx: TestContext, input: Partial<NotifyInput> & Pick<NotifyInput, 'userId'>): Promise<NotifyResult> {
  return ctx.db.transaction((tx) =>
    notify(tx, {
      now: ctx.app.deps.clock.now(),
      kind: 'low_balance',
      data: { balance: { amount: 120, currency: 'USD' } },
      dedupeKey: `test:${randomBytes(6).toString('hex')}`,
      ...input,
    }),
  );
}

export interface ReceivedMail {
  from: string;
  to: string[];
  subject: string;
  text: string;
  html: string;
}

export interface SmtpSink {
  url: string;
  received: ReceivedMail[];
  close(): Promise<void>;
}

/** An SMTP server on 127.0.0.1 that keeps every message it is given. */
export async function startSmtpSink(): Promise<SmtpSink> {
  const received: ReceivedMail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const parsed = parseMessage(Buffer.concat(chunks).toString('utf8'));
        received.push({ ...parsed, to: session.envelope.rcptTo.map((r) => r.address) });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  return { url: `smtp://127.0.0.1:${port}`, received, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

function splitHead(raw: string): { headers: Map<string, string>; body: string } {
  const at = raw.indexOf('\r\n\r\n');
  const head = at < 0 ? raw : raw.slice(0, at);
  const body = at < 0 ? '' : raw.slice(at + 4);
  const headers = new Map<string, string>();
  for (const line of head.replace(/\r\n[ \t]+/g, ' ').split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim());
  }
  return { headers, body };
}

function decodeTransfer(body: string, encoding: string | undefined): string {
  if (encoding?.toLowerCase() === 'base64') return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  if (encoding?.toLowerCase() === 'quoted-printable') {
    const bytes = body.replace(/=\r\n/g, '').replace(/=([0-9A-F]{2})/gi, (_m, hex: string) => `%${hex}`);
    return decodeURIComponent(bytes.replace(/%(?![0-9A-F]{2})/gi, '%25'));
  }
  return body;
}

/** RFC 2047 encoded words (=?UTF-8?B?…?= and =?UTF-8?Q?…?=). */
function decodeWords(value: string): string {
  return value.replace(/\?=\s+=\?/g, '?==?').replace(/=\?utf-8\?([bq])\?([^?]*)\?=/gi, (_m, kind: string, text: string) =>
    kind.toLowerCase() === 'b'
      ? Buffer.from(text, 'base64').toString('utf8')
      : decodeTransfer(text.replace(/_/g, ' '), 'quoted-printable'),
  );
}

export function parseMessage(raw: string): Omit<ReceivedMail, 'to'> {
  const { headers, body } = splitHead(raw);
  const out = { from: headers.get('from') ?? '', subject: decodeWords(headers.get('subject') ?? ''), text: '', html: '' };
  const boundary = /boundary="?([^";]+)"?/.exec(headers.get('content-type') ?? '')?.[1];
  const parts = boundary ? body.split(`--${boundary}`).slice(1, -1) : [raw];
  for (const part of parts) {
    const p = splitHead(part.replace(/^\r\n/, ''));
    const type = p.headers.get('content-type') ?? '';
    const content = decodeTransfer(p.body.replace(/\r\n$/, ''), p.headers.get('content-transfer-encoding'));
    if (type.startsWith('text/plain')) out.text = content;
    if (type.startsWith('text/html')) out.html = content;
  }
  return out;
}
