import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '../../lib/api';
import { paymentMethodsKeys } from './queries';

/** Opens the provider's own page that saves a card (simkeep never sees the number). */
export function useAddPaymentMethod() {
  return useMutation({
    mutationFn: () => unwrap(api.POST('/api/v1/payment-methods', { body: { paymentMethod: 'card' } })),
  });
}

export function useMakeDefault() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => unwrap(api.PATCH('/api/v1/payment-methods/{id}', { params: { path: { id } }, body: { isDefault: true } })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: paymentMethodsKeys.all }),
  });
}

export function useDeletePaymentMethod() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => unwrap(api.DELETE('/api/v1/payment-methods/{id}', { params: { path: { id } } })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: paymentMethodsKeys.all }),
  });
}
