import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '../../lib/api';
import type { paths } from '../../api/schema';
import { linesKeys } from './queries';

export interface BindCardInput {
  iccid: string;
  pin: string;
  nickname?: string;
}

export type LineChanges = paths['/api/v1/lines/{id}']['patch']['requestBody']['content']['application/json'];

export function useBindCard() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: BindCardInput) => unwrap(api.POST('/api/v1/lines/bind', { body })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: linesKeys.all }),
  });
}

/** Nickname and auto-renew: one PATCH; every view of lines (list, detail) is refetched after it. */
export function useUpdateLine(lineId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: LineChanges) => unwrap(api.PATCH('/api/v1/lines/{id}', { params: { path: { id: lineId } }, body })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: linesKeys.all }),
  });
}

/** Saving a card happens on the provider's own page: this asks for it, then the browser goes there. */
export function useAddCard() {
  return useMutation({
    mutationFn: () => unwrap(api.POST('/api/v1/payment-methods', { body: { paymentMethod: 'card' } })),
  });
}
