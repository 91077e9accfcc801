// The order receipt (GET /api/v1/orders/{id}/receipt): a small self-contained HTML page in the
// subscriber's language (en, zh-CN), amounts formatted by money.ts, every value escaped. It lists
// the order's refunds (date, amount, status), pending ones included, so it never overstates what
// the subscriber paid in the end. No PDF: `?format=pdf` is refused with 406 pdf_not_available.
import type { Queryable } from '../../db/types.ts';
import { conflict } from '../../domain/errors.ts';
import { format, money } from '../../domain/money.ts';
import { getLineById } from '../lines/service.ts';
import { escapeHtml } from '../../domain/html-escape.ts';
import { loadOrder } from './records.ts';
import { listRefunds, type RefundView } from './refunds.ts';

type ReceiptLocale = 'en' | 'zh-CN';

const LABELS: Readonly<Record<ReceiptLocale, Record<string, string>>> = {
  en: {
    title: 'Receipt', order: 'Order', item: 'Item', line: 'Line', subtotal: 'Subtotal', discount: 'Discount', total: 'Total',
    method: 'Payment method', paidAt: 'Paid', status: 'Status', topup: 'Wallet top-up', unpaid: 'not paid',
    card: 'Card', paypal: 'PayPal', alipay: 'Alipay', wechat_pay: 'WeChat Pay', wallet: 'Wallet balance', voucher: 'Voucher',
    refunds: 'Refunds', refundDate: 'Date', refundAmount: 'Amount', refundStatus: 'Status', refundTo: 'To',
    refund_pending: 'pending', refund_succeeded: 'refunded', refund_failed: 'failed (not refunded)',
    to_provider: 'original payment method', to_wallet: 'wallet',
    status_paid: 'paid', status_provisioning: 'activating', status_completed: 'completed', status_refunded: 'refunded',
  },
  'zh-CN': {
    title: '收据', order: '订单', item: '商品', line: '号码', subtotal: '小计', discount: '优惠', total: '合计',
    method: '支付方式', paidAt: '支付时间', status: '状态', topup: '钱包充值', unpaid: '未支付',
    card: '银行卡', paypal: 'PayPal', alipay: '支付宝', wechat_pay: '微信支付', wallet: '钱包余额', voucher: '充值券',
    refunds: '退款', refundDate: '日期', refundAmount: '金额', refundStatus: '状态', refundTo: '退至',
    refund_pending: '处理中', refund_succeeded: '已退款', refund_failed: '失败（未退款）',
    to_provider: '原支付方式', to_wallet: '钱包',
    status_paid: '已支付', status_provisioning: '开通中', status_completed: '已完成', status_refunded: '已退款',
  },
};

/** Receipts exist for orders that were paid (including later refunded ones). */
const RECEIPT_STATUSES = new Set(['paid', 'provisioning', 'completed', 'refunded']);

export async function renderReceipt(q: Queryable, userId: string, orderId: string, locale: string): Promise<string> {
  const order = await loadOrder(q, orderId, { userId });
  if (!RECEIPT_STATUSES.has(order.status) && order.paid_at === null) throw conflict('order_not_paid', 'a receipt is available once the order is paid');
  const lang: ReceiptLocale = locale === 'zh-CN' ? 'zh-CN' : 'en';
  const t = LABELS[lang];
  const line = await getLineById(q, order.line_id);
  const fmt = (minor: number): string => escapeHtml(format(money(minor, order.currency), lang));
  const item = order.plan ? (order.plan.name[lang] ?? order.plan.name['en'] ?? order.plan.code) : (t['topup'] ?? 'Top-up');
  const when = (at: Date): string => new Intl.DateTimeFormat(lang, { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' }).format(at) + ' UTC';
  const paidAt = order.paid_at ? when(order.paid_at) : (t['unpaid'] ?? '');
  const row = (label: string | undefined, value: string): string => `<tr><th>${escapeHtml(label ?? '')}</th><td>${value}</td></tr>`;
  const refunds = refundsTable(await listRefunds(q, order.id), t, (r) => escapeHtml(when(new Date(r.createdAt))), fmt);
  return `<!doctype html>
<html lang="${lang}"><head><meta charset="utf-8"><title>${escapeHtml(t['title'] ?? '')} ${escapeHtml(order.id)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:2rem auto}th{text-align:left;padding-right:1rem}td,th{padding:.25rem 0}</style></head>
<body><h1>simkeep — ${escapeHtml(t['title'] ?? '')}</h1><table>
${row(t['order'], escapeHtml(order.id))}
${row(t['item'], escapeHtml(item))}
${row(t['line'], escapeHtml(line.msisdn ?? line.iccid))}
${row(t['subtotal'], fmt(order.subtotal_minor))}
${row(t['discount'], order.discount_minor > 0 ? `−${fmt(order.discount_minor)}` : fmt(0))}
${row(t['total'], `<strong>${fmt(order.total_minor)}</strong>`)}
${row(t['method'], escapeHtml(t[order.payment_method] ?? order.payment_method))}
${row(t['paidAt'], escapeHtml(paidAt))}
${row(t['status'], escapeHtml(t[`status_${order.status}`] ?? order.status))}
</table>${refunds}</body></html>`;
}

/** The refunds section: one row per refund, oldest first; nothing when there is none. */
function refundsTable(refunds: readonly RefundView[], t: Record<string, string>, date: (r: RefundView) => string, fmt: (minor: number) => string): string {
  if (refunds.length === 0) return '';
  const label = (key: string): string => escapeHtml(t[key] ?? key);
  const rows = refunds.map((r) =>
    `<tr class="refund refund-${escapeHtml(r.status)}"><td>${date(r)}</td><td>−${fmt(r.amount.amount)}</td><td>${label(`refund_${r.status}`)}</td><td>${label(`to_${r.destination}`)}</td></tr>`);
  return `
<h2>${label('refunds')}</h2><table class="refunds">
<tr><th>${label('refundDate')}</th><th>${label('refundAmount')}</th><th>${label('refundStatus')}</th><th>${label('refundTo')}</th></tr>
${rows.join('\n')}
</table>`;
}
