import { DomainError } from '../../domain/errors.ts';
import { problemResponses } from '../../http/problem.ts';
import type { AppDeps } from '../../app-deps.ts';
import type { App } from '../../http/types.ts';
import { advanceBody, clockSchema } from './schemas.ts';

const tags = ['sandbox'];

/** The sandbox clock (API.md): 404 unless sandbox mode is on. */
export function clockRoutes(app: App, deps: AppDeps): void {
  const requireSandbox = async (): Promise<void> => {
    if (!deps.config.sandbox) throw new DomainError('not_found', 'not_found', 'the sandbox is off');
  };
  app.get('/api/v1/sandbox/clock', { schema: { tags, security: [], response: { 200: clockSchema, ...problemResponses(404) } }, onRequest: requireSandbox }, async () => {
    await deps.clock.refresh(deps.db);
    return { now: deps.clock.now().toISOString() };
  });
  app.post('/api/v1/sandbox/clock', {
    schema: { tags, body: advanceBody, security: [], response: { 200: clockSchema, ...problemResponses(400, 404, 413, 415) } }, onRequest: requireSandbox,
  }, async (request) => {
    const now = await deps.clock.advance(deps.db, request.body.advanceSeconds);
    // Work that became due runs at once rather than at the next poll.
    void deps.worker.poke();
    return { now: now.toISOString() };
  });
}
