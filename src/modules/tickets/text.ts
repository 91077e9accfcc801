// What a subject and a message may hold. Both are shown back to the subscriber, in the operators'
// console and in e-mails, so, like a line's nickname, they may not carry control characters (a BEL
// or an ANSI escape in an operator's terminal) nor bidirectional overrides ("Trojan Source"). A
// message keeps its line breaks and tabs (CRLF becomes LF); a subject is one line. Lengths count
// characters (code points), as the database's char_length does, after trimming.
import { validation } from '../../domain/errors.ts';

export const SUBJECT_CHARS_MAX = 200;
export const MESSAGE_CHARS_MAX = 5000;

// eslint-disable-next-line no-control-regex -- finding control characters is the point
const FORBIDDEN_IN_SUBJECT = /[\u0000-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]/u;
// eslint-disable-next-line no-control-regex -- the same, but a message keeps tabs (U+0009) and line breaks (U+000A)
const FORBIDDEN_IN_MESSAGE = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]/u;

function checked(text: string, rule: { forbidden: RegExp; charsMax: number; code: string; path: string; what: string }): string {
  const refuse = (message: string) => validation(rule.code, `the ${rule.what} ${message}`, [{ path: rule.path, message }]);
  if (text === '') throw refuse('must not be empty');
  const found = rule.forbidden.exec(text);
  if (found) {
    const codePoint = `U+${(found[0].codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
    throw refuse(`contains ${codePoint}: control characters and bidirectional overrides are not allowed`);
  }
  if ([...text].length > rule.charsMax) throw refuse(`must be at most ${rule.charsMax} characters`);
  return text;
}

/** The trimmed subject; 422 invalid_ticket_subject when empty, too long or holding a control character. */
export function normaliseSubject(input: string): string {
  return checked(input.trim(), { forbidden: FORBIDDEN_IN_SUBJECT, charsMax: SUBJECT_CHARS_MAX, code: 'invalid_ticket_subject', path: 'subject', what: 'subject' });
}

/** The trimmed message with LF line breaks; 422 invalid_ticket_message when empty, too long or holding a control character. */
export function normaliseMessage(input: string): string {
  return checked(input.replace(/\r\n?/g, '\n').trim(), {
    forbidden: FORBIDDEN_IN_MESSAGE, charsMax: MESSAGE_CHARS_MAX, code: 'invalid_ticket_message', path: 'body', what: 'message',
  });
}
