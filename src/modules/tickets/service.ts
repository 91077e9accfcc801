// Support tickets: a subscriber's conversation with the operators, optionally about one of their
// lines. Owns `tickets` and `ticket_messages`. Invariants: a ticket belongs to one subscriber and
// another's ticket is not found; its line, when set, is the subscriber's own; a subscriber has at
// most OPEN_TICKETS_PER_USER_MAX tickets that are not closed; a closed ticket takes no message and
// never reopens; every message and status change is one guarded UPDATE plus its insert in one
// transaction, and an operator's reply raises `ticket_reply` and its audit entry in that same
// transaction. Times are the application clock's, like notifications'.
import type { z } from 'zod';
import { clampPageLimit } from '../../db/keyset-page.ts';
import type { Db, Queryable } from '../../db/types.ts';
import { conflict, notFound, validation } from '../../domain/errors.ts';
import { newId } from '../../domain/ids.ts';
import { invariant } from '../../domain/invariant.ts';
import { getUser } from '../accounts/service.ts';
import { recordAudit, type Actor } from '../audit/service.ts';
import { getLineById, getOwnedLine } from '../lines/service.ts';
import { notify } from '../notifications/service.ts';
import { TICKET_CURSOR, type adminTicketSchema, type adminTicketSummarySchema, type ticketSchema, type ticketSummarySchema } from './schemas.ts';
import type { TicketAuthor, TicketStatus } from './statuses.ts';
import { normaliseMessage, normaliseSubject } from './text.ts';

export { TICKET_AUTHORS, TICKET_STATUSES, type TicketAuthor, type TicketStatus } from './statuses.ts';

/** Tickets not closed per subscriber: a 21st answers 422 too_many_open_tickets until one is closed. */
export const OPEN_TICKETS_PER_USER_MAX = 20;
/** Messages per ticket (the database CHECKs it too): a longer conversation continues in a new ticket. */
export const MESSAGES_PER_TICKET_MAX = 200;

export type TicketView = z.infer<typeof ticketSchema>;
export type TicketSummary = z.infer<typeof ticketSummarySchema>;
export type AdminTicketView = z.infer<typeof adminTicketSchema>;
export type AdminTicketSummary = z.infer<typeof adminTicketSummarySchema>;

interface TicketRow {
  id: string;
  user_id: string;
  line_id: string | null;
  subject: string;
  status: TicketStatus;
  message_count: number;
  created_at: Date;
  updated_at: Date;
}

/** Whose ticket: a subscriber reaches only their own (`userId`), an operator any (`null`). */
export type Owner = { userId: string } | null;

const ticketNotFound = () => notFound('ticket_not_found', 'ticket not found');

function summaryOf(r: TicketRow): TicketSummary {
  return {
    id: r.id, subject: r.subject, status: r.status, lineId: r.line_id, messageCount: r.message_count,
    createdAt: r.created_at.toISOString(), updatedAt: r.updated_at.toISOString(),
  };
}

async function loadTicketRow(db: Queryable, ticketId: string, owner: Owner): Promise<TicketRow> {
  const { rows } = await db.query<TicketRow>(
    'SELECT * FROM tickets WHERE id = $1 AND ($2::text IS NULL OR user_id = $2)', [ticketId, owner?.userId ?? null],
  );
  const row = rows[0];
  if (!row) throw ticketNotFound();
  return row;
}

async function viewOf(db: Queryable, row: TicketRow): Promise<TicketView> {
  const { rows } = await db.query<{ author: TicketAuthor; body: string; at: Date }>(
    'SELECT author, body, at FROM ticket_messages WHERE ticket_id = $1 ORDER BY id LIMIT $2', [row.id, MESSAGES_PER_TICKET_MAX],
  );
  const { messageCount: _count, ...summary } = summaryOf(row);
  return { ...summary, messages: rows.map((m) => ({ at: m.at.toISOString(), from: m.author, body: m.body })) };
}

/** The ticket with its thread; 404 ticket_not_found for another subscriber's. */
export async function getTicket(db: Queryable, ticketId: string, owner: Owner): Promise<TicketView> {
  return viewOf(db, await loadTicketRow(db, ticketId, owner));
}

/** The operators' view: the ticket plus the subscriber's email and the line's number. */
export async function getTicketForStaff(db: Queryable, ticketId: string): Promise<AdminTicketView> {
  const row = await loadTicketRow(db, ticketId, null);
  const user = await getUser(db, row.user_id);
  const msisdn = row.line_id === null ? null : (await getLineById(db, row.line_id)).msisdn;
  return { ...(await viewOf(db, row)), userId: row.user_id, email: user.email, msisdn };
}

export interface OpenTicketInput {
  userId: string;
  subject: string;
  body: string;
  lineId?: string | null;
  now: Date;
}

/**
 * Opens a ticket with its first message. The open-ticket limit is counted under a per-subscriber
 * advisory lock, so two tickets opened at once cannot both take the last place.
 */
export async function openTicket(db: Db, input: OpenTicketInput): Promise<TicketView> {
  const subject = normaliseSubject(input.subject);
  const body = normaliseMessage(input.body);
  const lineId = input.lineId ?? null;
  if (lineId !== null) await getOwnedLine(db, input.userId, lineId);
  return db.transaction(async (tx) => {
    await tx.query("SELECT pg_advisory_xact_lock(hashtextextended('tickets:' || $1, 0))", [input.userId]);
    const { rows } = await tx.query<{ n: number }>("SELECT count(*)::int AS n FROM tickets WHERE user_id = $1 AND status <> 'closed'", [input.userId]);
    if ((rows[0]?.n ?? 0) >= OPEN_TICKETS_PER_USER_MAX) {
      throw validation('too_many_open_tickets', `at most ${OPEN_TICKETS_PER_USER_MAX} tickets may be open at once: close one first`);
    }
    const inserted = await tx.query<TicketRow>(
      `INSERT INTO tickets (id, user_id, line_id, subject, status, message_count, created_at, updated_at)
       VALUES ($1, $2, $3, $4, 'open', 1, $5, $5) RETURNING *`,
      [newId('tkt'), input.userId, lineId, subject, input.now],
    );
    const row = inserted.rows[0];
    invariant(row, 'INSERT … RETURNING gave no ticket');
    await tx.query("INSERT INTO ticket_messages (ticket_id, author, body, at) VALUES ($1, 'customer', $2, $3)", [row.id, body, input.now]);
    return viewOf(tx, row);
  });
}

export interface AddMessageInput {
  ticketId: string;
  owner: Owner;
  body: string;
  now: Date;
}

/** Why a guarded UPDATE touched no ticket: not found (thrown), closed, or full (returned). */
async function refusal(tx: Queryable, ticketId: string, owner: Owner): Promise<Error> {
  const row = await loadTicketRow(tx, ticketId, owner); // throws ticket_not_found
  if (row.status === 'closed') return conflict('ticket_closed', 'the ticket is closed: open a new one');
  invariant(row.message_count >= MESSAGES_PER_TICKET_MAX, `ticket ${ticketId} refused a message for no reason`);
  return validation('too_many_ticket_messages', `a ticket holds at most ${MESSAGES_PER_TICKET_MAX} messages: open a new one`);
}

/**
 * Appends a message and moves the ticket to `status` with one guarded UPDATE (not closed, not
 * full), then inserts the message; returns the ticket row after and the new message's id.
 */
async function appendMessage(tx: Queryable, input: AddMessageInput, author: TicketAuthor, status: TicketStatus): Promise<{ row: TicketRow; messageId: string }> {
  const body = normaliseMessage(input.body);
  const { rows } = await tx.query<TicketRow>(
    `UPDATE tickets SET status = $3, message_count = message_count + 1, updated_at = GREATEST(updated_at, $4)
      WHERE id = $1 AND ($2::text IS NULL OR user_id = $2) AND status <> 'closed' AND message_count < $5 RETURNING *`,
    [input.ticketId, input.owner?.userId ?? null, status, input.now, MESSAGES_PER_TICKET_MAX],
  );
  const row = rows[0];
  if (!row) throw await refusal(tx, input.ticketId, input.owner);
  const message = await tx.query<{ id: string }>(
    'INSERT INTO ticket_messages (ticket_id, author, body, at) VALUES ($1, $2, $3, $4) RETURNING id::text AS id', [row.id, author, body, input.now],
  );
  invariant(message.rows[0], 'INSERT … RETURNING gave no message');
  return { row, messageId: message.rows[0].id };
}

/** The subscriber writes: an answered ticket is open again (waiting for support); a closed one is 409 ticket_closed. */
export async function addCustomerMessage(db: Db, input: AddMessageInput & { owner: { userId: string } }): Promise<TicketView> {
  return db.transaction(async (tx) => viewOf(tx, (await appendMessage(tx, input, 'customer', 'open')).row));
}

/**
 * An operator answers: the ticket is `answered`, the subscriber gets `ticket_reply` (once per
 * message: the dedupe key is the message id) and the audit log the reply, all in one transaction.
 */
export async function addOperatorReply(db: Db, actor: Actor, input: Omit<AddMessageInput, 'owner'>): Promise<AdminTicketView> {
  await db.transaction(async (tx) => {
    const { row, messageId } = await appendMessage(tx, { ...input, owner: null }, 'operator', 'answered');
    await notify(tx, {
      now: input.now, userId: row.user_id, kind: 'ticket_reply', lineId: row.line_id,
      data: { ticketId: row.id, subject: row.subject }, dedupeKey: `ticket_reply:${messageId}`,
    });
    await recordAudit(tx, actor, { action: 'ticket.reply', targetType: 'ticket', targetId: row.id, at: input.now, details: { messageId } });
  });
  return getTicketForStaff(db, input.ticketId);
}

/**
 * Closes the ticket (guarded: only one not yet closed changes). Closing a closed ticket again
 * changes nothing and is not an error; an operator's close is audited.
 */
export async function closeTicket(db: Db, input: { ticketId: string; owner: Owner; now: Date; actor?: Actor }): Promise<void> {
  await db.transaction(async (tx) => {
    const { rows } = await tx.query<{ id: string }>(
      `UPDATE tickets SET status = 'closed', updated_at = GREATEST(updated_at, $3)
        WHERE id = $1 AND ($2::text IS NULL OR user_id = $2) AND status <> 'closed' RETURNING id`,
      [input.ticketId, input.owner?.userId ?? null, input.now],
    );
    if (rows.length === 0) {
      await loadTicketRow(tx, input.ticketId, input.owner);
      return;
    }
    if (input.actor) await recordAudit(tx, input.actor, { action: 'ticket.close', targetType: 'ticket', targetId: input.ticketId, at: input.now });
  });
}

export interface TicketFilter {
  owner: Owner;
  status?: TicketStatus;
  /** `newest`: latest activity first; `oldest`: the longest waiting first (the operators' open queue). */
  order: 'newest' | 'oldest';
  limit: number;
  cursor?: string;
}

/** A page of tickets, keyset-paged on (updated_at, id); the cursor carries both (schemas.ts). */
export async function listTickets(db: Queryable, filter: TicketFilter): Promise<{ items: Array<TicketSummary & { userId: string }>; nextCursor: string | null }> {
  const limit = clampPageLimit(filter.limit);
  const cursor = filter.cursor === undefined ? null : TICKET_CURSOR.exec(filter.cursor);
  if (filter.cursor !== undefined && !cursor) throw validation('validation', 'cursor must be a nextCursor from a previous page', [{ path: 'cursor', message: 'malformed' }]);
  const after = cursor ? new Date(Number(cursor[1])) : null;
  // Two spellings of one query: the direction decides both the comparison and the index order.
  const [compare, direction] = filter.order === 'newest' ? ['<', 'DESC'] : ['>', 'ASC'];
  const { rows } = await db.query<TicketRow>(
    `SELECT * FROM tickets
      WHERE ($1::text IS NULL OR user_id = $1) AND ($2::text IS NULL OR status = $2)
        AND ($3::timestamptz IS NULL OR (updated_at, id) ${compare} ($3, $4::text))
      ORDER BY updated_at ${direction}, id ${direction} LIMIT $5`,
    [filter.owner?.userId ?? null, filter.status ?? null, after, cursor?.[2] ?? null, limit + 1],
  );
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return {
    items: page.map((r) => ({ ...summaryOf(r), userId: r.user_id })),
    nextCursor: rows.length > limit && last ? `${last.updated_at.getTime()}_${last.id}` : null,
  };
}
