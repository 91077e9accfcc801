// A simulated carrier (API.md: it answers in well under a second and fails no request unless
// configured to). Latency and failure rate come from SIMKEEP_SIM_CARRIER_LATENCY_MS and
// SIMKEEP_SIM_CARRIER_FAILURE_RATE so tests and demos can exercise retries and compensations.
// Like a real carrier it is idempotent per order: a request already done answers `done` again.
import { createHash } from 'node:crypto';
import type { CarrierAdapter, ProvisionRequest, ProvisionResult } from './types.ts';

const SIM_CARRIER_LATENCY_MS_DEFAULT = 50;
const SIM_CARRIER_LATENCY_MS_MAX = 10_000;
/** Remembered completed requests; bounded so a long-running demo does not grow without limit. */
const DONE_REMEMBERED_MAX = 10_000;

export interface SimulatedCarrierOptions {
  latencyMs?: number;
  /** 0..1: the share of requests answered `failed`. */
  failureRate?: number;
  random?: () => number;
}

export class SimulatedCarrier implements CarrierAdapter {
  readonly name = 'simulated';
  private readonly latencyMs: number;
  private readonly failureRate: number;
  private readonly random: () => number;
  private readonly done = new Set<string>();

  constructor(options: SimulatedCarrierOptions = {}) {
    this.latencyMs = Math.min(Math.max(options.latencyMs ?? SIM_CARRIER_LATENCY_MS_DEFAULT, 0), SIM_CARRIER_LATENCY_MS_MAX);
    this.failureRate = Math.min(Math.max(options.failureRate ?? 0, 0), 1);
    this.random = options.random ?? Math.random;
  }

  async provision(request: ProvisionRequest): Promise<ProvisionResult> {
    if (this.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, this.latencyMs));
    const reference = `sim-${createHash('sha256').update(request.orderId).digest('hex').slice(0, 16)}`;
    if (this.done.has(request.orderId)) return { status: 'done', reference };
    if (this.failureRate > 0 && this.random() < this.failureRate) {
      return { status: 'failed', reference, reason: 'simulated carrier failure' };
    }
    if (this.done.size >= DONE_REMEMBERED_MAX) this.done.clear();
    this.done.add(request.orderId);
    return { status: 'done', reference };
  }
}
