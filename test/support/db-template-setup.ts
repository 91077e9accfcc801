// Vitest global setup: the migrated database templates (db-template.ts), made once per run and handed
// to the test workers through `provide`. A template that cannot be made is no failure here: the
// harness then starts apps the long way, and a PostgreSQL that is not there fails the tests that need it.
import type { TestProject } from 'vitest/node';
import { preparePgliteTemplate, preparePostgresTemplate } from './db-template.ts';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const base = process.env.TEST_DATABASE_URL;
  const [pglite, postgres] = await Promise.all([
    preparePgliteTemplate().catch((error: unknown) => {
      console.warn(`db-template: no PGlite template (${String(error)}); apps start on an empty database`);
      return '';
    }),
    base
      ? preparePostgresTemplate(base).catch((error: unknown) => {
        console.warn(`db-template: no PostgreSQL template (${String(error)}); apps start on an empty database`);
        return null;
      })
      : Promise.resolve(null),
  ]);
  project.provide('pgliteTemplateFile', pglite);
  project.provide('postgresTemplateDatabase', postgres?.name ?? '');
  return async () => {
    await postgres?.drop();
  };
}
