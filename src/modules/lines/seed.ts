// Demo carriers and SIM inventory for a newcomer's first `npm start` (idempotent: fixed codes and
// ICCIDs, ON CONFLICT DO NOTHING). DEMO DATA ONLY — these PINs are public on purpose.
//
// Demo cards — every PIN is 1234; 20 per carrier, serial n = 1…20, ICCID = prefix + n (9 digits) + Luhn:
//   us-paygo     prefix 8901260990  eSIM n = 1…10, physical n = 11…20, MSISDN +1 212 555 01nn (n + 100)
//   uk-keep      prefix 8944110990  eSIM n = 1…10, physical n = 11…20, MSISDN +44 7700 900 0nn
//   travel-esim  prefix 8985200990  eSIM n = 1…20, data only (no MSISDN)
// `demoIccid(carrier, n)` computes them. Ready to bind in the portal (PIN 1234):
//   89012609900000000021  us-paygo eSIM (n=2)       89012609900000000112  us-paygo physical (n=11)
//   89441109900000000019  uk-keep eSIM (n=1)        89441109900000000118  uk-keep physical (n=11)
//   89852009900000000018  travel-esim eSIM (n=1)    89852009900000000026  travel-esim eSIM (n=2)
// The demo customer (DEMO_CUSTOMER) already has us-paygo n=1 (89012609900000000013) bound, with a welcome pack.
import { withLuhnCheckDigit } from '../../domain/luhn.ts';
import type { SeedContext } from '../../seed/demo.ts';
import { DEMO_CUSTOMER } from '../accounts/seed.ts';
import { encryptActivationCode } from './esim.ts';
import type { SimForm } from '../../domain/sim-form.ts';
import { claimSim, creditPlan, ensureCarrier, hashPin, type Carrier } from './service.ts';

export const DEMO_PIN = '1234';
export const DEMO_SIMS_PER_CARRIER = 20;
const DEMO_WELCOME_ORDER_ID = 'ord_demo_welcome';

export const DEMO_CARRIERS: readonly Carrier[] = [
  {
    // A US pay-as-you-go line: suspended when its 30-day cycle is unpaid, number deleted 30 days later.
    code: 'us-paygo', name: 'US PayGo', country: 'US', currency: 'USD', validityDays: 30, graceDays: 0, suspendDays: 30,
    keepAlive: { rule: 'recharge', everyDays: 30 }, topupGrantsValidity: true,
    paygRates: {
      default: { dataPerMbMinor: 10, voicePerMinuteMinor: 10, smsPerMessageMinor: 5 },
      roaming: { dataPerMbMinor: 200, voicePerMinuteMinor: 100, smsPerMessageMinor: 25 },
    },
  },
  {
    // A UK PAYG SIM: no validity of its own, recycled after 180 days without chargeable activity.
    code: 'uk-keep', name: 'UK Keep', country: 'GB', currency: 'GBP', validityDays: 30, graceDays: 0, suspendDays: 0,
    keepAlive: { rule: 'activity', everyDays: 180 }, topupGrantsValidity: false,
    paygRates: {
      default: { dataPerMbMinor: 5, voicePerMinuteMinor: 10, smsPerMessageMinor: 8 },
      roaming: { dataPerMbMinor: 50, voicePerMinuteMinor: 60, smsPerMessageMinor: 20 },
    },
  },
  {
    // A travel eSIM: alive while a plan lasts; the profile can be topped up for 90 days after, then it is gone.
    code: 'travel-esim', name: 'Travel eSIM', country: 'US', currency: 'USD', validityDays: 30, graceDays: 0, suspendDays: 90,
    keepAlive: { rule: 'recharge', everyDays: 365 }, topupGrantsValidity: false,
    paygRates: {
      default: { dataPerMbMinor: 3, voicePerMinuteMinor: 25, smsPerMessageMinor: 15 },
      roaming: { dataPerMbMinor: 5, voicePerMinuteMinor: 50, smsPerMessageMinor: 25 },
    },
  },
];

const DEMO_NUMBERING: Record<string, { iccidPrefix: string; imsiPrefix: string; msisdn: (n: number) => string | null; esimUpTo: number }> = {
  'us-paygo': { iccidPrefix: '8901260990', imsiPrefix: '310260', msisdn: (n) => `+1212555${String(100 + n).padStart(4, '0')}`, esimUpTo: 10 },
  'uk-keep': { iccidPrefix: '8944110990', imsiPrefix: '23415', msisdn: (n) => `+447700900${String(n).padStart(3, '0')}`, esimUpTo: 10 },
  'travel-esim': { iccidPrefix: '8985200990', imsiPrefix: '45400', msisdn: () => null, esimUpTo: DEMO_SIMS_PER_CARRIER },
};

function numbering(carrier: string): (typeof DEMO_NUMBERING)[string] {
  const plan = DEMO_NUMBERING[carrier];
  if (!plan) throw new Error(`no demo numbering for ${carrier}`);
  return plan;
}

/** The 20-digit demo ICCID of card n (1-based) of a demo carrier. */
export function demoIccid(carrier: string, n: number): string {
  return withLuhnCheckDigit(`${numbering(carrier).iccidPrefix}${String(n).padStart(9, '0')}`);
}

interface DemoSim {
  id: string; iccid: string; imsi: string; msisdn: string | null; pinHash: string; form: SimForm; carrier: string; enc: string | null;
}

function demoSims(secretKey: Buffer): DemoSim[] {
  const sims: DemoSim[] = [];
  for (const carrier of DEMO_CARRIERS) {
    const plan = numbering(carrier.code);
    for (let n = 1; n <= DEMO_SIMS_PER_CARRIER; n++) {
      const iccid = demoIccid(carrier.code, n);
      const form = n <= plan.esimUpTo ? 'esim' : 'physical';
      const code = `1$rsp.demo.simkeep.test$SKDEMO-${carrier.code.toUpperCase()}-${String(n).padStart(4, '0')}`;
      sims.push({
        id: `sim_demo_${carrier.code}_${n}`, iccid, imsi: `${plan.imsiPrefix}${String(n).padStart(15 - plan.imsiPrefix.length, '0')}`,
        msisdn: plan.msisdn(n), pinHash: hashPin(secretKey, iccid, DEMO_PIN), form, carrier: carrier.code,
        enc: form === 'esim' ? encryptActivationCode(secretKey, iccid, code) : null,
      });
    }
  }
  return sims;
}

export async function seedDemoLines({ db, clock, secretKey }: SeedContext): Promise<void> {
  for (const carrier of DEMO_CARRIERS) await ensureCarrier(db, carrier);
  const sims = demoSims(secretKey);
  await db.query(
    `INSERT INTO sims (id, iccid, imsi, msisdn, pin_hash, form, carrier_code, activation_code_enc)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[])
     ON CONFLICT DO NOTHING`,
    [sims.map((s) => s.id), sims.map((s) => s.iccid), sims.map((s) => s.imsi), sims.map((s) => s.msisdn),
      sims.map((s) => s.pinHash), sims.map((s) => s.form), sims.map((s) => s.carrier), sims.map((s) => s.enc)],
  );
  await bindDemoCustomerLine({ db, clock, secretKey }, sims[0]);
}

/** The demo customer's line, so the portal shows a live line at once: us-paygo eSIM 1 with a welcome pack. */
async function bindDemoCustomerLine({ db, clock }: SeedContext, sim: DemoSim | undefined): Promise<void> {
  if (!sim) return;
  await db.transaction(async (tx) => {
    const customer = await tx.query('SELECT 1 FROM users WHERE id = $1', [DEMO_CUSTOMER.id]);
    const available = await tx.query(`SELECT 1 FROM sims WHERE id = $1 AND status = 'available' FOR UPDATE`, [sim.id]);
    if (customer.rows.length === 0 || available.rows.length === 0) return;
    const now = clock.now();
    const lineId = await claimSim(tx, { id: sim.id, iccid: sim.iccid, msisdn: sim.msisdn, form: sim.form, carrier_code: sim.carrier }, DEMO_CUSTOMER.id, now, 'My US number');
    await creditPlan(tx, {
      lineId, orderId: DEMO_WELCOME_ORDER_ID, now,
      plan: {
        id: 'plan_demo_welcome', name: { en: 'Welcome pack', 'zh-CN': '欢迎套餐' }, kind: 'base', validityDays: 30,
        allowances: { dataMb: 1024, voiceMin: 100, sms: 100 }, expiryPolicy: 'extend',
      },
      bonus: { dataMb: 0, validityDays: 0 },
    });
  });
}

export const demoSimId = (carrier: string, n: number): string => `sim_demo_${carrier}_${n}`;
