// The values a ticket's status and a message's author may take, once: the TypeScript types, the zod
// enums and the database CHECKs (0019_tickets.sql, compared by a test) all come from these lists.
export const TICKET_STATUSES = ['open', 'answered', 'closed'] as const;
export type TicketStatus = (typeof TICKET_STATUSES)[number];

export const TICKET_AUTHORS = ['customer', 'operator'] as const;
export type TicketAuthor = (typeof TICKET_AUTHORS)[number];
