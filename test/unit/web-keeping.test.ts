// Which calendar deadline a line card and the line page show as "the cheapest act that keeps the
// number" (web/src/features/lines/keeping.ts): the one due at the line's actionBy.
import { describe, expect, it } from 'vitest';
import { keepingDeadline } from '../../web/src/features/lines/keeping.ts';

type Kind = 'expiry' | 'keepalive' | 'renewal' | 'suspension' | 'recycling';
type Action = 'renew' | 'recharge' | 'use_line' | 'auto_renew_scheduled' | 'contact_support';
interface Deadline {
  lineId: string; msisdn: string | null; nickname: string | null; kind: Kind; at: string; action: Action;
  price?: { amount: number; currency: string }; plan?: { id: string; name: string };
}

const usd = (amount: number) => ({ amount, currency: 'USD' });
const plan = { id: 'plan_keep', name: 'Keep-alive 30 days' };
const topup = { id: 'plan_topup', name: 'Top-up $5' };

function deadline(lineId: string, kind: Kind, at: string, action: Action, priced?: { amount: number; plan: typeof plan }): Deadline {
  return { lineId, msisdn: null, nickname: null, kind, at, action, ...(priced ? { price: usd(priced.amount), plan: priced.plan } : {}) };
}

// The server's order: soonest first, at one instant in lifecycle order (renewal, keepalive, expiry, suspension, recycling).
const CALENDAR: Deadline[] = [
  deadline('line_b', 'renewal', '2027-01-10T00:00:00.000Z', 'auto_renew_scheduled', { amount: 300, plan }),
  deadline('line_a', 'expiry', '2027-01-12T00:00:00.000Z', 'renew', { amount: 300, plan }),
  deadline('line_b', 'expiry', '2027-01-12T00:00:00.000Z', 'auto_renew_scheduled', { amount: 300, plan }),
  deadline('line_b', 'suspension', '2027-01-12T00:00:00.000Z', 'renew', { amount: 300, plan }),
  deadline('line_a', 'keepalive', '2027-02-01T00:00:00.000Z', 'recharge', { amount: 500, plan: topup }),
  deadline('line_c', 'recycling', '2027-03-01T00:00:00.000Z', 'contact_support'),
  deadline('line_a', 'recycling', '2027-03-03T00:00:00.000Z', 'recharge', { amount: 500, plan: topup }),
];

describe('the keeping act of a line', () => {
  it('is the deadline at the instant the line must act by, not merely its soonest one', () => {
    // line_a's plan ends on 12 Jan but its keep-alive window runs to 1 Feb: that is when it lapses.
    expect(keepingDeadline({ id: 'line_a', actionBy: '2027-02-01T00:00:00.000Z' }, CALENDAR)).toEqual(CALENDAR[4]);
    expect(keepingDeadline({ id: 'line_a', actionBy: '2027-01-12T00:00:00.000Z' }, CALENDAR)).toEqual(CALENDAR[1]);
  });

  it('at one instant takes the first in lifecycle order: the expiry that auto-renew pays, not the suspension after it', () => {
    expect(keepingDeadline({ id: 'line_b', actionBy: '2027-01-12T00:00:00.000Z' }, CALENDAR)?.action).toBe('auto_renew_scheduled');
  });

  it('compares instants, not their spelling', () => {
    expect(keepingDeadline({ id: 'line_a', actionBy: '2027-02-01T00:00:00Z' }, CALENDAR)).toEqual(CALENDAR[4]);
  });

  it('with no date to act by (an operator suspension) is the recycling deadline, which says to contact support', () => {
    expect(keepingDeadline({ id: 'line_c', actionBy: null }, CALENDAR)?.action).toBe('contact_support');
  });

  it('is none when the calendar has nothing for the line at that instant (beyond its reach) or nothing for the line at all', () => {
    expect(keepingDeadline({ id: 'line_a', actionBy: '2028-01-01T00:00:00.000Z' }, CALENDAR)).toBeNull();
    expect(keepingDeadline({ id: 'line_z', actionBy: '2027-01-12T00:00:00.000Z' }, CALENDAR)).toBeNull();
    expect(keepingDeadline({ id: 'line_z', actionBy: null }, [])).toBeNull();
  });
});
