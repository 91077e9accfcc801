// Periodic housekeeping works through a backlog in bounded batches: a pass repeats a batch while
// batches come back full, at most `batchesMax` times, and leaves the rest for the next pass.

/** Runs `batch` (which answers how many rows it handled) until one comes back short of `batchSize`. */
export async function drainInBatches(batch: () => Promise<number>, batchSize: number, batchesMax: number): Promise<number> {
  let handled = 0;
  for (let i = 0; i < batchesMax; i++) {
    const n = await batch();
    handled += n;
    if (n < batchSize) break;
  }
  return handled;
}
