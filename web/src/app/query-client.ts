import { QueryCache, QueryClient } from '@tanstack/react-query';
import { ApiError } from '../lib/api';

const STALE_MS = 15_000;

/**
 * `onUnauthenticated` runs when any query answers 401 (the session ended): the app sends the user to
 * the login page, remembering where they were. Failed queries are not retried when the answer is a
 * 4xx: asking again cannot change it.
 */
export function createQueryClient(onUnauthenticated: () => void): QueryClient {
  return new QueryClient({
    queryCache: new QueryCache({
      onError: (error) => {
        if (error instanceof ApiError && error.status === 401) onUnauthenticated();
      },
    }),
    defaultOptions: {
      queries: {
        staleTime: STALE_MS,
        retry: (failures, error) => !(error instanceof ApiError && error.status >= 400 && error.status < 500) && failures < 2,
      },
    },
  });
}
