// The carrier provisioning talks to: it picks, per request, the adapter the line's carrier is
// configured with — the HTTP/JSON carrier when an operator chose it, else the simulated one (the
// default, and what the demo data uses). Settings are read per request, not cached: an operator's
// change on one process applies to every worker at once.
import { HttpJsonCarrier } from '../../adapters/carriers/http-json.ts';
import type { CarrierAdapter, ProvisionRequest, ProvisionResult } from '../../adapters/carriers/types.ts';
import type { Db } from '../../db/types.ts';
import type { Clock } from '../clock/service.ts';
import { httpCarrierSettings } from './service.ts';

export interface CarrierRouterDeps {
  db: Db;
  secretKey: Buffer;
  /** Signatures carry wall time (the carrier compares them with its own clock). */
  wallClock: Clock;
  /** The base URL carriers reach us at, for their callbacks. */
  publicUrl: () => string;
  /** Every carrier without an HTTP/JSON adapter. */
  simulated: CarrierAdapter;
}

export const callbackPath = (code: string): string => `/api/v1/carriers/${encodeURIComponent(code)}/callbacks`;

export class CarrierRouter implements CarrierAdapter {
  readonly name = 'carrier-router';

  constructor(private readonly deps: CarrierRouterDeps) {}

  async provision(request: ProvisionRequest): Promise<ProvisionResult> {
    return (await this.adapterFor(request.carrierCode)).provision(request);
  }

  async requestStatus(request: ProvisionRequest): Promise<ProvisionResult> {
    const adapter = await this.adapterFor(request.carrierCode);
    // A carrier that answers at once is asked again: it dedupes by request id, so this is its status.
    return adapter.requestStatus ? adapter.requestStatus(request) : adapter.provision(request);
  }

  private async adapterFor(carrierCode: string): Promise<CarrierAdapter> {
    const settings = await httpCarrierSettings(this.deps.db, this.deps.secretKey, carrierCode);
    if (!settings) return this.deps.simulated;
    return new HttpJsonCarrier({
      ...settings,
      callbackUrl: new URL(callbackPath(carrierCode), this.deps.publicUrl()).toString(),
      now: () => this.deps.wallClock.now(),
    });
  }
}
