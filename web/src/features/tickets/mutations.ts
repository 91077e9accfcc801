import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '../../lib/api';
import { ticketsKeys, type Ticket } from './queries';

export interface OpenTicketInput {
  subject: string;
  body: string;
  lineId?: string;
}

/**
 * The ticket as the server answered: the detail is cached at once, the lists are asked again. A refusal
 * on an existing ticket asks for it again too: support may have closed it meanwhile (409 ticket_closed),
 * and the page then shows it closed.
 */
function useTicketWrite<Input>(write: (input: Input) => Promise<Ticket>, ticketId?: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: write,
    onSuccess: async (ticket) => {
      queryClient.setQueryData([...ticketsKeys.all, 'detail', ticket.id], ticket);
      await queryClient.invalidateQueries({ queryKey: [...ticketsKeys.all, 'list'] });
    },
    onError: async () => {
      if (ticketId) await queryClient.invalidateQueries({ queryKey: [...ticketsKeys.all, 'detail', ticketId] });
    },
  });
}

/**
 * The Idempotency-Key is made once per attempt by the caller and sent again on a retry, so a
 * double-submitted or retried form writes once (API: tickets and messages accept one).
 */
export function useOpenTicket() {
  return useTicketWrite(({ body, idempotencyKey }: { body: OpenTicketInput; idempotencyKey: string }) =>
    unwrap(api.POST('/api/v1/tickets', { body, headers: { 'idempotency-key': idempotencyKey } })));
}

export function useReplyToTicket(ticketId: string) {
  return useTicketWrite(({ body, idempotencyKey }: { body: string; idempotencyKey: string }) =>
    unwrap(api.POST('/api/v1/tickets/{id}/messages', { params: { path: { id: ticketId } }, body: { body }, headers: { 'idempotency-key': idempotencyKey } })), ticketId);
}

export function useCloseTicket(ticketId: string) {
  return useTicketWrite(() => unwrap(api.POST('/api/v1/tickets/{id}/close', { params: { path: { id: ticketId } } })), ticketId);
}
