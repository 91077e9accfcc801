import { queryOptions } from '@tanstack/react-query';
import { api, unwrap } from '../../lib/api';
import type { paths } from '../../api/schema';

export type User = paths['/api/v1/me']['get']['responses'][200]['content']['application/json'];

export const accountKeys = { me: ['me'] as const };

/**
 * Who is signed in. Its 401 is an answer ("nobody"), not a lost session: the header simply shows no
 * account, and the signed-in branch's loader sends the visitor to log in.
 */
export function meQuery() {
  return queryOptions({
    queryKey: accountKeys.me,
    queryFn: ({ signal }) => unwrap(api.GET('/api/v1/me', { signal })),
    staleTime: 60_000,
    meta: { signedOutIsAnAnswer: true },
  });
}
