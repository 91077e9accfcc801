import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '../../lib/api';
import { linesKeys } from './queries';

export interface BindCardInput {
  iccid: string;
  pin: string;
  nickname?: string;
}

export function useBindCard() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: BindCardInput) => unwrap(api.POST('/api/v1/lines/bind', { body })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: linesKeys.all }),
  });
}
