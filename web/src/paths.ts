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
  bindCard: { pattern: 'bind', href: () => '/lines/bind' },
  order: { pattern: 'orders/:orderId', href: (orderId: string) => `/orders/${encodeURIComponent(orderId)}` },
  // Line detail, its auto-renew child (Back closes it), eSIM install; notifications and their settings.
  line: { pattern: 'lines/:lineId', href: (lineId: string) => `/lines/${encodeURIComponent(lineId)}` },
  lineAutoRenew: { pattern: 'auto-renew', href: (lineId: string) => `/lines/${encodeURIComponent(lineId)}/auto-renew` },
  lineEsim: { pattern: 'lines/:lineId/esim', href: (lineId: string) => `/lines/${encodeURIComponent(lineId)}/esim` },
  notifications: { pattern: 'notifications', href: () => '/notifications' },
  notificationSettings: { pattern: 'notifications/settings', href: () => '/notifications/settings' },
} as const;

/** Pages a visitor without a session may see: a 401 there is no reason to go to the login page. */
export const PUBLIC_PATHS: readonly string[] = [paths.login.href(), paths.register.href()];
