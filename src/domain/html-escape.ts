// HTML escaping for the few server-rendered texts (sandbox payment page, receipts, notification
// emails): every value that reaches markup passes through here. Pure, so it lives with the rules.
const ENTITIES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ENTITIES[c] ?? c);
}
