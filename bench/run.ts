// `npm run bench`: every benchmark, on PGlite and — when BENCH_DATABASE_URL is set — on PostgreSQL.
// Each prints its figures with ratios against a baseline measured in the same run. Never a test.
import { benchHttpAuth } from './http-auth.ts';
import { benchMoneyPath } from './money-path.ts';
import { benchOverload } from './overload.ts';
import { benchPaidOrders } from './paid-orders.ts';
import { benchSimsImport } from './sims-import.ts';
import { benchUsage } from './usage.ts';

type Bench = { name: string; run: (kind: 'pglite' | 'postgres') => Promise<Record<string, unknown>> };

const BENCHES: Bench[] = [
  { name: 'http + auth', run: benchHttpAuth },
  { name: 'sims import', run: (kind) => benchSimsImport(kind) },
  { name: 'paid orders', run: benchPaidOrders },
  { name: 'money path', run: benchMoneyPath },
  { name: 'usage', run: benchUsage },
  { name: 'overload', run: benchOverload },
];

const only = process.argv[2];
const kinds: Array<'pglite' | 'postgres'> = process.env.BENCH_DATABASE_URL ? ['pglite', 'postgres'] : ['pglite'];
for (const bench of BENCHES.filter((b) => !only || b.name.includes(only))) {
  for (const kind of kinds) {
    const figures = await bench.run(kind);
    console.log(`\n## ${bench.name} [${kind}]`);
    for (const [what, value] of Object.entries(figures)) {
      const shown = typeof value === 'object' && value !== null
        ? Object.entries(value).map(([k, v]) => `${k}=${typeof v === 'number' ? Math.round(v * 100) / 100 : String(v)}`).join('  ')
        : String(value);
      console.log(`  ${what.padEnd(34)} ${shown}`);
    }
  }
}
process.exit(0);
