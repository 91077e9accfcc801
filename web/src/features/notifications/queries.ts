import { queryOptions } from '@tanstack/react-query';
import { api, unwrap } from '../../lib/api';
import type { paths } from '../../api/schema';

type ListAnswer = paths['/api/v1/notifications']['get']['responses'][200]['content']['application/json'];
export type Notice = ListAnswer['items'][number];
export type NoticeKind = Notice['kind'];
export type NotificationSettings = paths['/api/v1/me/notification-settings']['get']['responses'][200]['content']['application/json'];
export type SavedSettings = paths['/api/v1/me/notification-settings']['patch']['responses'][200]['content']['application/json'];

/** The newest notices: the page lists them and the header counts the unread among them. */
const NOTICES_SHOWN = 100;
/** The header's unread count follows new notices (an order completing, a reminder) this often. */
const UNREAD_POLL_MS = 60_000;

export const notificationsKeys = {
  all: ['notifications'] as const,
  list: ['notifications', 'list'] as const,
  settings: ['notifications', 'settings'] as const,
};

export function notificationsQuery() {
  return queryOptions({
    queryKey: notificationsKeys.list,
    queryFn: ({ signal }) => unwrap(api.GET('/api/v1/notifications', { params: { query: { limit: NOTICES_SHOWN } }, signal })),
  });
}

/** The same list as the page, counted: one request serves both. */
export function unreadCountQuery() {
  return queryOptions({
    ...notificationsQuery(),
    select: (answer: ListAnswer) => answer.items.filter((notice) => notice.readAt === null).length,
    refetchInterval: UNREAD_POLL_MS,
  });
}

export function notificationSettingsQuery() {
  return queryOptions({
    queryKey: notificationsKeys.settings,
    queryFn: ({ signal }) => unwrap(api.GET('/api/v1/me/notification-settings', { signal })),
  });
}
