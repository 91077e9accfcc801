import { hashPassword } from './passwords.ts';
import type { SeedContext } from '../../seed/demo.ts';

export const DEMO_CUSTOMER = { id: 'usr_demo_customer', email: 'demo@simkeep.test', password: 'keep-my-number-2026' };

export async function seedDemoAccounts({ db }: SeedContext): Promise<void> {
  const exists = await db.query('SELECT 1 FROM users WHERE id = $1', [DEMO_CUSTOMER.id]);
  if (exists.rowCount > 0) return;
  await db.query(
    `INSERT INTO users (id, email, password_hash, name, locale, role) VALUES ($1, $2, $3, 'Demo Subscriber', 'en', 'customer')
     ON CONFLICT DO NOTHING`,
    [DEMO_CUSTOMER.id, DEMO_CUSTOMER.email, await hashPassword(DEMO_CUSTOMER.password)],
  );
}
