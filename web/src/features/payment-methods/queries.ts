import { queryOptions } from '@tanstack/react-query';
import { api, unwrap } from '../../lib/api';
import type { paths } from '../../api/schema';

export type SavedMethod = paths['/api/v1/payment-methods']['get']['responses'][200]['content']['application/json']['items'][number];

export const paymentMethodsKeys = { all: ['payment-methods'] as const };

export function paymentMethodsQuery() {
  return queryOptions({
    queryKey: [...paymentMethodsKeys.all, 'list'] as const,
    queryFn: ({ signal }) => unwrap(api.GET('/api/v1/payment-methods', { signal })),
    select: (page) => page.items,
  });
}
