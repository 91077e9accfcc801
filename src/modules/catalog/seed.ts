// Demo plans and promotions for the demo carriers (idempotent: fixed ids, skipped when present).
// Demo promotions apply only to demo plans or need a coupon code, so a plan an operator creates
// costs exactly its price (API.md). Plans of a carrier that does not exist are not seeded.
//
// Plans (is_demo): us-keepalive-30 ($3, 30 d, 100 MB/10 min/10 SMS), us-standard-5gb ($15, 30 d,
// 5 GB/500 min/500 SMS), us-data-1gb add-on ($5), us-topup-10 / us-topup-25 (top-ups),
// us-build-your-own (bundle: 1 GB $4, 100 min $2, 100 SMS $1), uk-keepalive-30 (£2), uk-standard-5gb
// (£10, reset), uk-topup-10, travel-global-3gb ($12, 15 d, stack), travel-global-1gb ($5, 7 d).
// Promotions: 10 % off us-standard-5gb; +50 % data on uk-standard-5gb; +20 % data on the first
// recharge of a demo plan; coupons WELCOME5 ($5 off any USD purchase, once per user) and KEEP7
// (+7 validity days, any plan, once per user).
import type { SeedContext } from '../../seed/demo.ts';
import { SYSTEM_ACTOR } from '../audit/service.ts';
import { listCarrierCodes } from '../lines/service.ts';
import type { PlanInput } from './plan-input.ts';
import { createPlan } from './plans.ts';
import { createPromotion, type PromotionInputBody } from './promotions.ts';

const NO_ALLOWANCES = { dataMb: 0, voiceMin: 0, sms: 0 };

const usd = (amount: number): { amount: number; currency: string } => ({ amount, currency: 'USD' });
const gbp = (amount: number): { amount: number; currency: string } => ({ amount, currency: 'GBP' });

const DEMO_PLANS: ReadonlyArray<{ id: string; carrier: string; input: PlanInput }> = [
  {
    id: 'plan_demo_us_keepalive', carrier: 'us-paygo',
    input: {
      code: 'us-keepalive-30', kind: 'base', carriers: ['us-paygo'], regions: ['US'], price: usd(300), validityDays: 30,
      name: { en: 'Keep-alive 30 days, 100 MB', 'zh-CN': '保号 30 天，100 MB' },
      description: { en: 'The cheapest way to keep your US number for another month.', 'zh-CN': '最便宜的美国号码保号方式，再保 30 天。' },
      allowances: { dataMb: 100, voiceMin: 10, sms: 10 }, autoRenewable: true, expiryPolicy: 'extend',
    },
  },
  {
    id: 'plan_demo_us_5gb', carrier: 'us-paygo',
    input: {
      code: 'us-standard-5gb', kind: 'base', carriers: ['us-paygo'], regions: ['US'], price: usd(1500), validityDays: 30,
      name: { en: 'Standard 5 GB', 'zh-CN': '标准套餐 5 GB' },
      description: { en: '5 GB, 500 minutes and 500 texts for 30 days.', 'zh-CN': '30 天 5 GB 流量、500 分钟通话、500 条短信。' },
      allowances: { dataMb: 5120, voiceMin: 500, sms: 500 }, autoRenewable: true, expiryPolicy: 'extend',
    },
  },
  {
    id: 'plan_demo_us_data_1gb', carrier: 'us-paygo',
    input: {
      code: 'us-data-1gb', kind: 'addon', carriers: ['us-paygo'], regions: ['US'], price: usd(500), validityDays: 30,
      name: { en: 'Data add-on 1 GB', 'zh-CN': '流量加油包 1 GB' },
      description: { en: 'Extra data until your plan ends.', 'zh-CN': '额外流量，随当前套餐到期。' },
      allowances: { dataMb: 1024, voiceMin: 0, sms: 0 }, autoRenewable: false,
    },
  },
  {
    id: 'plan_demo_us_topup_10', carrier: 'us-paygo',
    input: {
      code: 'us-topup-10', kind: 'topup', carriers: ['us-paygo'], regions: ['US'], price: usd(1000), validityDays: 0,
      name: { en: 'Top-up $10', 'zh-CN': '充值 10 美元' }, allowances: NO_ALLOWANCES, autoRenewable: false,
    },
  },
  {
    id: 'plan_demo_us_topup_25', carrier: 'us-paygo',
    input: {
      code: 'us-topup-25', kind: 'topup', carriers: ['us-paygo'], regions: ['US'], price: usd(2500), validityDays: 0,
      name: { en: 'Top-up $25', 'zh-CN': '充值 25 美元' }, allowances: NO_ALLOWANCES, autoRenewable: false,
    },
  },
  {
    id: 'plan_demo_us_bundle', carrier: 'us-paygo',
    input: {
      code: 'us-build-your-own', kind: 'bundle', carriers: ['us-paygo'], regions: ['US'], validityDays: 30,
      name: { en: 'Build your own (30 days)', 'zh-CN': '自选套餐（30 天）' },
      description: { en: 'Pick data, minutes and texts in blocks.', 'zh-CN': '按块自由组合流量、通话和短信。' },
      allowances: NO_ALLOWANCES, autoRenewable: false, expiryPolicy: 'stack',
      bundleModules: [
        { unit: 'data', blockSize: 1024, blockPrice: usd(400) },
        { unit: 'voice', blockSize: 100, blockPrice: usd(200) },
        { unit: 'sms', blockSize: 100, blockPrice: usd(100) },
      ],
    },
  },
  {
    id: 'plan_demo_uk_keepalive', carrier: 'uk-keep',
    input: {
      code: 'uk-keepalive-30', kind: 'base', carriers: ['uk-keep'], regions: ['GB'], price: gbp(200), validityDays: 30,
      name: { en: 'Keep-alive 30 days, 100 MB', 'zh-CN': '保号 30 天，100 MB' },
      description: { en: 'A chargeable top-up that keeps your UK number alive.', 'zh-CN': '一次计费充值，让英国号码保持有效。' },
      allowances: { dataMb: 100, voiceMin: 10, sms: 10 }, autoRenewable: true,
    },
  },
  {
    id: 'plan_demo_uk_5gb', carrier: 'uk-keep',
    input: {
      code: 'uk-standard-5gb', kind: 'base', carriers: ['uk-keep'], regions: ['GB'], price: gbp(1000), validityDays: 30,
      name: { en: 'Standard 5 GB', 'zh-CN': '标准套餐 5 GB' },
      description: { en: 'Replaces what is left of your current plan.', 'zh-CN': '替换当前套餐的剩余额度。' },
      allowances: { dataMb: 5120, voiceMin: 300, sms: 300 }, autoRenewable: true, expiryPolicy: 'reset',
    },
  },
  {
    id: 'plan_demo_uk_topup_10', carrier: 'uk-keep',
    input: {
      code: 'uk-topup-10', kind: 'topup', carriers: ['uk-keep'], regions: ['GB'], price: gbp(1000), validityDays: 0,
      name: { en: 'Top-up £10', 'zh-CN': '充值 10 英镑' }, allowances: NO_ALLOWANCES, autoRenewable: false,
    },
  },
  {
    id: 'plan_demo_travel_3gb', carrier: 'travel-esim',
    input: {
      code: 'travel-global-3gb', kind: 'base', carriers: ['travel-esim'], regions: ['US', 'GB', 'FR', 'DE', 'JP', 'CN'], price: usd(1200),
      validityDays: 15, name: { en: 'Travel 3 GB, 15 days', 'zh-CN': '旅行 3 GB，15 天' },
      description: { en: 'Data in six countries; stacks on what you have.', 'zh-CN': '六国通用流量，可与现有额度叠加。' },
      allowances: { dataMb: 3072, voiceMin: 0, sms: 0 }, autoRenewable: false, expiryPolicy: 'stack',
    },
  },
  {
    id: 'plan_demo_travel_1gb', carrier: 'travel-esim',
    input: {
      code: 'travel-global-1gb', kind: 'base', carriers: ['travel-esim'], regions: ['US', 'GB', 'FR', 'DE', 'JP', 'CN'], price: usd(500),
      validityDays: 7, name: { en: 'Travel 1 GB, 7 days', 'zh-CN': '旅行 1 GB，7 天' },
      allowances: { dataMb: 1024, voiceMin: 0, sms: 0 }, autoRenewable: false, expiryPolicy: 'stack',
    },
  },
];

const ALL_DEMO_PLAN_IDS = DEMO_PLANS.map((p) => p.id);

const DEMO_PROMOTIONS: ReadonlyArray<{ id: string; input: PromotionInputBody }> = [
  {
    id: 'promo_demo_5gb_10off',
    input: { title: { en: '10% off Standard 5 GB', 'zh-CN': '标准套餐 5 GB 九折' }, kind: 'percent_off', value: 10, planIds: ['plan_demo_us_5gb'] },
  },
  {
    id: 'promo_demo_uk_bonus_data',
    input: { title: { en: '+50% data', 'zh-CN': '流量加赠 50%' }, kind: 'bonus_data_pct', value: 50, planIds: ['plan_demo_uk_5gb'] },
  },
  {
    id: 'promo_demo_first_recharge',
    input: {
      title: { en: 'First recharge: +20%', 'zh-CN': '首充加赠 20%' }, kind: 'first_recharge_bonus', value: 20, planIds: ALL_DEMO_PLAN_IDS,
    },
  },
  {
    id: 'promo_demo_welcome5',
    input: {
      title: { en: 'Welcome: $5 off', 'zh-CN': '新人立减 5 美元' }, kind: 'amount_off', value: 500, currency: 'USD', couponCode: 'WELCOME5',
      perUserLimit: 1, maxRedemptions: 10_000,
    },
  },
  {
    id: 'promo_demo_keep7',
    input: { title: { en: '7 extra days', 'zh-CN': '多送 7 天' }, kind: 'bonus_validity_days', value: 7, couponCode: 'KEEP7', perUserLimit: 1 },
  },
];

export async function seedDemoCatalog({ db, clock }: SeedContext): Promise<void> {
  const carriers = new Set(await listCarrierCodes(db));
  const existingPlans = new Set((await db.query<{ id: string }>(`SELECT id FROM plans WHERE is_demo`)).rows.map((r) => r.id));
  const now = clock.now();
  for (const plan of DEMO_PLANS) {
    if (existingPlans.has(plan.id) || !carriers.has(plan.carrier)) continue;
    await createPlan(db, now, SYSTEM_ACTOR, plan.input, { id: plan.id, isDemo: true });
  }
  const seededPlans = new Set((await db.query<{ id: string }>(`SELECT id FROM plans WHERE is_demo`)).rows.map((r) => r.id));
  const existingPromotions = new Set((await db.query<{ id: string }>(`SELECT id FROM promotions WHERE is_demo`)).rows.map((r) => r.id));
  for (const promotion of DEMO_PROMOTIONS) {
    if (existingPromotions.has(promotion.id)) continue;
    // Scope to the demo plans that exist; a promotion whose plans are all missing is skipped.
    const planIds = promotion.input.planIds?.filter((id) => seededPlans.has(id)) ?? null;
    if (planIds !== null && planIds.length === 0) continue;
    await createPromotion(db, now, SYSTEM_ACTOR, { ...promotion.input, planIds }, { id: promotion.id, isDemo: true });
  }
}
