// The carrier adapter the provisioning worker talks to. Until the lifecycle issue brings the
// HTTP/JSON carrier, every carrier code is served by the simulated carrier configured from env.
import { SimulatedCarrier } from '../../adapters/carriers/simulated.ts';
import type { CarrierAdapter } from '../../adapters/carriers/types.ts';
import type { AppDeps } from '../../http/types.ts';

const adapters = new WeakMap<AppDeps, CarrierAdapter>();

export function carrierOf(deps: AppDeps): CarrierAdapter {
  let adapter = adapters.get(deps);
  if (!adapter) {
    adapter = new SimulatedCarrier(deps.config.simulatedCarrier);
    adapters.set(deps, adapter);
  }
  return adapter;
}

/** Replaces the app's carrier adapter (tests: a carrier that fails on demand). */
export function setCarrier(deps: AppDeps, adapter: CarrierAdapter): void {
  adapters.set(deps, adapter);
}
