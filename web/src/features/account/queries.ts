import { queryOptions } from '@tanstack/react-query';
import { api, unwrap } from '../../lib/api';

export const accountKeys = { me: ['me'] as const };

/** Who is signed in; a 401 means nobody (the signed-in branch's loader sends them to log in). */
export function meQuery() {
  return queryOptions({
    queryKey: accountKeys.me,
    queryFn: ({ signal }) => unwrap(api.GET('/api/v1/me', { signal })),
    staleTime: 60_000,
  });
}
