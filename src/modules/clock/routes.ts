import { z } from 'zod';
import { DomainError } from '../../domain/errors.ts';
import type { App, AppDeps } from '../../http/types.ts';
import { MAX_ADVANCE_SECONDS } from './service.ts';

const advanceBody = z.object({ advanceSeconds: z.number().int().min(0).max(MAX_ADVANCE_SECONDS) });

/** The sandbox clock (API.md): 404 unless sandbox mode is on. */
export function clockRoutes(app: App, deps: AppDeps): void {
  const requireSandbox = async (): Promise<void> => {
    if (!deps.config.sandbox) throw new DomainError('not_found', 'not_found', 'the sandbox is off');
  };
  app.get('/api/v1/sandbox/clock', { schema: { tags: ['sandbox'], security: [] }, onRequest: requireSandbox }, async () => {
    await deps.clock.refresh(deps.db);
    return { now: deps.clock.now().toISOString() };
  });
  app.post('/api/v1/sandbox/clock', { schema: { tags: ['sandbox'], body: advanceBody, security: [] }, onRequest: requireSandbox }, async (request) => {
    const now = await deps.clock.advance(deps.db, request.body.advanceSeconds);
    // Work that became due runs at once rather than at the next poll.
    void deps.worker.poke();
    return { now: now.toISOString() };
  });
}
