import { queryOptions } from '@tanstack/react-query';
import { api, unwrap } from '../../lib/api';
import type { paths } from '../../api/schema';

export type EsimInstall = paths['/api/v1/lines/{id}/esim']['get']['responses'][200]['content']['application/json'];

export const esimKeys = { all: ['esim'] as const };

/**
 * The line's activation code, QR and iOS link. It holds a secret (the Matching ID), so it is not kept
 * once the page is left; a 409 `not_esim` is an answer, not a failure to retry.
 */
export function esimQuery(lineId: string) {
  return queryOptions({
    queryKey: [...esimKeys.all, lineId] as const,
    queryFn: ({ signal }) => unwrap(api.GET('/api/v1/lines/{id}/esim', { params: { path: { id: lineId } }, signal })),
    gcTime: 0,
    staleTime: Infinity,
  });
}
