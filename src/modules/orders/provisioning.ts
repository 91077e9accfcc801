// Provisioning a paid order at the carrier: a job from the outbox (written by the capture
// transaction), run by the worker with exponential backoff. Steps, each idempotent:
//   1. paid → provisioning (guarded UPDATE; a retry finds it already there),
//   2. the carrier request (outside any transaction; the carrier dedupes by order id),
//   3. one transaction: credit the line (creditPlan / recordRecharge, idempotent per order) and
//      provisioning → completed — only while the order is still provisioning (a refund may have won).
// An asynchronous carrier answers step 2 with `accepted`: the order stays provisioning until its
// signed callback (carrier-adapters module) or, if none comes, a status query (PROVISIONING_STATUS_QUEUE,
// polled with backoff) brings the final answer into step 3.
// Compensation: when the last attempt fails or the carrier refuses, the order is refunded in full (refunds.ts).
import type { Db, Queryable } from '../../db/types.ts';
import type { CarrierAdapter, ProvisionRequest, ProvisionResult } from '../../adapters/carriers/types.ts';
import { invariant } from '../../domain/invariant.ts';
import { cancelJob, enqueue } from '../../jobs/queue.ts';
import type { Clock } from '../clock/service.ts';
import { creditPlan, getLineById, recordRecharge } from '../lines/service.ts';
import { loadOrder, transitionOrder, type OrderRow } from './records.ts';
import { noticeOrderOutcome } from './notices.ts';

export interface ProvisionDeps {
  db: Db;
  clock: Clock;
  carrier: CarrierAdapter;
}

export const PROVISIONING_STATUS_QUEUE = 'provisioning_status';
declare module '../../jobs/queue.ts' {
  interface JobPayloads {
    /** Ask an asynchronous carrier where an accepted request stands (its callback is late or lost). */
    provisioning_status: { orderId: string };
  }
}
/** How long an accepted request waits for its callback before the first status query (app clock). */
export const CALLBACK_WAIT_SECONDS = 60;
/** Status queries, 2^n s apart after the wait (about 34 min in all), before the order is refunded. */
export const STATUS_QUERY_ATTEMPTS_MAX = 11;

export type ProvisionOutcome = 'completed' | 'accepted' | 'not_due';

const statusJobKey = (orderId: string): string => `provision-status:${orderId}`;

async function provisionRequestOf(db: Queryable, order: OrderRow): Promise<ProvisionRequest> {
  const line = await getLineById(db, order.line_id);
  return {
    orderId: order.id, lineId: line.id, iccid: line.iccid, msisdn: line.msisdn, carrierCode: line.carrierCode, kind: order.kind,
    planId: order.plan?.id ?? null, validityDays: order.plan?.validityDays ?? null, allowances: order.plan?.allowances ?? null,
  };
}

export async function provisionOrder(deps: ProvisionDeps, orderId: string): Promise<ProvisionOutcome> {
  // One statement (transitionOrder); a retry finds the order already provisioning and reads it.
  const order = (await transitionOrder(deps.db, { orderId, from: ['paid'], to: 'provisioning', now: deps.clock.now() })) ?? (await loadOrder(deps.db, orderId));
  if (order.status !== 'provisioning') return 'not_due';
  const request = await provisionRequestOf(deps.db, order);
  const result = await deps.carrier.provision(request);
  if (result.status === 'failed') throw new Error(`carrier ${request.carrierCode} refused order ${orderId}: ${result.reason ?? 'failed'}`);
  if (result.status === 'accepted') {
    // The callback is the expected answer; the status query is the safety net when it never comes.
    await enqueue(deps.db, {
      queue: PROVISIONING_STATUS_QUEUE, payload: { orderId }, runAt: new Date(deps.clock.now().getTime() + CALLBACK_WAIT_SECONDS * 1000),
      dedupeKey: statusJobKey(orderId), maxAttempts: STATUS_QUERY_ATTEMPTS_MAX,
    });
    return 'accepted';
  }
  return deps.db.transaction((tx) => completeProvisioning(tx, { orderId, reference: result.reference, now: deps.clock.now() }));
}

/**
 * The status query of an accepted request. `failed` means the carrier refused it (the caller
 * compensates); a request the carrier still works on throws, so the job retries with backoff.
 */
export async function checkProvisioningStatus(deps: ProvisionDeps, orderId: string): Promise<ProvisionOutcome | 'failed'> {
  const order = await loadOrder(deps.db, orderId);
  if (order.status !== 'provisioning') return 'not_due';
  const request = await provisionRequestOf(deps.db, order);
  const result: ProvisionResult = deps.carrier.requestStatus ? await deps.carrier.requestStatus(request) : await deps.carrier.provision(request);
  if (result.status === 'failed') return 'failed';
  if (result.status === 'accepted') throw new Error(`carrier ${request.carrierCode} has not finished order ${orderId} yet`);
  return deps.db.transaction((tx) => completeProvisioning(tx, { orderId, reference: result.reference, now: deps.clock.now() }));
}

/** Whether `orderId` is an order waiting on carrier `carrierCode` (a callback may only settle its own carrier's orders). */
export async function isAwaitingCarrier(q: Queryable, orderId: string, carrierCode: string): Promise<boolean> {
  const { rows } = await q.query<{ status: string; carrier_code: string }>(
    'SELECT o.status, l.carrier_code FROM orders o JOIN lines l ON l.id = o.line_id WHERE o.id = $1',
    [orderId],
  );
  return rows[0]?.status === 'provisioning' && rows[0].carrier_code === carrierCode;
}

/**
 * Step 3, in the caller's transaction: credit the line and complete the order — once, guarded by
 * the order's status (a second answer, or one after a refund, changes nothing).
 */
export async function completeProvisioning(tx: Queryable, input: { orderId: string; reference: string; now: Date }): Promise<ProvisionOutcome> {
  const { orderId, now } = input;
  // The guarded transition first: it locks the order (the lock order stays order, then line) and
  // says whether this answer is the one that completes it; the credit below commits with it or not at all.
  const locked = await transitionOrder(tx, { orderId, from: ['provisioning'], to: 'completed', now, detail: `carrier ref ${input.reference.slice(0, 255)}` });
  if (!locked) return 'not_due';
  if (locked.kind === 'plan') {
    invariant(locked.plan, 'a plan order has its plan snapshot');
    const p = locked.plan;
    await creditPlan(tx, {
      lineId: locked.line_id, orderId, now,
      plan: { id: p.id, name: p.name, kind: p.kind, validityDays: p.validityDays, allowances: p.allowances, expiryPolicy: p.expiryPolicy },
      bonus: { dataMb: locked.bonus.dataMb, validityDays: locked.bonus.validityDays },
    });
  } else {
    // The wallet was credited at capture; the line records the top-up as a keep-alive recharge.
    await recordRecharge(tx, { lineId: locked.line_id, orderId, now });
  }
  await noticeOrderOutcome(tx, orderId, 'completed', now);
  // A callback settled it: the pending status query has nothing left to ask.
  await cancelJob(tx, statusJobKey(orderId));
  return 'completed';
}
