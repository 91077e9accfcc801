import { queryOptions } from '@tanstack/react-query';
import { api, unwrap } from '../../lib/api';
import { currentLocale } from '../../lib/i18n';
import type { paths } from '../../api/schema';

export type Line = paths['/api/v1/lines']['get']['responses'][200]['content']['application/json']['items'][number];

/** A subscriber has a handful of lines; one page of this size shows them all. */
const LINES_PAGE_SIZE = 50;

export const linesKeys = { all: ['lines'] as const };

/** The signed-in user's lines; plan names come in the request's language, so it is in the key. */
export function linesQuery() {
  const language = currentLocale();
  return queryOptions({
    queryKey: [...linesKeys.all, 'list', { language }] as const,
    queryFn: ({ signal }) => unwrap(api.GET('/api/v1/lines', { params: { query: { limit: LINES_PAGE_SIZE } }, signal })),
    select: (page) => page.items,
  });
}
