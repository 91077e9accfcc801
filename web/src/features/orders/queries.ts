import { queryOptions } from '@tanstack/react-query';
import { api, unwrap } from '../../lib/api';
import { currentLocale } from '../../lib/i18n';
import type { components } from '../../api/schema';

export type Order = components['schemas']['Order'];

/** While an order can still move (paid → provisioning → completed), the page asks again this often. */
const ORDER_POLL_MS = 2_000;
const SETTLED: ReadonlySet<Order['status']> = new Set(['completed', 'failed', 'cancelled', 'refunded', 'expired']);
/** The newest orders the list shows; older ones stay reachable from each line's history. */
const ORDERS_PAGE_SIZE = 50;

export function isSettled(status: Order['status']): boolean {
  return SETTLED.has(status);
}

export const ordersKeys = { all: ['orders'] as const };

export function orderQuery(orderId: string) {
  const language = currentLocale();
  return queryOptions({
    queryKey: [...ordersKeys.all, 'detail', orderId, { language }] as const,
    queryFn: ({ signal }) => unwrap(api.GET('/api/v1/orders/{id}', { params: { path: { id: orderId } }, signal })),
    refetchInterval: (query) => (query.state.data && SETTLED.has(query.state.data.status) ? false : ORDER_POLL_MS),
  });
}

/**
 * The subscriber's newest orders. Orders move on the server without the portal's doing (a provider's
 * notification, the carrier), so the list is asked again whenever it is shown.
 */
export function ordersQuery() {
  const language = currentLocale();
  return queryOptions({
    queryKey: [...ordersKeys.all, 'list', { language }] as const,
    queryFn: ({ signal }) => unwrap(api.GET('/api/v1/orders', { params: { query: { limit: ORDERS_PAGE_SIZE } }, signal })),
    select: (page) => page.items,
    staleTime: 0,
  });
}

/** The receipt is an HTML page the server renders; the session cookie authorizes the plain link. */
export function receiptHref(orderId: string): string {
  return `/api/v1/orders/${encodeURIComponent(orderId)}/receipt`;
}
