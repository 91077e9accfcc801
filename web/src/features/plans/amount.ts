// An amount typed by the subscriber ("10", "10.5", "10,50") as integer minor units of a currency,
// built from its digits — never through a float.
const AMOUNT_PATTERN = /^(\d{1,7})(?:[.,](\d+))?$/;

export function minorUnitsOf(text: string, currency: string, locale: string): number | null {
  const match = AMOUNT_PATTERN.exec(text.trim());
  if (!match) return null;
  const digits = new Intl.NumberFormat(locale, { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
  const fraction = match[2] ?? '';
  if (fraction.length > digits) return null;
  const minor = Number(`${match[1] ?? '0'}${fraction.padEnd(digits, '0')}`);
  return minor > 0 ? minor : null;
}
