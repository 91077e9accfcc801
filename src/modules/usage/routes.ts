// HTTP for usage: carriers post records (JSON batches, or CSV feeds streamed with bounded memory),
// subscribers read their line's usage chart from the hourly rollup.
import type { Readable } from 'node:stream';
import { PARTNERS, actorOf, guard, principalOf } from '../../http/auth.ts';
import { IDEMPOTENCY_HEADER, sendIdempotent } from '../../http/idempotency.ts';
import { problemResponses } from '../../http/problem.ts';
import type { App } from '../../http/types.ts';
import type { AppDeps } from '../../app-deps.ts';
import { DomainError, validation } from '../../domain/errors.ts';
import { loadLineRow } from '../lines/service.ts';
import { lineIdParams } from '../lines/schemas.ts';
import { CsvError } from 'csv-parse';
import { CsvHeaderError, ingestCsvStream, ingestRecords, recordsOfBody, spoolFeed } from './ingest.ts';
import { usageIngestResultSchema, usageQuery, usageSeriesSchema } from './schemas.ts';
import { USAGE_BATCH_MAX, usageSeries } from './service.ts';

const tags = ['usage'];
/** A full JSON batch of 10,000 records is a few MB. */
const USAGE_JSON_LIMIT_BYTES = 16 * 1024 * 1024;
/** The default chart window. */
const DEFAULT_DAYS = 30;
const MAX_RANGE_DAYS = 400;

export function usageRoutes(app: App, deps: AppDeps): void {
  const { db, clock } = deps;

  // Encapsulated: only this route reads text/csv as a stream (the server's parser buffers it).
  void app.register(async (scoped: App) => {
    scoped.removeContentTypeParser(['text/csv']);
    scoped.addContentTypeParser('text/csv', (_request, payload, done) => done(null, payload));
    const schema = {
      tags, consumes: ['application/json', 'text/csv'],
      description: `JSON {records} (at most ${USAGE_BATCH_MAX}) or a text/csv feed of any length with a header row (id, iccid|msisdn, type, quantity, startedAt, zone)`,
      // 409: an Idempotency-Key reused with another body, or its first request still running.
      response: { 200: usageIngestResultSchema, ...problemResponses(400, 401, 403, 409, 413, 415, 422) },
    };
    scoped.post('/api/v1/usage', { schema, onRequest: guard(PARTNERS), bodyLimit: USAGE_JSON_LIMIT_BYTES }, async (request, reply) => {
      const actor = actorOf(request);
      const ingestCsv = async (feed: Readable) => {
        try {
          return await ingestCsvStream(db, feed, { now: () => clock.now(), actor });
        } catch (error) {
          if (error instanceof CsvHeaderError) throw validation('invalid_csv_header', error.message);
          if (error instanceof CsvError) throw validation('invalid_csv', error.message);
          throw error;
        }
      };
      if (!String(request.headers['content-type'] ?? '').startsWith('text/csv')) {
        return sendIdempotent(db, request, reply, async () => {
          const records = recordsOfBody(request.body);
          if (!records) throw validation('validation', 'the body must be {records: [...]}, each record an object', [{ path: 'records', message: 'an array of objects' }]);
          if (records.length > USAGE_BATCH_MAX) {
            throw new DomainError('too_large', 'too_many_records', `a JSON batch holds at most ${USAGE_BATCH_MAX} records; send more as text/csv`);
          }
          return { status: 200, body: await ingestRecords(db, records, { now: clock.now(), actor }) };
        });
      }
      if (request.headers[IDEMPOTENCY_HEADER] === undefined) return ingestCsv(request.body as Readable);
      // The fingerprint needs the whole feed before any record is rated: spooled to disk, not memory.
      const feed = await spoolFeed(request.body as Readable);
      try {
        return await sendIdempotent(db, request, reply, async () => ({ status: 200, body: await ingestCsv(feed.open()) }), { csvSha256: feed.sha256 });
      } finally {
        await feed.remove();
      }
    });
  });

  const seriesSchema = { tags, params: lineIdParams, querystring: usageQuery, response: { 200: usageSeriesSchema, ...problemResponses(400, 401, 404, 422) } };
  app.get('/api/v1/lines/:id/usage', { schema: seriesSchema, onRequest: guard('authenticated') }, async (request) => {
    const { userId } = principalOf(request);
    await loadLineRow(db, request.params.id, { userId });
    const now = clock.now();
    const to = request.query.to ? new Date(request.query.to) : now;
    const from = request.query.from ? new Date(request.query.from) : new Date(to.getTime() - DEFAULT_DAYS * 86_400_000);
    if (from >= to || to.getTime() - from.getTime() > MAX_RANGE_DAYS * 86_400_000) {
      throw validation('invalid_range', `from must be before to, at most ${MAX_RANGE_DAYS} days apart`);
    }
    const points = await usageSeries(db, request.params.id, { from, to, granularity: request.query.granularity });
    return {
      items: points.map((p) => ({
        at: p.at.toISOString(), dataBytes: p.dataBytes, voiceSec: p.voiceSec, sms: p.sms, charged: { amount: p.chargedMinor, currency: p.currency },
      })),
    };
  });
}
