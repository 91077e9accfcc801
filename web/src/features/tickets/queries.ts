import { infiniteQueryOptions, queryOptions } from '@tanstack/react-query';
import { api, unwrap } from '../../lib/api';
import type { paths } from '../../api/schema';

type TicketPage = paths['/api/v1/tickets']['get']['responses'][200]['content']['application/json'];
export type TicketSummary = TicketPage['items'][number];
export type Ticket = paths['/api/v1/tickets/{id}']['get']['responses'][200]['content']['application/json'];
export type TicketStatus = Ticket['status'];
export const TICKET_STATUSES: readonly TicketStatus[] = ['open', 'answered', 'closed'];

type LinePage = paths['/api/v1/lines']['get']['responses'][200]['content']['application/json'];
export interface LineChoice {
  id: string;
  /** The nickname, else the phone number, else the card number: what the subscriber calls the line. */
  label: string;
}

/** One page of tickets; older ones come with "show older" (the server pages by last activity). */
const TICKETS_PAGE_SIZE = 20;
/** A subscriber has a handful of lines; one page of this size lists them all in the line select. */
const LINES_PAGE_SIZE = 50;
/** While a ticket waits for support, the page asks again this often, so a reply shows without a reload. */
const OPEN_TICKET_POLL_MS = 30_000;

export const ticketsKeys = { all: ['tickets'] as const };

function isTicketStatus(value: string | null): value is TicketStatus {
  return value !== null && (TICKET_STATUSES as readonly string[]).includes(value);
}

/** `?status=` as the list filters by it: anything else is "all". */
export function statusFilterOf(value: string | null): TicketStatus | null {
  return isTicketStatus(value) ? value : null;
}

export function ticketsQuery(status: TicketStatus | null) {
  return infiniteQueryOptions({
    queryKey: [...ticketsKeys.all, 'list', status ?? 'all'] as const,
    queryFn: ({ signal, pageParam }) => unwrap(api.GET('/api/v1/tickets', {
      params: { query: { limit: TICKETS_PAGE_SIZE, ...(status ? { status } : {}), ...(pageParam ? { cursor: pageParam } : {}) } },
      signal,
    })),
    initialPageParam: null as string | null,
    getNextPageParam: (page: TicketPage) => page.nextCursor,
    select: (data) => data.pages.flatMap((page) => page.items),
  });
}

export function ticketQuery(ticketId: string) {
  return queryOptions({
    queryKey: [...ticketsKeys.all, 'detail', ticketId] as const,
    queryFn: ({ signal }) => unwrap(api.GET('/api/v1/tickets/{id}', { params: { path: { id: ticketId } }, signal })),
    refetchInterval: (query) => (query.state.data?.status === 'open' ? OPEN_TICKET_POLL_MS : false),
  });
}

function labelOf(line: LinePage['items'][number]): string {
  return line.nickname ?? line.msisdn ?? line.iccid.replace(/(\d{4})(?=\d)/g, '$1 ');
}

/**
 * The subscriber's lines as a ticket names them. Its own key under `tickets`: features do not share
 * queries, and this view needs neither plans nor balances, so the language is not part of it.
 */
export function ticketLinesQuery() {
  return queryOptions({
    queryKey: [...ticketsKeys.all, 'lines'] as const,
    queryFn: ({ signal }) => unwrap(api.GET('/api/v1/lines', { params: { query: { limit: LINES_PAGE_SIZE } }, signal })),
    select: (page): LineChoice[] => page.items.map((line) => ({ id: line.id, label: labelOf(line) })),
  });
}
