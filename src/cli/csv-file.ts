// The CSV file a command reads: its size for the progress bar, and a file that cannot be read said
// plainly, before the database opens.
import { statSync } from 'node:fs';

export function csvFileSize(file: string): number {
  try {
    const stat = statSync(file);
    if (!stat.isFile()) throw new Error(`${file} is not a file`);
    return stat.size;
  } catch (error) {
    const why = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : error instanceof Error ? error.message : String(error);
    throw new Error(`cannot read ${file}: ${why}`);
  }
}
