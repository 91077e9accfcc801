// HTTP for the audit log (API.md "Operator"): read-only, staff only, newest first.
import { STAFF, guard } from '../../http/auth.ts';
import { problemResponses } from '../../http/problem.ts';
import type { AppDeps } from '../../app-deps.ts';
import type { App } from '../../http/types.ts';
import { decodeSerialCursor } from '../../db/keyset-page.ts';
import { auditPageSchema, auditQuery } from './schemas.ts';
import { listAudit } from './service.ts';

export function auditRoutes(app: App, deps: AppDeps): void {
  app.get('/api/v1/admin/audit', {
    schema: { tags: ['admin'], querystring: auditQuery, response: { 200: auditPageSchema, ...problemResponses(400, 401, 403) } }, onRequest: guard(STAFF),
  }, async (request) => {
    const { actor, target, limit, cursor } = request.query;
    return listAudit(deps.db, { actor, target, limit, cursor: decodeSerialCursor(cursor) });
  });
}
