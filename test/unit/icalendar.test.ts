import { describe, expect, it } from 'vitest';
import { escapeIcsText, foldIcsLine, icsDateTime, renderIcsCalendar } from '../../src/domain/icalendar.ts';

describe('iCalendar text (RFC 5545)', () => {
  it('folds content lines at 75 octets without splitting a UTF-8 character', () => {
    const line = `SUMMARY:${'号'.repeat(40)}${'a'.repeat(100)}`;
    const folded = foldIcsLine(line);
    const parts = folded.split('\r\n');
    expect(parts.length).toBeGreaterThan(2);
    for (const p of parts) expect(Buffer.byteLength(p, 'utf8')).toBeLessThanOrEqual(75);
    for (const p of parts.slice(1)) expect(p.startsWith(' ')).toBe(true);
    expect(parts.map((p, i) => (i === 0 ? p : p.slice(1))).join('')).toBe(line);
    expect(folded).not.toContain('\uFFFD');
    expect(foldIcsLine('a'.repeat(75))).toBe('a'.repeat(75));
  });

  it('escapes TEXT and writes UTC date-times', () => {
    expect(escapeIcsText('a,b;c\\d\ne')).toBe('a\\,b\\;c\\\\d\\ne');
    expect(icsDateTime(new Date('2026-12-06T12:34:56.789Z'))).toBe('20261206T123456Z');
  });

  it('wraps events in one VCALENDAR, every line ending in CRLF', () => {
    const text = renderIcsCalendar({
      productId: '-//t//t//EN', name: 'n',
      events: [{ uid: 'u1@t', stamp: new Date(0), start: new Date(86_400_000), summary: 's', description: 'd' }],
    });
    expect(text.startsWith('BEGIN:VCALENDAR\r\nVERSION:2.0\r\n')).toBe(true);
    expect(text.endsWith('END:VEVENT\r\nEND:VCALENDAR\r\n')).toBe(true);
    expect(text).toContain('\r\nDTSTART:19700102T000000Z\r\n');
    expect(text.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
  });
});
