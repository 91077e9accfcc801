import { queryOptions } from '@tanstack/react-query';
import { api, unwrap } from '../../lib/api';
import { currentLocale } from '../../lib/i18n';
import type { components } from '../../api/schema';

export type Order = components['schemas']['Order'];

/** While an order can still move (paid → provisioning → completed), the page asks again this often. */
const ORDER_POLL_MS = 2_000;
const SETTLED: ReadonlySet<Order['status']> = new Set(['completed', 'failed', 'cancelled', 'refunded', 'expired']);

export const ordersKeys = { all: ['orders'] as const };

export function orderQuery(orderId: string) {
  const language = currentLocale();
  return queryOptions({
    queryKey: [...ordersKeys.all, 'detail', orderId, { language }] as const,
    queryFn: ({ signal }) => unwrap(api.GET('/api/v1/orders/{id}', { params: { path: { id: orderId } }, signal })),
    refetchInterval: (query) => (query.state.data && SETTLED.has(query.state.data.status) ? false : ORDER_POLL_MS),
  });
}
