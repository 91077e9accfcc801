// HTTP for saved payment methods (API.md) and the sandbox provider's "save a card" page: the page
// stands for the provider's own (Stripe's in production), so the card number is typed there and
// only a token with brand, last 4 and expiry comes back to simkeep.
import { z } from 'zod';
import type { AppDeps } from '../../app-deps.ts';
import { DomainError } from '../../domain/errors.ts';
import { guard, principalOf } from '../../http/auth.ts';
import { problemResponses } from '../../http/problem.ts';
import type { App } from '../../http/types.ts';
import { escapeHtml } from '../../domain/html-escape.ts';
import {
  completeSandboxSetup, deleteSavedMethod, getSetup, listSavedMethods, makeDefaultSavedMethod, startSavedMethodSetup,
} from './saved-methods.ts';
import { SandboxProvider } from './sandbox-provider.ts';
import { savedMethodSchema } from './schemas.ts';

const ID_MAX_LENGTH = 100;
const savedMethodList = z.object({ items: z.array(savedMethodSchema) });
const createBody = z.object({ paymentMethod: z.literal('card') });
const createdReply = z.object({ action: z.object({ type: z.literal('redirect'), url: z.string() }) });
const idParams = z.object({ id: z.string().min(1).max(ID_MAX_LENGTH) });
const patchBody = z.object({ isDefault: z.literal(true) });
const noContent = z.null().describe('No Content');
const setupParams = z.object({ setupId: z.string().min(1).max(ID_MAX_LENGTH) });
const sandboxCardBody = z.object({
  behaviour: z.enum(['succeeds', 'declines', 'requires_action']).default('succeeds'),
  brand: z.string().min(1).max(20).default('visa'),
  last4: z.string().regex(/^[0-9]{4}$/).default('4242'),
  expMonth: z.number().int().min(1).max(12).default(12),
  expYear: z.number().int().min(2000).max(2100).default(2099),
});
const htmlPage = { description: 'the HTML page', content: { 'text/html': { schema: z.string() } } };
const sandboxCardReply = z.object({ token: z.string(), brand: z.string(), last4: z.string(), expiresAt: z.string() });

export function savedMethodsRoutes(app: App, deps: AppDeps): void {
  const tags = ['payments'];
  const { db } = deps;
  app.get('/api/v1/payment-methods', {
    schema: { tags, response: { 200: savedMethodList, ...problemResponses(401) } }, onRequest: guard('authenticated'),
  }, async (request) => listSavedMethods(db, principalOf(request).userId));

  app.post('/api/v1/payment-methods', {
    schema: { tags, body: createBody, response: { 201: createdReply, ...problemResponses(400, 401, 409, 422, 503) } }, onRequest: guard('authenticated'),
  }, async (request, reply) => {
    const started = await startSavedMethodSetup({ db, providers: deps.payments, publicUrl: deps.publicUrl, now: deps.clock.now() }, principalOf(request).userId);
    return reply.code(201).send(started);
  });

  app.patch('/api/v1/payment-methods/:id', {
    schema: { tags, params: idParams, body: patchBody, response: { 200: savedMethodSchema, ...problemResponses(400, 401, 404) } }, onRequest: guard('authenticated'),
  }, async (request) => makeDefaultSavedMethod(db, principalOf(request).userId, request.params.id));

  app.delete('/api/v1/payment-methods/:id', {
    schema: { tags, params: idParams, response: { 204: noContent, ...problemResponses(400, 401, 404) } }, onRequest: guard('authenticated'),
  }, async (request, reply) => {
    await deleteSavedMethod(db, principalOf(request).userId, request.params.id);
    return reply.code(204).send(null);
  });

  const sandbox = (): SandboxProvider => {
    const provider = deps.config.sandbox ? deps.payments.byName('sandbox') : null;
    if (!(provider instanceof SandboxProvider)) throw new DomainError('not_found', 'not_found', 'the sandbox is off');
    return provider;
  };
  app.get('/sandbox/save-card/:setupId', {
    schema: { tags: ['sandbox'], params: setupParams, security: [], response: { 200: htmlPage, ...problemResponses(400, 404) } },
  }, async (request, reply) => {
    sandbox();
    const setup = await getSetup(db, request.params.setupId);
    return reply.type('text/html; charset=utf-8').send(saveCardPage(setup.id, setup.status));
  });
  app.post('/api/v1/sandbox/payment-methods/:setupId/complete', {
    schema: { tags: ['sandbox'], params: setupParams, body: sandboxCardBody, security: [], response: { 200: sandboxCardReply, ...problemResponses(400, 404, 409) } },
  }, async (request) => {
    const provider = sandbox();
    return completeSandboxSetup(db, (b) => provider.issueSavedMethod(b), request.params.setupId, request.body, deps.clock.now());
  });
}

/** The sandbox's save page: test cards only (no number is asked for — the sandbox stands for the provider's vault). */
function saveCardPage(setupId: string, status: string): string {
  const done = status !== 'open';
  const script = `const id=${JSON.stringify(setupId).replace(/</g, '\\u003c')};
async function save(behaviour){
  document.querySelectorAll('button').forEach(b=>b.disabled=true);
  const r=await fetch('/api/v1/sandbox/payment-methods/'+encodeURIComponent(id)+'/complete',{method:'POST',credentials:'omit',headers:{'content-type':'application/json'},body:JSON.stringify({behaviour})});
  document.getElementById('result').textContent=r.status===200?'Card saved.':'Something went wrong ('+r.status+').';
  if(r.status===200)document.getElementById('back').hidden=false;
}
document.getElementById('ok').addEventListener('click',()=>save('succeeds'));
document.getElementById('decl').addEventListener('click',()=>save('declines'));`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Sandbox: save a card</title></head>
<body><main><p>simkeep sandbox provider · no real money moves</p><h1>Save a card</h1>
<p>${done ? `This setup is already ${escapeHtml(status)}.` : 'Choose a test card to save for automatic renewals.'}</p>
<button id="ok"${done ? ' disabled' : ''}>Visa •••• 4242 (succeeds)</button>
<button id="decl"${done ? ' disabled' : ''}>Visa •••• 0002 (declines)</button>
<p id="result" role="status"></p><p id="back"${done ? '' : ' hidden'}><a href="/payment-methods?saved=1">Back to your payment methods</a></p></main><script>${script}</script></body></html>`;
}
