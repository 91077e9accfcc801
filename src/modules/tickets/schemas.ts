// Request and answer shapes of the support routes (API.md "Support"). Subject and message bodies
// carry only a generous length bound here (a body limit, not the rule): trimming, the character
// limits and the control-character rule answer 422 from text.ts, as a nickname's do.
import { z } from 'zod';
import { pageLimitParam } from '../../db/keyset-page.ts';
import { TICKET_AUTHORS, TICKET_STATUSES } from './statuses.ts';
import { MESSAGE_CHARS_MAX, SUBJECT_CHARS_MAX } from './text.ts';

/** Four UTF-16 units per allowed character: room for surrogate pairs and surrounding blanks, not for megabytes. */
const LENGTH_BOUND_FACTOR = 4;

const subjectField = z.string().max(SUBJECT_CHARS_MAX * LENGTH_BOUND_FACTOR)
  .describe(`1–${SUBJECT_CHARS_MAX} characters after trimming, one line, no control characters (else 422 invalid_ticket_subject)`);
const messageField = z.string().max(MESSAGE_CHARS_MAX * LENGTH_BOUND_FACTOR)
  .describe(`1–${MESSAGE_CHARS_MAX} characters after trimming; line breaks and tabs kept, no other control characters (else 422 invalid_ticket_message)`);

export const createTicketBody = z.object({
  subject: subjectField,
  body: messageField,
  lineId: z.string().min(1).max(100).nullable().optional().describe('one of the caller\'s lines (else 404 line_not_found)'),
});

export const ticketMessageBody = z.object({ body: messageField });

export const ticketIdParams = z.object({ id: z.string().min(1).max(100) });

/** A page cursor: the last ticket's activity time (ms) and id, so a ticket answered meanwhile neither repeats nor hides another. */
export const TICKET_CURSOR = /^(\d{1,15})_(tkt_[A-Za-z0-9]{1,64})$/;

export const ticketsQuery = z.object({
  status: z.enum(TICKET_STATUSES).optional(),
  limit: pageLimitParam(),
  cursor: z.string().regex(TICKET_CURSOR, 'must be a nextCursor from a previous page').optional(),
});

export const ticketMessageSchema = z.object({
  at: z.string(),
  from: z.enum(TICKET_AUTHORS),
  body: z.string(),
});

export const ticketSchema = z.object({
  id: z.string(),
  subject: z.string(),
  status: z.enum(TICKET_STATUSES).describe('open: waiting for support; answered: waiting for the subscriber; closed: final'),
  lineId: z.string().nullable(),
  messages: z.array(ticketMessageSchema).describe('oldest first'),
  createdAt: z.string(),
  updatedAt: z.string().describe('the last message or status change'),
});

/** A list item: the ticket without its thread (read it with GET …/tickets/{id}). */
export const ticketSummarySchema = ticketSchema.omit({ messages: true }).extend({
  messageCount: z.number().int(),
});

export const ticketPageSchema = z.object({ items: z.array(ticketSummarySchema), nextCursor: z.string().nullable() });

/** The operators' view: the ticket with whom it is from and the line's number. */
export const adminTicketSchema = ticketSchema.extend({
  userId: z.string(),
  email: z.string().describe('the subscriber\'s email'),
  msisdn: z.string().nullable().describe('the linked line\'s phone number'),
});

export const adminTicketSummarySchema = ticketSummarySchema.extend({ userId: z.string() });

export const adminTicketPageSchema = z.object({
  items: z.array(adminTicketSummarySchema),
  nextCursor: z.string().nullable(),
});
