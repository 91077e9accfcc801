// `simkeep sims …`: SIM inventory commands.
import { createReadStream } from 'node:fs';
import { Command } from 'commander';
import { SingleBar, Presets } from 'cli-progress';
import { openConfiguredDatabase } from '../app.ts';
import type { Config } from '../config.ts';
import { DomainError } from '../domain/errors.ts';
import { importSims, type ImportProgress, type SimImportResult } from '../modules/lines/import.ts';
import { csvFileSize } from './csv-file.ts';

/** Rejected rows printed after an import; the full count is always printed. */
const CLI_REJECTED_SHOWN_MAX = 20;

export function simsCommand(config: () => Config): Command {
  const sims = new Command('sims').description('SIM and eSIM inventory');
  sims
    .command('import')
    .description('import SIM inventory from a CSV file (header: iccid,imsi,msisdn,pin,form,carrier[,activation_code], any order)')
    .argument('<file.csv>', 'the CSV file; good rows are imported, bad rows listed with their line number (header = line 1)')
    .option('--no-progress', 'do not draw a progress bar (for logs and scripts)')
    .option('--json', 'print the result as JSON ({imported, rejected, rejectedCount, rows})')
    .addHelpText('after', [
      '',
      'Exit status: 0 when rows were imported (or the file had none), 2 when every row was rejected, 1 on errors.',
      'With the embedded database (no DATABASE_URL), stop the server first: one process at a time may open SIMKEEP_DATA_DIR.',
      '',
      'Examples:',
      '  simkeep sims import inventory.csv',
      '  npm run simkeep -- sims import inventory.csv --json',
    ].join('\n'))
    .action(async (file: string, options: { progress: boolean; json?: boolean }) => {
      const result = await runImport(config(), file, options.progress && !options.json && process.stderr.isTTY);
      printResult(result, options.json === true);
      process.exitCode = result.imported === 0 && result.rejectedCount > 0 ? 2 : 0;
    });
  return sims;
}

async function runImport(config: Config, file: string, showProgress: boolean): Promise<SimImportResult> {
  const bytesTotal = csvFileSize(file);
  const { db, secretKey } = await openConfiguredDatabase(config);
  const startedMs = performance.now();
  const bar = showProgress
    ? new SingleBar({ format: 'importing |{bar}| {percentage}% | {rows} rows | {rate} rows/s | {imported} imported, {rejected} rejected' }, Presets.shades_classic)
    : null;
  const stream = createReadStream(file);
  bar?.start(bytesTotal, 0, { rows: 0, rate: 0, imported: 0, rejected: 0 });
  const onProgress = (p: ImportProgress): void => {
    const rate = Math.round(p.rows / Math.max(0.001, (performance.now() - startedMs) / 1000));
    bar?.update(stream.bytesRead, { ...p, rate });
  };
  try {
    const result = await importSims(db, secretKey, { userId: null, role: 'cli' }, stream, { onProgress });
    bar?.update(bytesTotal);
    return result;
  } catch (error) {
    if (error instanceof DomainError) throw new Error(`${error.code}: ${error.message}`);
    throw error;
  } finally {
    bar?.stop();
    await db.close();
  }
}


function printResult(result: SimImportResult, json: boolean): void {
  if (json) {
    console.log(JSON.stringify(result));
    return;
  }
  console.log(`rows: ${result.rows}  imported: ${result.imported}  rejected: ${result.rejectedCount}`);
  for (const r of result.rejected.slice(0, CLI_REJECTED_SHOWN_MAX)) console.log(`  line ${r.line}: ${r.code}`);
  if (result.rejectedCount > CLI_REJECTED_SHOWN_MAX) console.log(`  … and ${result.rejectedCount - CLI_REJECTED_SHOWN_MAX} more`);
}
