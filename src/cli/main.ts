// `simkeep <noun> <verb>`: operator commands on the same database and key as the server (the same
// environment variables, the same migrations). Add a noun with `program.addCommand(nounCommand())`.
// With the embedded database, stop the server first: PGlite opens its data directory in one process,
// and a command run while the server holds it exits 1 naming that process (db/data-dir-lock.ts).
import { Command } from 'commander';
import { ConfigError, loadConfig } from '../config.ts';
import { simsCommand } from './sims.ts';
import { usageCommand } from './usage.ts';

export function buildProgram(): Command {
  const program = new Command('simkeep')
    .description('simkeep operator commands (reads the same environment as the server: DATABASE_URL, SIMKEEP_DATA_DIR, SIMKEEP_SECRET_KEY)')
    .showHelpAfterError()
    .configureHelp({ sortSubcommands: true });
  program.addCommand(simsCommand(() => loadConfig()));
  program.addCommand(usageCommand(() => loadConfig()));
  return program;
}

async function main(argv: readonly string[]): Promise<void> {
  try {
    await buildProgram().parseAsync([...argv]);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`simkeep: ${error.message}`);
      process.exit(1);
    }
    throw error;
  }
}

main(process.argv).catch((error: unknown) => {
  console.error('simkeep:', error instanceof Error ? error.message : error);
  process.exit(1);
});
