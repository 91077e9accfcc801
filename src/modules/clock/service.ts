// The one clock every time rule reads. In sandbox mode it is wall time plus an offset stored in
// the database (POST /api/v1/sandbox/clock moves it forward, like a payment provider's test
// clock), shared by every process; each process refreshes its cached offset at least every second.
import type { Queryable } from '../../db/types.ts';
import { DomainError } from '../../domain/errors.ts';

export const MAX_ADVANCE_SECONDS = 5 * 365 * 24 * 3600;

export interface Clock {
  now(): Date;
}

export class AppClock implements Clock {
  private offsetMs = 0;
  constructor(readonly sandbox: boolean) {}

  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }

  async refresh(db: Queryable): Promise<void> {
    if (!this.sandbox) return;
    const { rows } = await db.query<{ offset_ms: number }>('SELECT offset_ms FROM sandbox_clock WHERE id = 1');
    this.offsetMs = Math.max(this.offsetMs, rows[0]?.offset_ms ?? 0);
  }

  /** Moves the shared clock forward; it never goes back (time-driven work must not run twice). */
  async advance(db: Queryable, seconds: number): Promise<Date> {
    if (!this.sandbox) throw new DomainError('not_found', 'not_found', 'the sandbox clock is off');
    const { rows } = await db.query<{ offset_ms: number }>(
      'UPDATE sandbox_clock SET offset_ms = offset_ms + $1 WHERE id = 1 RETURNING offset_ms',
      [Math.round(seconds * 1000)],
    );
    this.offsetMs = Math.max(this.offsetMs, rows[0]?.offset_ms ?? 0);
    return this.now();
  }
}

/**
 * Wall time, for what must not follow the sandbox clock (API.md): sessions and API tokens (expiry,
 * last use), login, registration and PIN lockouts. Advancing the sandbox clock logs nobody out.
 */
export const wallClock: Clock = { now: () => new Date() };

/** A clock fixed or moved by hand, for unit tests of time rules. */
export class ManualClock implements Clock {
  constructor(private current: Date) {}
  now(): Date {
    return new Date(this.current.getTime());
  }
  set(at: Date): void {
    this.current = at;
  }
}
