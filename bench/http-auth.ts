// The cost of the HTTP stack and of authentication, against an unauthenticated health check
// measured in the same run: an authenticated read (token hash lookup) and a login (argon2id).
import { BENCH_ADMIN, expectStatus, measure, ratio, startBenchServer, type Throughput } from './support.ts';

export async function benchHttpAuth(kind: 'pglite' | 'postgres'): Promise<Record<string, Throughput | string>> {
  const server = await startBenchServer(kind);
  try {
    const login = (await expectStatus(
      await fetch(`${server.base}/api/v1/auth/login`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(BENCH_ADMIN),
      }),
      200, 'login',
    )) as { token: string };
    const auth = { authorization: `Bearer ${login.token}` };
    const healthz = await measure(2_000, 16, async () => void (await expectStatus(await fetch(`${server.base}/healthz`), 200, 'healthz')));
    const me = await measure(2_000, 16, async () => void (await expectStatus(await fetch(`${server.base}/api/v1/me`, { headers: auth }), 200, 'me')));
    const logins = await measure(100, 4, async () =>
      void (await expectStatus(
        await fetch(`${server.base}/api/v1/auth/login`, {
          method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(BENCH_ADMIN),
        }),
        200, 'login',
      )),
    );
    return {
      'baseline GET /healthz': healthz,
      'GET /api/v1/me (bearer)': me,
      'POST /auth/login (argon2id)': logins,
      'me vs baseline (throughput)': ratio(me.perSecond, healthz.perSecond),
      'login vs baseline (throughput)': ratio(logins.perSecond, healthz.perSecond),
    };
  } finally {
    await server.stop();
  }
}
