// Support tickets (API.md "Support") through HTTP: a subscriber opens a ticket about their line, an
// operator answers (the subscriber gets ticket_reply, in-app and by email with a link to the
// ticket), the subscriber answers back and closes; only the owner sees a ticket, a closed one takes
// no message, bad text is refused and changes nothing, lists page on the latest activity.
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { MESSAGES_PER_TICKET_MAX, OPEN_TICKETS_PER_USER_MAX } from '../../src/modules/tickets/service.ts';
import { forEachDatabase, type Response, type TestContext } from '../support/harness.ts';
import { customerWithLine } from '../support/lines-fixtures.ts';
import { startSmtpSink } from '../support/notifications.ts';

const sink = await startSmtpSink();
afterAll(() => sink.close());

interface Ticket {
  id: string;
  subject: string;
  status: string;
  lineId: string | null;
  messages: Array<{ at: string; from: string; body: string }>;
  createdAt: string;
  updatedAt: string;
}

async function openTicket(ctx: TestContext, token: string, body: Record<string, unknown> = {}): Promise<Ticket> {
  const r = await ctx.post<Ticket>('/api/v1/tickets', { subject: 'My number', body: 'Please help', ...body }, { token });
  if (r.status !== 201) throw new Error(`open ticket failed: ${r.status} ${r.text}`);
  return r.json;
}

async function ticketCount(ctx: TestContext): Promise<number> {
  const { rows } = await ctx.db.query<{ n: number }>('SELECT (SELECT count(*) FROM tickets) + (SELECT count(*) FROM ticket_messages) AS n');
  return Number(rows[0]?.n ?? 0);
}

/** Every page of a list, following nextCursor. */
async function walk<T>(ctx: TestContext, path: string, token: string): Promise<T[]> {
  const seen: T[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 100; page++) {
    const separator = path.includes('?') ? '&' : '?';
    const r: Response<{ items: T[]; nextCursor: string | null }> = await ctx.get(`${path}${cursor ? `${separator}cursor=${encodeURIComponent(cursor)}` : ''}`, { token });
    expect(r.status, r.text).toBe(200);
    seen.push(...r.json.items);
    cursor = r.json.nextCursor;
    if (!cursor) return seen;
  }
  throw new Error('more than 100 pages');
}

forEachDatabase('support tickets', (get) => {
  describe('the round trip', () => {
    it('opens a ticket about a line, gets an operator reply with a notification, answers back and closes it', async () => {
      const ctx = get();
      const { customer, lineId, card } = await customerWithLine(ctx);
      const opened = await ctx.post<Ticket>('/api/v1/tickets', { subject: '  Number not working  ', body: 'No signal since\r\nyesterday.\n', lineId }, { token: customer.token });
      expect(opened.status).toBe(201);
      const now = (await ctx.get('/api/v1/sandbox/clock')).json.now as string;
      expect(opened.json).toEqual({
        id: expect.stringMatching(/^tkt_/), subject: 'Number not working', status: 'open', lineId,
        messages: [{ at: opened.json.createdAt, from: 'customer', body: 'No signal since\nyesterday.' }],
        createdAt: expect.any(String), updatedAt: opened.json.createdAt,
      });
      // The application clock, as notifications use: the sandbox clock, not the database's.
      expect(Math.abs(Date.parse(opened.json.createdAt) - Date.parse(now))).toBeLessThan(60_000);
      const id = opened.json.id;
      const list = await ctx.get('/api/v1/tickets', { token: customer.token });
      const { messages: _thread, ...summary } = opened.json;
      expect(list.json).toEqual({ items: [{ ...summary, messageCount: 1 }], nextCursor: null });

      const admin = await ctx.adminToken();
      const staffView = await ctx.get(`/api/v1/admin/tickets/${id}`, { token: admin });
      expect(staffView.status).toBe(200);
      expect(staffView.json).toEqual({ ...opened.json, userId: customer.user.id, email: customer.email, msisdn: card.msisdn });

      await ctx.advance(3600);
      const reply = await ctx.post<Ticket>(`/api/v1/admin/tickets/${id}/messages`, { body: 'We reset your line. Try again?' }, { token: admin });
      expect(reply.status).toBe(201);
      expect(reply.json.status).toBe('answered');
      expect(reply.json.messages.map((m) => m.from)).toEqual(['customer', 'operator']);
      expect(Date.parse(reply.json.updatedAt) - Date.parse(opened.json.updatedAt)).toBeGreaterThanOrEqual(3600_000);

      const seen = await ctx.get<Ticket>(`/api/v1/tickets/${id}`, { token: customer.token });
      expect(seen.json).toMatchObject({ status: 'answered', messages: [{ from: 'customer' }, { from: 'operator', body: 'We reset your line. Try again?' }] });
      const notifications = await ctx.get('/api/v1/notifications', { token: customer.token });
      expect(notifications.json.items).toEqual([
        expect.objectContaining({ kind: 'ticket_reply', lineId, ticketId: id, title: 'New reply: Number not working', createdAt: reply.json.updatedAt }),
      ]);
      await ctx.drain();
      const mail = sink.received.find((m) => m.to.includes(customer.email));
      expect(mail?.subject).toBe('New reply: Number not working');
      expect(mail?.text).toContain(`${ctx.app.deps.config.publicUrl}/tickets/${id}`);
      expect(mail?.html).toContain(`href="${ctx.app.deps.config.publicUrl}/tickets/${id}"`);

      const back = await ctx.post<Ticket>(`/api/v1/tickets/${id}/messages`, { body: 'Works now, thanks!' }, { token: customer.token });
      expect(back.status).toBe(201);
      expect(back.json.status).toBe('open');
      expect(back.json.messages).toHaveLength(3);

      const closed = await ctx.post<Ticket>(`/api/v1/tickets/${id}/close`, undefined, { token: customer.token });
      expect(closed.status).toBe(200);
      expect(closed.json.status).toBe('closed');
      const again = await ctx.post<Ticket>(`/api/v1/tickets/${id}/close`, undefined, { token: customer.token });
      expect(again.status).toBe(200);
      expect(again.json).toEqual(closed.json);

      const refused = await ctx.post(`/api/v1/tickets/${id}/messages`, { body: 'One more thing' }, { token: customer.token });
      expect(refused.status).toBe(409);
      expect(refused.json.code).toBe('ticket_closed');
      const refusedStaff = await ctx.post(`/api/v1/admin/tickets/${id}/messages`, { body: 'Anything else?' }, { token: admin });
      expect(refusedStaff.status).toBe(409);
      expect(refusedStaff.json.code).toBe('ticket_closed');
      expect((await ctx.get<Ticket>(`/api/v1/tickets/${id}`, { token: customer.token })).json.messages).toHaveLength(3);
      expect((await ctx.get('/api/v1/notifications', { token: customer.token })).json.items).toHaveLength(1);
    });

    it('lets an operator answer and close, each in the audit log; a zh-CN subscriber is told in Chinese', async () => {
      const ctx = get();
      const customer = await ctx.customer('zh-CN');
      const ticket = await openTicket(ctx, customer.token, { subject: '号码无法激活' });
      expect(ticket.lineId).toBeNull();
      const admin = await ctx.adminToken();
      const email = `op-${randomBytes(4).toString('hex')}@example.test`;
      const password = `Op-${randomBytes(9).toString('base64url')}`;
      expect((await ctx.post('/api/v1/admin/users', { email, password, role: 'operator' }, { token: admin })).status).toBe(201);
      const operator = (await ctx.post('/api/v1/auth/login', { email, password })).json.token as string;

      const reply = await ctx.post(`/api/v1/admin/tickets/${ticket.id}/messages`, { body: '请重启手机。' }, { token: operator });
      expect(reply.status).toBe(201);
      expect(reply.json).toMatchObject({ status: 'answered', email: customer.email, msisdn: null, userId: customer.user.id });
      const closed = await ctx.post(`/api/v1/admin/tickets/${ticket.id}/close`, undefined, { token: operator });
      expect(closed.status).toBe(200);
      expect(closed.json.status).toBe('closed');

      const audit = await ctx.get(`/api/v1/admin/audit?target=${ticket.id}`, { token: admin });
      expect(audit.json.items.map((e: { action: string; actorRole: string }) => [e.action, e.actorRole])).toEqual([['ticket.close', 'operator'], ['ticket.reply', 'operator']]);
      const notifications = await ctx.get('/api/v1/notifications', { token: customer.token });
      expect(notifications.json.items).toEqual([expect.objectContaining({ kind: 'ticket_reply', title: '新回复：号码无法激活' })]);
      expect(notifications.json.items[0].lineId).toBeUndefined();
    });

    it('writes a double-submitted ticket once under one Idempotency-Key', async () => {
      const ctx = get();
      const customer = await ctx.customer();
      const headers = { 'idempotency-key': `tkt-${randomBytes(6).toString('hex')}` };
      const first = await ctx.post('/api/v1/tickets', { subject: 'Twice', body: 'Clicked twice' }, { token: customer.token, headers });
      const second = await ctx.post('/api/v1/tickets', { subject: 'Twice', body: 'Clicked twice' }, { token: customer.token, headers });
      expect(first.status).toBe(201);
      expect(second.status).toBe(201);
      expect(second.json.id).toBe(first.json.id);
      expect(second.headers['idempotent-replayed']).toBe('true');
      expect((await ctx.get('/api/v1/tickets', { token: customer.token })).json.items).toHaveLength(1);
    });
  });

  describe('who may see what', () => {
    it('answers 404 for another subscriber\'s ticket and line, and for an unknown ticket', async () => {
      const ctx = get();
      const owner = await ctx.customer();
      const ticket = await openTicket(ctx, owner.token);
      const stranger = await customerWithLine(ctx);
      const before = await ticketCount(ctx);
      for (const [method, path, body] of [
        ['GET', `/api/v1/tickets/${ticket.id}`, undefined],
        ['POST', `/api/v1/tickets/${ticket.id}/messages`, { body: 'hi' }],
        ['POST', `/api/v1/tickets/${ticket.id}/close`, undefined],
        ['GET', '/api/v1/tickets/tkt_unknown', undefined],
      ] as const) {
        const r = await ctx.call(method, path, { token: stranger.customer.token, ...(body ? { body } : {}) });
        expect(r.status, `${method} ${path}`).toBe(404);
        expect(r.json.code).toBe('ticket_not_found');
      }
      expect((await ctx.get('/api/v1/tickets', { token: stranger.customer.token })).json.items).toEqual([]);
      const othersLine = await ctx.post('/api/v1/tickets', { subject: 'x', body: 'y', lineId: stranger.lineId }, { token: owner.token });
      expect(othersLine.status).toBe(404);
      expect(othersLine.json.code).toBe('line_not_found');
      expect(await ticketCount(ctx)).toBe(before);
      expect((await ctx.get<Ticket>(`/api/v1/tickets/${ticket.id}`, { token: owner.token })).json.status).toBe('open');
      expect((await ctx.get('/api/v1/admin/tickets/tkt_unknown', { token: await ctx.adminToken() })).json.code).toBe('ticket_not_found');
    });

    it('refuses a carrier token everywhere and a subscriber the operators\' routes (403), and asks for a login (401)', async () => {
      const ctx = get();
      const admin = await ctx.adminToken();
      const created = await ctx.post('/api/v1/admin/api-tokens', { name: 'Carrier feed', role: 'carrier' }, { token: admin });
      const carrier: string = created.json.token;
      const customer = await ctx.customer();
      const ticket = await openTicket(ctx, customer.token);
      const subscriberRoutes = [
        ['POST', '/api/v1/tickets', { subject: 'x', body: 'y' }], ['GET', '/api/v1/tickets', undefined], ['GET', `/api/v1/tickets/${ticket.id}`, undefined],
        ['POST', `/api/v1/tickets/${ticket.id}/messages`, { body: 'y' }], ['POST', `/api/v1/tickets/${ticket.id}/close`, undefined],
      ] as const;
      const staffRoutes = [
        ['GET', '/api/v1/admin/tickets', undefined], ['GET', `/api/v1/admin/tickets/${ticket.id}`, undefined],
        ['POST', `/api/v1/admin/tickets/${ticket.id}/messages`, { body: 'y' }], ['POST', `/api/v1/admin/tickets/${ticket.id}/close`, undefined],
      ] as const;
      for (const [method, path, body] of [...subscriberRoutes, ...staffRoutes]) {
        const r = await ctx.call(method, path, { token: carrier, ...(body ? { body } : {}) });
        expect(r.status, `${method} ${path}`).toBe(403);
        expect(r.json.code).toBe('forbidden');
        expect((await ctx.call(method, path, body ? { body } : {})).status, `${method} ${path} anonymous`).toBe(401);
      }
      for (const [method, path, body] of staffRoutes) {
        expect((await ctx.call(method, path, { token: customer.token, ...(body ? { body } : {}) })).status, `${method} ${path}`).toBe(403);
      }
      const after = await ctx.get<Ticket>(`/api/v1/tickets/${ticket.id}`, { token: customer.token });
      expect(after.json).toMatchObject({ status: 'open', messages: [{ from: 'customer' }] });
    });
  });

  describe('what is refused', () => {
    it('refuses malformed requests with 400 and text that breaks the rules with 422, changing nothing', async () => {
      const ctx = get();
      const customer = await ctx.customer();
      const ticket = await openTicket(ctx, customer.token);
      const before = await ticketCount(ctx);
      const cases: Array<[unknown, number, string]> = [
        [{ body: 'no subject' }, 400, 'invalid_request'],
        [{ subject: 'no body' }, 400, 'invalid_request'],
        [{ subject: 42, body: 'x' }, 400, 'invalid_request'],
        [{ subject: 'x'.repeat(801), body: 'x' }, 400, 'invalid_request'],
        [{ subject: '   ', body: 'x' }, 422, 'invalid_ticket_subject'],
        [{ subject: 'x'.repeat(201), body: 'x' }, 422, 'invalid_ticket_subject'],
        [{ subject: 'two\nlines', body: 'x' }, 422, 'invalid_ticket_subject'],
        [{ subject: '\u202Eevil', body: 'x' }, 422, 'invalid_ticket_subject'],
        [{ subject: 'x', body: ' \n\t ' }, 422, 'invalid_ticket_message'],
        [{ subject: 'x', body: 'y'.repeat(5001) }, 422, 'invalid_ticket_message'],
        [{ subject: 'x', body: 'bell \u0007 here' }, 422, 'invalid_ticket_message'],
        [{ subject: 'x', body: 'nul \u0000 here' }, 400, 'invalid_text'],
      ];
      for (const [body, status, code] of cases) {
        const r = await ctx.post('/api/v1/tickets', body, { token: customer.token });
        expect({ body, status: r.status, code: r.json.code }).toEqual({ body, status, code });
      }
      const emptyReply = await ctx.post(`/api/v1/tickets/${ticket.id}/messages`, { body: '' }, { token: customer.token });
      expect(emptyReply.status).toBe(422);
      expect(emptyReply.json.errors).toEqual([{ path: 'body', message: 'must not be empty' }]);
      expect((await ctx.get('/api/v1/tickets?status=pending', { token: customer.token })).status).toBe(400);
      expect((await ctx.get('/api/v1/tickets?cursor=tkt_x', { token: customer.token })).status).toBe(400);
      expect(await ticketCount(ctx)).toBe(before);
      // At the limits, counted in characters: 200 emoji (400 UTF-16 units) are a valid subject.
      const longest = await ctx.post<Ticket>('/api/v1/tickets', { subject: '📱'.repeat(200), body: 'z'.repeat(5000) }, { token: customer.token });
      expect(longest.status).toBe(201);
      expect(longest.json.messages[0]?.body).toHaveLength(5000);
    });

    it('answers a body that is no JSON object with 400 on every route that reads one, and takes an empty JSON body on close', async () => {
      const ctx = get();
      const customer = await ctx.customer();
      const admin = await ctx.adminToken();
      const ticket = await openTicket(ctx, customer.token);
      const before = await ticketCount(ctx);
      const routes: Array<[string, string]> = [
        ['/api/v1/tickets', customer.token], [`/api/v1/tickets/${ticket.id}/messages`, customer.token], [`/api/v1/admin/tickets/${ticket.id}/messages`, admin],
      ];
      const bad: Array<[string, string, string]> = [
        ['application/json', '{"body":', 'malformed_json'], ['application/json', '[]', 'invalid_request'],
        ['application/json', '{"__proto__":{"x":1}}', 'malformed_json'], ['text/plain', '{"body":"x"}', 'invalid_request'],
      ];
      for (const [url, token] of routes) {
        for (const [contentType, raw, code] of bad) {
          const r = await ctx.call('POST', url, { token, raw, headers: { 'content-type': contentType } });
          expect([url, raw, r.status, r.json?.code]).toEqual([url, raw, 400, code]);
        }
      }
      expect(await ticketCount(ctx)).toBe(before);
      const close = await ctx.call('POST', `/api/v1/tickets/${ticket.id}/close`, { token: customer.token, raw: '', headers: { 'content-type': 'application/json' } });
      expect(close.status).toBe(200);
    });

    it(`keeps at most ${OPEN_TICKETS_PER_USER_MAX} tickets open per subscriber: the next is 422 until one is closed`, async () => {
      const ctx = get();
      const customer = await ctx.customer();
      const tickets: Ticket[] = [];
      for (let i = 0; i < OPEN_TICKETS_PER_USER_MAX; i++) tickets.push(await openTicket(ctx, customer.token, { subject: `Ticket ${i}` }));
      const admin = await ctx.adminToken();
      // An answered ticket is still open: it waits for the subscriber.
      expect((await ctx.post(`/api/v1/admin/tickets/${tickets[0]?.id}/messages`, { body: 'Answered' }, { token: admin })).status).toBe(201);
      const over = await ctx.post('/api/v1/tickets', { subject: 'One too many', body: 'x' }, { token: customer.token });
      expect(over.status).toBe(422);
      expect(over.json.code).toBe('too_many_open_tickets');
      expect((await ctx.post(`/api/v1/tickets/${tickets[0]?.id}/close`, undefined, { token: customer.token })).status).toBe(200);
      expect((await ctx.post('/api/v1/tickets', { subject: 'Now it fits', body: 'x' }, { token: customer.token })).status).toBe(201);
      const all = await walk<Ticket>(ctx, '/api/v1/tickets?limit=500', customer.token);
      expect(all).toHaveLength(OPEN_TICKETS_PER_USER_MAX + 1);
      expect(all.filter((t) => t.status !== 'closed')).toHaveLength(OPEN_TICKETS_PER_USER_MAX);
    });
  });

  it(`takes at most ${MESSAGES_PER_TICKET_MAX} messages per ticket, from anyone`, async () => {
    const ctx = get();
    const customer = await ctx.customer();
    const admin = await ctx.adminToken();
    const ticket = await openTicket(ctx, customer.token);
    for (let i = 1; i < MESSAGES_PER_TICKET_MAX; i++) {
      const r = await ctx.post(`/api/v1/tickets/${ticket.id}/messages`, { body: `Message ${i}` }, { token: customer.token });
      expect(r.status).toBe(201);
    }
    for (const [url, token] of [[`/api/v1/tickets/${ticket.id}/messages`, customer.token], [`/api/v1/admin/tickets/${ticket.id}/messages`, admin]] as const) {
      const full = await ctx.post(url, { body: 'One more' }, { token });
      expect([url, full.status, full.json.code]).toEqual([url, 422, 'too_many_ticket_messages']);
    }
    const view = await ctx.get<Ticket>(`/api/v1/tickets/${ticket.id}`, { token: customer.token });
    expect(view.json.messages).toHaveLength(MESSAGES_PER_TICKET_MAX);
    expect(view.json.messages.at(-1)?.body).toBe(`Message ${MESSAGES_PER_TICKET_MAX - 1}`);
  });

  it('lets only the free places go when tickets are opened at once', async () => {
    const ctx = get();
    const customer = await ctx.customer();
    for (let i = 0; i < OPEN_TICKETS_PER_USER_MAX - 2; i++) await openTicket(ctx, customer.token, { subject: `Filler ${i}` });
    const racing = await Promise.all(Array.from({ length: 5 }, (_, i) => ctx.post('/api/v1/tickets', { subject: `Race ${i}`, body: 'x' }, { token: customer.token })));
    expect(racing.map((r) => r.status).sort()).toEqual([201, 201, 422, 422, 422]);
    const { rows } = await ctx.db.query<{ n: number }>("SELECT count(*)::int AS n FROM tickets WHERE user_id = $1 AND status <> 'closed'", [customer.user.id]);
    expect(rows[0]?.n).toBe(OPEN_TICKETS_PER_USER_MAX);
  });

  describe('lists', () => {
    it('pages the subscriber\'s tickets newest activity first: a ticket answered moves to the top', async () => {
      const ctx = get();
      const customer = await ctx.customer();
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        ids.push((await openTicket(ctx, customer.token, { subject: `Paged ${i}` })).id);
        await ctx.advance(60);
      }
      const pages = await walk<{ id: string }>(ctx, '/api/v1/tickets?limit=2', customer.token);
      expect(pages.map((t) => t.id)).toEqual([...ids].reverse());
      const oldest = ids[0] ?? '';
      expect((await ctx.post(`/api/v1/tickets/${oldest}/messages`, { body: 'Any news?' }, { token: customer.token })).status).toBe(201);
      const after = await walk<{ id: string; messageCount: number }>(ctx, '/api/v1/tickets?limit=2', customer.token);
      expect(after.map((t) => t.id)).toEqual([oldest, ...ids.slice(1).reverse()]);
      expect(after[0]?.messageCount).toBe(2);
      expect((await ctx.post(`/api/v1/tickets/${ids[1]}/close`, undefined, { token: customer.token })).status).toBe(200);
      const closed = await ctx.get('/api/v1/tickets?status=closed', { token: customer.token });
      expect(closed.json.items.map((t: { id: string }) => t.id)).toEqual([ids[1]]);
    });

    it('lists open tickets for operators longest waiting first, and filters by status', async () => {
      const ctx = get();
      const admin = await ctx.adminToken();
      const customers = [await ctx.customer(), await ctx.customer()];
      const mine: string[] = [];
      for (let i = 0; i < 4; i++) {
        mine.push((await openTicket(ctx, customers[i % 2]?.token ?? '', { subject: `Queue ${i}` })).id);
        await ctx.advance(60);
      }
      const answered = mine[1] ?? '';
      expect((await ctx.post(`/api/v1/admin/tickets/${answered}/messages`, { body: 'Done' }, { token: admin })).status).toBe(201);

      const open = await walk<{ id: string; status: string; updatedAt: string; userId: string }>(ctx, '/api/v1/admin/tickets?status=open&limit=2', admin);
      expect(open.every((t) => t.status === 'open')).toBe(true);
      const times = open.map((t) => Date.parse(t.updatedAt));
      expect(times).toEqual([...times].sort((a, b) => a - b));
      expect(open.map((t) => t.id).filter((id) => mine.includes(id))).toEqual([mine[0], mine[2], mine[3]]);
      expect(open.find((t) => t.id === mine[0])?.userId).toBe(customers[0]?.user.id);

      const answeredList = await walk<{ id: string; status: string }>(ctx, '/api/v1/admin/tickets?status=answered', admin);
      expect(answeredList.map((t) => t.id)).toContain(answered);
      expect(answeredList.every((t) => t.status === 'answered')).toBe(true);
      const everything = await walk<{ id: string; updatedAt: string }>(ctx, '/api/v1/admin/tickets?limit=3', admin);
      const newest = everything.map((t) => Date.parse(t.updatedAt));
      expect(newest).toEqual([...newest].sort((a, b) => b - a));
      expect(everything.map((t) => t.id).filter((id) => mine.includes(id))).toEqual([answered, mine[3], mine[2], mine[0]]);
    });
  });
}, { SMTP_URL: sink.url });
