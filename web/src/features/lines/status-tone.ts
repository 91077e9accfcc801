// How a line's and an order's status are coloured on the lines pages: waiting or at risk is a warning,
// lost or failed is danger, the rest is fine.
import type { StatusTone } from '../../components/status-chip';
import type { Line, LineOrder } from './queries';

const LINE_TONE: Record<Line['status'], StatusTone> = {
  bound: 'warn', active: 'ok', grace: 'warn', suspended: 'warn', recycled: 'danger', terminated: 'danger',
};

const ORDER_TONE: Record<LineOrder['status'], StatusTone> = {
  awaiting_payment: 'warn', paid: 'warn', provisioning: 'warn', completed: 'ok',
  failed: 'danger', cancelled: 'danger', expired: 'danger', refunded: 'danger',
};

export const lineStatusTone = (status: Line['status']): StatusTone => LINE_TONE[status];
export const orderStatusTone = (status: LineOrder['status']): StatusTone => ORDER_TONE[status];
