// Every href of the portal, in one place (the router's patterns sit next to their builders).

/** Only a path of this site may be a `from` to return to after logging in (never `//evil.test`). */
export function safeReturnPath(from: string | null | undefined): string | null {
  if (!from || !from.startsWith('/') || from.startsWith('//')) return null;
  return from;
}

export const paths = {
  home: { pattern: '/', href: () => '/' },
  login: {
    pattern: 'login',
    href: (from?: string) => {
      const back = safeReturnPath(from);
      return back ? `/login?from=${encodeURIComponent(back)}` : '/login';
    },
  },
  register: { pattern: 'register', href: () => '/register' },
  lines: { pattern: 'lines', href: () => '/lines' },
  /** The deadline calendar across all lines, for the next `days` (the page's default when absent). */
  calendar: { pattern: 'calendar', href: (days?: number) => (days ? `/calendar?days=${days}` : '/calendar') },
  bindCard: { pattern: 'bind', href: () => '/lines/bind' },
  order: { pattern: 'orders/:orderId', href: (orderId: string) => `/orders/${encodeURIComponent(orderId)}` },
  // Support tickets and the account
  tickets: { pattern: 'tickets', href: (status?: string) => (status ? `/tickets?status=${encodeURIComponent(status)}` : '/tickets') },
  newTicket: { pattern: 'tickets/new', href: (lineId?: string) => (lineId ? `/tickets/new?lineId=${encodeURIComponent(lineId)}` : '/tickets/new') },
  ticket: { pattern: 'tickets/:ticketId', href: (ticketId: string) => `/tickets/${encodeURIComponent(ticketId)}` },
  account: { pattern: 'account', href: () => '/account' },
  // Buying: plans, checkout, orders, wallet, saved payment methods.
  plans: { pattern: 'lines/:lineId/plans', href: (lineId: string) => `/lines/${encodeURIComponent(lineId)}/plans` },
  checkout: {
    pattern: 'lines/:lineId/checkout',
    /** A plan by id, or a wallet top-up of `topup` minor units in `currency`. */
    href: (lineId: string, what: { planId: string } | { topup: number; currency: string }) => {
      const query = 'planId' in what
        ? new URLSearchParams({ plan: what.planId })
        : new URLSearchParams({ topup: String(what.topup), currency: what.currency });
      return `/lines/${encodeURIComponent(lineId)}/checkout?${query.toString()}`;
    },
  },
  orders: { pattern: 'orders', href: () => '/orders' },
  wallet: { pattern: 'wallet', href: () => '/wallet' },
  paymentMethods: { pattern: 'payment-methods', href: () => '/payment-methods' },
  // Line detail, its auto-renew child (Back closes it), eSIM install; notifications and their settings.
  line: { pattern: 'lines/:lineId', href: (lineId: string) => `/lines/${encodeURIComponent(lineId)}` },
  lineAutoRenew: { pattern: 'auto-renew', href: (lineId: string) => `/lines/${encodeURIComponent(lineId)}/auto-renew` },
  lineEsim: { pattern: 'lines/:lineId/esim', href: (lineId: string) => `/lines/${encodeURIComponent(lineId)}/esim` },
  notifications: { pattern: 'notifications', href: () => '/notifications' },
  notificationSettings: { pattern: 'notifications/settings', href: () => '/notifications/settings' },
} as const;

/** Pages a visitor without a session may see: a 401 there is no reason to go to the login page. */
export const PUBLIC_PATHS: readonly string[] = [paths.login.href(), paths.register.href()];
