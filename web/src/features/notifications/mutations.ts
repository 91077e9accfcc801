import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '../../lib/api';
import type { paths } from '../../api/schema';
import { notificationsKeys } from './queries';

export type SettingsChanges = paths['/api/v1/me/notification-settings']['patch']['requestBody']['content']['application/json'];

export function useMarkRead() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => unwrap(api.POST('/api/v1/notifications/{id}/read', { params: { path: { id } } })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: notificationsKeys.list }),
  });
}

export function useSaveNotificationSettings() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: SettingsChanges) => unwrap(api.PATCH('/api/v1/me/notification-settings', { body })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: notificationsKeys.settings }),
  });
}
