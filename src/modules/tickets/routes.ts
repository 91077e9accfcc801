// HTTP for support tickets (API.md "Support"): subscribers open, read, answer and close their own
// tickets (another's answers 404 ticket_not_found; a carrier token 403); operators list every
// ticket, answer (the subscriber gets ticket_reply) and close. Creating a ticket or a message
// accepts an optional Idempotency-Key, so a double-submitted form writes once.
import { STAFF, actorOf, guard, principalOf } from '../../http/auth.ts';
import { sendIdempotent } from '../../http/idempotency.ts';
import { problemResponses } from '../../http/problem.ts';
import type { AppDeps } from '../../app-deps.ts';
import type { App } from '../../http/types.ts';
import {
  adminTicketPageSchema, adminTicketSchema, createTicketBody, ticketIdParams, ticketMessageBody, ticketPageSchema, ticketSchema, ticketsQuery,
} from './schemas.ts';
import { addCustomerMessage, addOperatorReply, closeTicket, getTicket, getTicketForStaff, listTickets, openTicket } from './service.ts';

const tags = ['tickets'];
const adminTags = ['admin'];

export function ticketsRoutes(app: App, deps: AppDeps): void {
  const { db, clock } = deps;
  const customer = guard('authenticated');
  const staff = guard(STAFF);
  const writeProblems = problemResponses(400, 401, 403, 404, 409, 413, 415, 422);

  app.post('/api/v1/tickets', { schema: { tags, body: createTicketBody, response: { 201: ticketSchema, ...writeProblems } }, onRequest: customer }, async (request, reply) => {
    const { userId } = principalOf(request);
    return sendIdempotent(db, request, reply, async () => ({ status: 201, body: await openTicket(db, { userId, ...request.body, now: clock.now() }) }));
  });

  app.get('/api/v1/tickets', {
    schema: { tags, querystring: ticketsQuery, response: { 200: ticketPageSchema, ...problemResponses(400, 401, 403) } }, onRequest: customer,
  }, async (request) => {
    const page = await listTickets(db, { owner: { userId: principalOf(request).userId }, order: 'newest', ...request.query });
    return { items: page.items.map(({ userId: _owner, ...ticket }) => ticket), nextCursor: page.nextCursor };
  });

  app.get('/api/v1/tickets/:id', {
    schema: { tags, params: ticketIdParams, response: { 200: ticketSchema, ...problemResponses(400, 401, 403, 404) } }, onRequest: customer,
  }, async (request) => getTicket(db, request.params.id, { userId: principalOf(request).userId }));

  app.post('/api/v1/tickets/:id/messages', {
    schema: { tags, params: ticketIdParams, body: ticketMessageBody, response: { 201: ticketSchema, ...writeProblems } }, onRequest: customer,
  }, async (request, reply) => {
    const owner = { userId: principalOf(request).userId };
    return sendIdempotent(db, request, reply, async () => ({
      status: 201, body: await addCustomerMessage(db, { ticketId: request.params.id, owner, body: request.body.body, now: clock.now() }),
    }));
  });

  app.post('/api/v1/tickets/:id/close', {
    schema: { tags, params: ticketIdParams, response: { 200: ticketSchema, ...problemResponses(400, 401, 403, 404, 413, 415) } }, onRequest: customer,
  }, async (request) => {
    const owner = { userId: principalOf(request).userId };
    await closeTicket(db, { ticketId: request.params.id, owner, now: clock.now() });
    return getTicket(db, request.params.id, owner);
  });

  app.get('/api/v1/admin/tickets', {
    schema: {
      tags: adminTags, description: 'status=open lists the longest waiting first; any other filter, or none, the latest activity first', querystring: ticketsQuery,
      response: { 200: adminTicketPageSchema, ...problemResponses(400, 401, 403) },
    },
    onRequest: staff,
  }, async (request) => listTickets(db, { owner: null, order: request.query.status === 'open' ? 'oldest' : 'newest', ...request.query }));

  app.get('/api/v1/admin/tickets/:id', {
    schema: { tags: adminTags, params: ticketIdParams, response: { 200: adminTicketSchema, ...problemResponses(400, 401, 403, 404) } }, onRequest: staff,
  }, async (request) => getTicketForStaff(db, request.params.id));

  app.post('/api/v1/admin/tickets/:id/messages', {
    schema: { tags: adminTags, params: ticketIdParams, body: ticketMessageBody, response: { 201: adminTicketSchema, ...writeProblems } }, onRequest: staff,
  }, async (request, reply) => {
    const input = { ticketId: request.params.id, body: request.body.body, now: clock.now() };
    return sendIdempotent(db, request, reply, async () => ({ status: 201, body: await addOperatorReply(db, actorOf(request), input) }));
  });

  app.post('/api/v1/admin/tickets/:id/close', {
    schema: { tags: adminTags, params: ticketIdParams, response: { 200: adminTicketSchema, ...problemResponses(400, 401, 403, 404, 413, 415) } }, onRequest: staff,
  }, async (request) => {
    await closeTicket(db, { ticketId: request.params.id, owner: null, now: clock.now(), actor: actorOf(request) });
    return getTicketForStaff(db, request.params.id);
  });
}
