// The calendar feed's words (SUMMARY and DESCRIPTION of each event) in en and zh-CN. The JSON
// calendar carries machine words only (kind, action); the portal translates those itself.
import { format, money } from '../../domain/money.ts';
import type { CalendarAction, CalendarKind } from '../../domain/deadline-calendar.ts';
import type { Locale } from '../accounts/service.ts';
import type { CalendarEntry } from './schemas.ts';

const SUMMARY: Record<Locale, Record<CalendarKind, string>> = {
  en: {
    expiry: 'plan expires', keepalive: 'keep-alive deadline', renewal: 'auto-renewal',
    suspension: 'suspended unless recharged', recycling: 'number recycled unless recharged',
  },
  'zh-CN': { expiry: '套餐到期', keepalive: '保号截止', renewal: '自动续费', suspension: '未充值将停机', recycling: '未充值号码将被回收' },
};

const ACTION: Record<Locale, Record<CalendarAction, (price: string | null) => string>> = {
  en: {
    renew: (p) => `Buy a plan${p ? ` (from ${p})` : ''} before then to keep the number.`,
    recharge: (p) => `Recharge${p ? ` (from ${p})` : ''} before then to keep the number.`,
    use_line: () => 'Use the line before then (a call, an SMS or some data) to keep the number.',
    auto_renew_scheduled: (p) => `Auto-renew will pay${p ? ` ${p}` : ''}; nothing to do. Turn it off on the line to stop it.`,
    contact_support: () => 'The line is suspended by the operator: contact support to keep the number.',
  },
  'zh-CN': {
    renew: (p) => `请在此之前购买套餐${p ? `（${p} 起）` : ''}以保留号码。`,
    recharge: (p) => `请在此之前充值${p ? `（${p} 起）` : ''}以保留号码。`,
    use_line: () => '请在此之前使用该号码（通话、短信或流量）以保留号码。',
    auto_renew_scheduled: (p) => `将自动续费${p ? ` ${p}` : ''}，无需操作。如需停止，请在号码设置中关闭自动续费。`,
    contact_support: () => '该号码已被运营方停机，请联系客服以保留号码。',
  },
};

function lineLabel(e: CalendarEntry, locale: Locale): string {
  const number = e.msisdn ?? (locale === 'zh-CN' ? '您的号码' : 'your line');
  return e.nickname ? `${e.nickname} (${number})` : number;
}

export function summarizeEntry(e: CalendarEntry, locale: Locale): string {
  return `${lineLabel(e, locale)}${locale === 'zh-CN' ? '：' : ': '}${SUMMARY[locale][e.kind]}`;
}

export function describeEntry(e: CalendarEntry, locale: Locale): string {
  const price = e.price ? format(money(e.price.amount, e.price.currency), locale) : null;
  return ACTION[locale][e.action](price);
}
