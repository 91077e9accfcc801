import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '../../lib/api';
import type { Locale } from '../../lib/i18n';
import { accountKeys } from './queries';

export interface Credentials {
  email: string;
  password: string;
}

/** Logging in sets the session cookie; the token in the answer is for API clients and is not kept. */
export function useLogin() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: Credentials) => unwrap(api.POST('/api/v1/auth/login', { body })),
    onSuccess: (session) => {
      // Another account's cached data must not show for a moment under the new one.
      queryClient.clear();
      queryClient.setQueryData(accountKeys.me, session.user);
    },
  });
}

export function useRegister() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: Credentials & { name?: string; locale: Locale }) => unwrap(api.POST('/api/v1/auth/register', { body })),
    onSuccess: (session) => {
      queryClient.clear();
      queryClient.setQueryData(accountKeys.me, session.user);
    },
  });
}

export function useLogout() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: () => unwrap(api.POST('/api/v1/auth/logout')),
    onSettled: () => queryClient.clear(),
  });
}

/** Saves the interface language on the account, so emails and the next login use it too. */
export function useSaveLocale() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (locale: Locale) => unwrap(api.PATCH('/api/v1/me', { body: { locale } })),
    onSuccess: (user) => queryClient.setQueryData(accountKeys.me, user),
  });
}

/** The name support and emails address the subscriber by; `null` clears it. */
export function useSaveName() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (name: string | null) => unwrap(api.PATCH('/api/v1/me', { body: { name } })),
    onSuccess: (user) => queryClient.setQueryData(accountKeys.me, user),
  });
}
