// RFC 5545 (iCalendar) text for the deadline feed: a VCALENDAR of VEVENTs. Content lines end in CRLF
// and are folded at 75 octets (a continuation starts with one space, which counts toward its 75), never
// inside a UTF-8 sequence — zh-CN summaries are 3 octets a character. TEXT values escape backslash,
// semicolon, comma and newline (§3.3.11). Times are UTC date-times (`20261206T120000Z`).

export interface IcsEvent {
  /** Globally unique and stable: a calendar app replaces the event with the same UID on the next poll. */
  readonly uid: string;
  readonly stamp: Date;
  readonly start: Date;
  readonly summary: string;
  readonly description?: string;
}

export interface IcsCalendar {
  readonly productId: string;
  readonly name: string;
  readonly events: readonly IcsEvent[];
}

const LINE_OCTETS_MAX = 75;
const CRLF = '\r\n';

/** `20261206T120000Z` */
export function icsDateTime(at: Date): string {
  return at.toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '');
}

export function escapeIcsText(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/;/g, '\\;').replace(/,/g, '\\,').replace(/\r\n|\r|\n/g, '\\n');
}

/** Splits one content line into folded physical lines of at most 75 octets each. */
export function foldIcsLine(line: string): string {
  const parts: string[] = [];
  let current = '';
  let octets = 0;
  for (const char of line) {
    const size = Buffer.byteLength(char, 'utf8');
    if (octets + size > LINE_OCTETS_MAX) {
      parts.push(current);
      current = ' ';
      octets = 1;
    }
    current += char;
    octets += size;
  }
  parts.push(current);
  return parts.join(CRLF);
}

export function renderIcsCalendar(calendar: IcsCalendar): string {
  const lines = [
    'BEGIN:VCALENDAR', 'VERSION:2.0', `PRODID:${calendar.productId}`, 'CALSCALE:GREGORIAN', 'METHOD:PUBLISH',
    `X-WR-CALNAME:${escapeIcsText(calendar.name)}`,
  ];
  for (const event of calendar.events) {
    lines.push(
      'BEGIN:VEVENT', `UID:${escapeIcsText(event.uid)}`, `DTSTAMP:${icsDateTime(event.stamp)}`, `DTSTART:${icsDateTime(event.start)}`,
      `SUMMARY:${escapeIcsText(event.summary)}`,
    );
    if (event.description !== undefined) lines.push(`DESCRIPTION:${escapeIcsText(event.description)}`);
    lines.push('TRANSP:TRANSPARENT', 'END:VEVENT');
  }
  lines.push('END:VCALENDAR');
  return lines.map(foldIcsLine).join(CRLF) + CRLF;
}
