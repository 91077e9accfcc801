// The words of every notification, per kind and locale (en and zh-CN; English is the fallback).
// A template turns the notification's data into a title and a plain-text body — the in-app copy —
// and an email is that title and body plus a link, as text and as escaped HTML. Data comes from
// the raising module and may miss a field: every template reads it through `Vars`, which falls
// back to neutral wording instead of printing "undefined".
import { escapeHtml } from '../../domain/html-escape.ts';
import type { Locale } from '../accounts/service.ts';
import { format as formatMoney, isKnownCurrency, money } from '../../domain/money.ts';
import type { JobPayload, JsonValue } from '../../jobs/queue.ts';
import type { NotificationKind } from './kinds.ts';

export interface TemplateInput {
  data: JobPayload;
  daysBefore: number | null;
  percent: number | null;
}

export interface Rendered {
  title: string;
  body: string;
}

/** Reads a notification's data for a template, with fallbacks per locale. */
class Vars {
  constructor(private readonly input: TemplateInput, private readonly locale: Locale) {}

  text(key: string, fallback: string): string {
    const value: JsonValue | undefined = this.input.data[key];
    return typeof value === 'string' && value.trim() !== '' ? value : typeof value === 'number' ? String(value) : fallback;
  }

  /** The value after a space, or nothing at all when the data lacks it. */
  spaced(key: string): string {
    const value = this.text(key, '');
    return value ? ` ${value}` : '';
  }

  /** The line as people know it: its number, else its nickname, else "your line". */
  get line(): string {
    return this.text('msisdn', this.text('nickname', this.locale === 'zh-CN' ? '您的号码' : 'your line'));
  }

  /** `{amount, currency}` (API money) formatted for the locale, or the fallback. */
  money(key: string, fallback: string): string {
    const value = this.input.data[key];
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return fallback;
    const { amount, currency } = value;
    if (typeof amount !== 'number' || !Number.isSafeInteger(amount) || typeof currency !== 'string' || !isKnownCurrency(currency)) return fallback;
    return formatMoney(money(amount, currency), this.locale);
  }

  /** An RFC 3339 time in the data as a calendar date (UTC), or the fallback. */
  date(key: string, fallback: string): string {
    const value = this.input.data[key];
    if (typeof value !== 'string' || Number.isNaN(Date.parse(value))) return fallback;
    return new Date(value).toISOString().slice(0, 10);
  }

  /** Why a renewal failed, in this locale when its `reasonCode` is known, else the raising module's text. */
  get reason(): string {
    const code = this.input.data['reasonCode'];
    const worded = typeof code === 'string' ? RENEWAL_FAILURE_WORDS[this.locale][code] : undefined;
    return worded ?? this.text('reason', '');
  }

  get daysBefore(): number {
    return this.input.daysBefore ?? 0;
  }

  get percent(): number {
    return this.input.percent ?? 0;
  }
}

type Template = (v: Vars) => Rendered;

/** renewal_failed's reasons by code (src/modules/renewals RENEWAL_FAILURE_REASONS), per locale. */
const RENEWAL_FAILURE_WORDS: Record<Locale, Record<string, string>> = {
  en: {
    plan_unavailable: 'the auto-renew plan is no longer available for this line; choose another plan',
    no_funds: 'the wallet does not cover the renewal and no saved card could be charged',
    card_declined: 'your saved card was declined',
    card_failed: 'your saved card could not be charged',
    confirmation_required: 'your bank asks you to confirm this payment',
    monthly_cap: 'this renewal would exceed the monthly spending cap set on the line; it was not charged',
  },
  'zh-CN': {
    plan_unavailable: '自动续费套餐已不适用于该号码，请选择其他套餐',
    no_funds: '钱包余额不足，且没有可扣款的已保存银行卡',
    card_declined: '您保存的银行卡被拒绝',
    card_failed: '无法从您保存的银行卡扣款',
    confirmation_required: '您的银行要求您确认此笔付款',
    monthly_cap: '此次续费将超过该号码设置的每月扣款上限，因此未扣款',
  },
};

const EN: Record<NotificationKind, Template> = {
  expiry_reminder: (v) => ({
    title: `${v.line} expires in ${v.daysBefore} day${v.daysBefore === 1 ? '' : 's'}`,
    body: `Your plan on ${v.line} ends on ${v.date('expiresAt', 'its expiry date')}. Recharge before then to keep the number.`,
  }),
  keepalive_reminder: (v) => ({
    title: `Keep ${v.line} alive`,
    body: `Your carrier needs activity on ${v.line} by ${v.date('deadline', 'the deadline')} (a call, an SMS or some data), or the number may be suspended.`,
  }),
  renewal_upcoming: (v) => ({
    title: `${v.line} renews on ${v.date('chargeAt', 'its renewal date')}`,
    body: `We will charge ${v.money('amount', 'the plan price')} on ${v.date('chargeAt', 'the renewal date')} to renew ${v.line}. To stop it, turn off auto-renew on the line.`,
  }),
  renewal_succeeded: (v) => ({
    title: `${v.line} renewed`,
    body: `We renewed ${v.line} for ${v.money('amount', 'the plan price')}. It is now valid until ${v.date('expiresAt', 'the end of the new period')}.`,
  }),
  renewal_failed: (v) => ({
    title: `${v.line} could not be renewed`,
    body: `Renewing ${v.line} failed${v.reason ? `: ${v.reason}` : ''}. Pay now to keep the number: ${v.text('payUrl', 'open the line in simkeep')}.`,
  }),
  low_balance: (v) => ({
    title: 'Your wallet balance is low',
    body: v.money('amount', '')
      ? `Your wallet holds ${v.money('balance', 'little')}, less than the ${v.money('amount', '')} that renews ${v.line} on ${v.date('chargeAt', 'its renewal date')}. Top it up before then, or you will get a pay-now link instead.`
      : `Your wallet holds ${v.money('balance', 'little')}. Top it up so renewals and usage keep working.`,
  }),
  allowance_used: (v) => ({
    title: `${v.percent}% of your ${v.text('unit', 'allowance')} used on ${v.line}`,
    body: `You have used ${v.percent}% of the ${v.text('unit', 'allowance')} of your plan on ${v.line}.`,
  }),
  line_suspended: (v) => ({
    title: `${v.line} is suspended`,
    body: `${v.line} was suspended on ${v.date('at', 'today')} because its validity ran out. Recharge before ${v.date('recycleAt', 'it is recycled')} to keep the number.`,
  }),
  line_recycled: (v) => ({
    title: `${v.line} was recycled`,
    body: `${v.line} stayed suspended too long and was returned to the carrier on ${v.date('at', 'today')}. The number is no longer yours.`,
  }),
  order_completed: (v) => ({
    title: 'Your order is complete',
    body: `Order${v.spaced('orderNumber')} for ${v.line} is complete${v.money('amount', '') ? ` (${v.money('amount', '')})` : ''}.`,
  }),
  order_failed: (v) => ({
    title: 'Your order failed',
    body: `Order${v.spaced('orderNumber')} for ${v.line} could not be completed${v.text('reason', '') ? `: ${v.text('reason', '')}` : ''}. Any payment is refunded.`,
  }),
  refund_issued: (v) => ({
    title: 'Refund issued',
    body: `We refunded ${v.money('amount', 'your payment')}. It may take a few days to show on your statement.`,
  }),
  ticket_reply: (v) => ({
    title: `New reply: ${v.text('subject', 'your support ticket')}`,
    body: `Support answered your ticket "${v.text('subject', 'your support ticket')}". Open it to read the reply.`,
  }),
};

const ZH_CN: Record<NotificationKind, Template> = {
  expiry_reminder: (v) => ({
    title: `${v.line} 将在 ${v.daysBefore} 天后到期`,
    body: `${v.line} 的套餐将于 ${v.date('expiresAt', '到期日')} 到期。请在此之前充值以保留号码。`,
  }),
  keepalive_reminder: (v) => ({
    title: `请为 ${v.line} 保号`,
    body: `运营商要求 ${v.line} 在 ${v.date('deadline', '截止日')} 前有使用记录（通话、短信或流量），否则号码可能被停机。`,
  }),
  renewal_upcoming: (v) => ({
    title: `${v.line} 将于 ${v.date('chargeAt', '续费日')} 自动续费`,
    body: `我们将于 ${v.date('chargeAt', '续费日')} 扣款 ${v.money('amount', '套餐费用')} 为 ${v.line} 续费。如需停止，请在号码设置中关闭自动续费。`,
  }),
  renewal_succeeded: (v) => ({
    title: `${v.line} 已续费`,
    body: `已为 ${v.line} 续费 ${v.money('amount', '套餐费用')}，有效期至 ${v.date('expiresAt', '新周期结束')}。`,
  }),
  renewal_failed: (v) => ({
    title: `${v.line} 续费失败`,
    body: `${v.line} 续费失败${v.reason ? `：${v.reason}` : ''}。请立即付款以保留号码：${v.text('payUrl', '在 simkeep 中打开该号码')}。`,
  }),
  low_balance: (v) => ({
    title: '钱包余额不足',
    body: v.money('amount', '')
      ? `您的钱包余额为 ${v.money('balance', '较低')}，不足以支付 ${v.date('chargeAt', '续费日')} 为 ${v.line} 自动续费所需的 ${v.money('amount', '')}。请在此之前充值，否则您将收到付款链接。`
      : `您的钱包余额为 ${v.money('balance', '较低')}。请充值，以免续费和使用受影响。`,
  }),
  allowance_used: (v) => ({
    title: `${v.line} 的${v.text('unit', '套餐额度')}已用 ${v.percent}%`,
    body: `您在 ${v.line} 上的套餐${v.text('unit', '额度')}已使用 ${v.percent}%。`,
  }),
  line_suspended: (v) => ({
    title: `${v.line} 已停机`,
    body: `${v.line} 因有效期届满已于 ${v.date('at', '今天')} 停机。请在 ${v.date('recycleAt', '号码回收')} 前充值以保留号码。`,
  }),
  line_recycled: (v) => ({
    title: `${v.line} 已被回收`,
    body: `${v.line} 停机时间过长，已于 ${v.date('at', '今天')} 被运营商回收，该号码不再属于您。`,
  }),
  order_completed: (v) => ({
    title: '订单已完成',
    body: `${v.line} 的订单${v.spaced('orderNumber')} 已完成${v.money('amount', '') ? `（${v.money('amount', '')}）` : ''}。`,
  }),
  order_failed: (v) => ({
    title: '订单失败',
    body: `${v.line} 的订单${v.spaced('orderNumber')} 未能完成${v.text('reason', '') ? `：${v.text('reason', '')}` : ''}。已付款项将退回。`,
  }),
  refund_issued: (v) => ({
    title: '退款已发放',
    body: `我们已退款 ${v.money('amount', '您的付款')}，可能需要几天才会显示在账单上。`,
  }),
  ticket_reply: (v) => ({
    title: `新回复：${v.text('subject', '您的工单')}`,
    body: `客服已回复您的工单“${v.text('subject', '您的工单')}”，请打开查看。`,
  }),
};

export const TEMPLATES: Readonly<Record<Locale, Record<NotificationKind, Template>>> = { en: EN, 'zh-CN': ZH_CN };

/** The in-app title and body in `locale` (English when the locale has no templates). */
export function renderNotification(kind: NotificationKind, locale: string, input: TemplateInput): Rendered {
  const lang: Locale = locale === 'zh-CN' ? 'zh-CN' : 'en';
  return TEMPLATES[lang][kind](new Vars(input, lang));
}

const EMAIL_WORDS: Record<Locale, { open: string; settings: string }> = {
  en: { open: 'Open in simkeep', settings: 'Notification settings' },
  'zh-CN': { open: '在 simkeep 中打开', settings: '通知设置' },
};

export interface EmailContent {
  subject: string;
  text: string;
  html: string;
}

/** The email of a stored notification: its title and body, a link to it and to the settings. */
export function renderEmail(input: { title: string; body: string; locale: string; linkUrl: string; settingsUrl: string }): EmailContent {
  const words = EMAIL_WORDS[input.locale === 'zh-CN' ? 'zh-CN' : 'en'];
  const text = `${input.body}\n\n${words.open}: ${input.linkUrl}\n${words.settings}: ${input.settingsUrl}\n`;
  const html = `<!doctype html><html lang="${escapeHtml(input.locale)}"><body>`
    + `<h1>${escapeHtml(input.title)}</h1><p>${escapeHtml(input.body)}</p>`
    + `<p><a href="${escapeHtml(input.linkUrl)}">${escapeHtml(words.open)}</a></p>`
    + `<p><small><a href="${escapeHtml(input.settingsUrl)}">${escapeHtml(words.settings)}</a></small></p></body></html>`;
  return { subject: input.title, text, html };
}
