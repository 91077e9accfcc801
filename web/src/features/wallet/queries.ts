import { queryOptions } from '@tanstack/react-query';
import { api, unwrap } from '../../lib/api';
import type { paths } from '../../api/schema';

export type Wallet = paths['/api/v1/wallet']['get']['responses'][200]['content']['application/json'];
export type WalletEntry = Wallet['entries'][number];

export const walletKeys = { all: ['wallet'] as const };

/**
 * The balance and its newest entries (in the currency of the subscriber's first line). Paid orders
 * move it on the server without the portal's doing, so it is asked again whenever it is shown.
 */
export function walletQuery() {
  return queryOptions({
    queryKey: [...walletKeys.all, 'summary'] as const,
    queryFn: ({ signal }) => unwrap(api.GET('/api/v1/wallet', { signal })),
    staleTime: 0,
  });
}
