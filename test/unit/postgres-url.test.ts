// DATABASE_URL with several hosts (libpq's form, as pg_auto_failover prints it): split into one URL
// per host in order, checked at start so a typo stops start-up rather than the first failover.
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.ts';
import { isDatabaseUnavailable, ReadOnlyHostError } from '../../src/db/availability.ts';
import { parsePostgresUrl } from '../../src/db/postgres-url.ts';

describe('a multi-host DATABASE_URL', () => {
  it('gives one single-host URL per host, in order, without target_session_attrs and with the rest kept', () => {
    expect(parsePostgresUrl('postgres://app:s%40cret@10.0.0.1:5433,db-2,[::1]:6000/simkeep?target_session_attrs=read-write&sslmode=disable')).toEqual([
      { label: '10.0.0.1:5433', connectionString: 'postgres://app:s%40cret@10.0.0.1:5433/simkeep?sslmode=disable' },
      { label: 'db-2:5432', connectionString: 'postgres://app:s%40cret@db-2:5432/simkeep?sslmode=disable' },
      { label: '[::1]:6000', connectionString: 'postgres://app:s%40cret@[::1]:6000/simkeep?sslmode=disable' },
    ]);
  });

  it('passes a single host through, and a URL without a host (a Unix socket in ?host=) as it is', () => {
    expect(parsePostgresUrl('postgresql://u@h/db').map((h) => h.connectionString)).toEqual(['postgresql://u@h:5432/db']);
    expect(parsePostgresUrl('postgres:///db?host=/run/postgresql').map((h) => h.connectionString)).toEqual(['postgres:///db?host=%2Frun%2Fpostgresql']);
  });

  it.each([
    ['postgres://u@h1:99999,h2/db', /host 1 of 2 \("h1:99999"\): port must be 1\.\.65535/],
    ['postgres://u@h1,,h2/db', /host 2 of 3 \(""\)/],
    ['postgres://u@h1,h1:5432/db', /h1:5432 is listed twice/],
    ['postgres://u@h1,h2/db?target_session_attrs=read-only', /target_session_attrs=read-only: simkeep needs the read-write server/],
    ['postgres://u@h_1/db', /not a host name/],
  ])('refuses %s at start, naming DATABASE_URL and the fault', (url, message) => {
    expect(() => loadConfig({ NODE_ENV: 'test', DATABASE_URL: url, SIMKEEP_SECRET_KEY: 'ab'.repeat(32) })).toThrow(ConfigError);
    expect(() => loadConfig({ NODE_ENV: 'test', DATABASE_URL: url, SIMKEEP_SECRET_KEY: 'ab'.repeat(32) })).toThrow(message);
  });

  it('never echoes the password in a refusal', () => {
    expect(() => loadConfig({ NODE_ENV: 'test', DATABASE_URL: 'postgres://u:hunter2@h1:0,h2/db', SIMKEEP_SECRET_KEY: 'ab'.repeat(32) })).toThrow(/^(?!.*hunter2)/s);
  });
});

describe('which errors mean the database is unavailable (503, safe to retry)', () => {
  const pgError = (code: string) => Object.assign(new Error(`pg ${code}`), { code });
  it.each(['57P01', '57P02', '57P03', '25006', '08006', '08001', 'ECONNREFUSED', 'ECONNRESET'])('%s is', (code) => {
    expect(isDatabaseUnavailable(pgError(code))).toBe(true);
  });
  it('so are a lost connection, a connect timeout and a read-only host', () => {
    expect(isDatabaseUnavailable(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isDatabaseUnavailable(new Error('timeout expired'))).toBe(true);
    expect(isDatabaseUnavailable(new Error('Query read timeout'))).toBe(true);
    expect(isDatabaseUnavailable(new ReadOnlyHostError('h2:5432'))).toBe(true);
    expect(isDatabaseUnavailable(new AggregateError([pgError('ECONNREFUSED')]))).toBe(true);
  });
  it.each(['23505', '23514', '40001', '22P02', '42P01'])('%s (a rule, a race or a bug) is not', (code) => {
    expect(isDatabaseUnavailable(pgError(code))).toBe(false);
  });
  it('nor a full pool (server_busy) or a plain error', () => {
    expect(isDatabaseUnavailable(new Error('timeout exceeded when trying to connect'))).toBe(false);
    expect(isDatabaseUnavailable(new Error('boom'))).toBe(false);
  });
});
