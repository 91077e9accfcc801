// Which of the calendar's deadlines is the one a line's "number safe until" advice is about: the act due
// at the instant the line must act by (the line view's actionBy: the lapse while active, the recycling
// while in grace or suspended). Pure and free of imports, so the card and the line page pick the same
// one and a unit test runs it as it is.

/** The part of a calendar deadline (GET /calendar items) the choice reads. */
interface DatedDeadline {
  lineId: string;
  kind: string;
  at: string;
}

export function keepingDeadline<D extends DatedDeadline>(line: { id: string; actionBy: string | null }, deadlines: readonly D[]): D | null {
  const own = deadlines.filter((d) => d.lineId === line.id);
  if (line.actionBy === null) {
    // Nothing the subscriber can do by a date (an operator's suspension): the deadline that loses the
    // number says what to do instead (contact support).
    return own.find((d) => d.kind === 'recycling') ?? null;
  }
  const by = Date.parse(line.actionBy);
  // The server lists deadlines soonest first and, at one instant, in lifecycle order (expiry before
  // suspension), so the first one at `by` is the act that keeps the line going.
  return own.find((d) => Date.parse(d.at) === by) ?? null;
}
