import { QueryCache, QueryClient } from '@tanstack/react-query';
import { ApiError } from '../lib/api';

const STALE_MS = 15_000;

/**
 * `onUnauthenticated` runs when a query answers 401 (the session ended) — except a query whose meta
 * says a 401 is a normal answer (who am I?): the app sends the user to the login page, remembering
 * where they were. Failed queries are not retried when the answer is a
 * 4xx: asking again cannot change it.
 */
export function createQueryClient(onUnauthenticated: () => void): QueryClient {
  return new QueryClient({
    queryCache: new QueryCache({
      onError: (error, query) => {
        if (error instanceof ApiError && error.status === 401 && query.meta?.signedOutIsAnAnswer !== true) onUnauthenticated();
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
