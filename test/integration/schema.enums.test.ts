// The values an enum column may hold are declared once, as a const array next to their rule (→ the
// TS type and the zod enum). The database's CHECK constraints must list the same values: this reads
// them back from a migrated database (pg_get_constraintdef) and compares the sets, and it fails for
// an enum CHECK that no row here covers, so a new one cannot slip by.
import { expect, it } from 'vitest';
import { KEEP_ALIVE_RULES } from '../../src/domain/carrier-profile.ts';
import { LINE_STATUSES, STORED_LINE_STATUSES } from '../../src/domain/lifecycle.ts';
import { BUCKET_SOURCES, BUCKET_UNITS, EXPIRY_POLICIES, PLAN_KINDS } from '../../src/domain/plan-credit.ts';
import { USAGE_STATUSES, USAGE_TYPES } from '../../src/domain/rating.ts';
import { SIM_FORMS } from '../../src/domain/sim-form.ts';
import { LOCALES, TOKEN_KINDS, USER_ROLES } from '../../src/modules/accounts/service.ts';
import { LINE_CREDIT_KINDS, SIM_STATUSES } from '../../src/modules/lines/service.ts';
import { ORDER_KINDS } from '../../src/domain/pricing.ts';
import { PROMOTION_KINDS } from '../../src/domain/promotion.ts';
import { JOB_STATUSES } from '../../src/jobs/queue.ts';
import { REDEMPTION_STATUSES } from '../../src/modules/catalog/redemptions.ts';
import { IDEMPOTENCY_STATUSES } from '../../src/modules/idempotency/service.ts';
import { CARRIER_ADAPTER_KINDS, CARRIER_CALLBACK_STATUSES } from '../../src/modules/carrier-adapters/schemas.ts';
import { ACCOUNT_KINDS } from '../../src/modules/ledger/service.ts';
import { DELIVERY_STATUSES, NOTIFICATION_CHANNELS, NOTIFICATION_KINDS } from '../../src/modules/notifications/kinds.ts';
import { ORDER_STATUSES } from '../../src/modules/orders/records.ts';
import { VOUCHER_STATUSES } from '../../src/modules/orders/vouchers.ts';
import { SANDBOX_REFUND_STATUSES } from '../../src/modules/payments/sandbox-provider.ts';
import { SANDBOX_PAYMENT_STATUSES } from '../../src/modules/payments/sandbox-service.ts';
import {
  PAYMENT_METHODS, PAYMENT_PROVIDER_NAMES, PAYMENT_STATUSES, REFUND_DESTINATIONS, REFUND_STATUSES,
} from '../../src/modules/payments/service.ts';
import { SAVED_METHOD_PROVIDERS, SETUP_STATUSES } from '../../src/modules/payments/saved-methods.ts';
import { RENEWAL_PATHS, RENEWAL_STATUSES } from '../../src/modules/renewals/service.ts';
import { TICKET_AUTHORS, TICKET_STATUSES } from '../../src/modules/tickets/statuses.ts';
import { PAYMENT_FLOWS } from '../../src/adapters/payments/types.ts';
import { forEachDatabase } from '../support/harness.ts';

/** "table.column" → the const array declaring its values. */
const DECLARED: Record<string, readonly string[]> = {
  'users.role': USER_ROLES,
  'users.locale': LOCALES,
  'auth_tokens.kind': TOKEN_KINDS,
  'carriers.keep_alive_rule': KEEP_ALIVE_RULES,
  'sims.form': SIM_FORMS,
  'sims.status': SIM_STATUSES,
  'lines.form': SIM_FORMS,
  'lines.status': STORED_LINE_STATUSES,
  'line_events.from_status': LINE_STATUSES,
  'line_events.to_status': STORED_LINE_STATUSES,
  'line_credits.kind': LINE_CREDIT_KINDS,
  'buckets.unit': BUCKET_UNITS,
  'buckets.source': BUCKET_SOURCES,
  'plans.kind': PLAN_KINDS,
  'plans.expiry_policy': EXPIRY_POLICIES,
  'orders.kind': ORDER_KINDS,
  'orders.status': ORDER_STATUSES,
  'orders.payment_method': PAYMENT_METHODS,
  'payments.provider': PAYMENT_PROVIDER_NAMES,
  'payments.status': PAYMENT_STATUSES,
  'payments.flow': PAYMENT_FLOWS,
  'refunds.destination': REFUND_DESTINATIONS,
  'refunds.status': REFUND_STATUSES,
  'vouchers.status': VOUCHER_STATUSES,
  'sandbox_payments.status': SANDBOX_PAYMENT_STATUSES,
  'sandbox_refunds.status': SANDBOX_REFUND_STATUSES,
  'quotes.kind': ORDER_KINDS,
  'promotions.kind': PROMOTION_KINDS,
  'promotion_redemptions.status': REDEMPTION_STATUSES,
  'ledger_accounts.kind': ACCOUNT_KINDS,
  'jobs.status': JOB_STATUSES,
  'idempotency_keys.status': IDEMPOTENCY_STATUSES,
  'notifications.kind': NOTIFICATION_KINDS,
  'notification_deliveries.channel': NOTIFICATION_CHANNELS,
  'notification_deliveries.status': DELIVERY_STATUSES,
  'saved_payment_methods.provider': SAVED_METHOD_PROVIDERS,
  'payment_method_setups.provider': SAVED_METHOD_PROVIDERS,
  'payment_customers.provider': SAVED_METHOD_PROVIDERS,
  'payment_method_setups.status': SETUP_STATUSES,
  'renewals.status': RENEWAL_STATUSES,
  'renewals.path': RENEWAL_PATHS,
  'usage_records.type': USAGE_TYPES,
  'usage_records.status': USAGE_STATUSES,
  'tickets.status': TICKET_STATUSES,
  'ticket_messages.author': TICKET_AUTHORS,
  'carrier_adapters.adapter': CARRIER_ADAPTER_KINDS,
  'carrier_callbacks.status': CARRIER_CALLBACK_STATUSES,
};


/** PostgreSQL prints `col IN ('a', 'b')` back as `CHECK ((col = ANY (ARRAY['a'::text, 'b'::text])))`. */
function valuesOf(definition: string): string[] {
  return [...definition.matchAll(/'((?:[^']|'')*)'::text/g)].map((m) => (m[1] ?? '').replace(/''/g, "'"));
}

forEachDatabase('enum columns', (ctx) => {
  it('hold exactly the values their const arrays declare', async () => {
    const { rows } = await ctx().db.query<{ table_name: string; column_name: string; definition: string }>(
      `SELECT c.conrelid::regclass::text AS table_name, a.attname AS column_name, pg_get_constraintdef(c.oid) AS definition
         FROM pg_constraint c
         JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
        WHERE c.contype = 'c' AND cardinality(c.conkey) = 1 AND c.connamespace = 'public'::regnamespace
          AND pg_get_constraintdef(c.oid) LIKE '%= ANY (ARRAY[%'
        ORDER BY 1, 2`,
    );
    const inDatabase = new Map(rows.map((r) => [`${r.table_name}.${r.column_name}`, valuesOf(r.definition).sort()]));
    const expected = DECLARED;
    // Every enum CHECK is covered, and every row here names a column that has one.
    expect([...inDatabase.keys()].sort()).toEqual(Object.keys(expected).sort());
    for (const [column, values] of Object.entries(expected)) {
      expect({ column, values: inDatabase.get(column) }).toEqual({ column, values: [...values].sort() });
    }
  });
});
