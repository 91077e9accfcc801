// COPY … FROM STDIN over node-postgres without pg-copy-streams (not installed): pg runs any object
// with a submit() method as a query (its Submittable interface) and its connection sends the COPY
// protocol's CopyData and CopyDone messages, so the rows go over the wire exactly as psql's \copy.
import type pg from 'pg';

interface CopyConnection {
  query(text: string): void;
  sendCopyFromChunk(chunk: Buffer): void;
  endCopyFrom(): void;
}

/** Runs `sql` (a `COPY … FROM STDIN`) on `client`, sending `chunks` as its data. */
export function copyFrom(client: pg.Client, sql: string, chunks: Iterable<Buffer>): Promise<void> {
  return new Promise((resolve, reject) => {
    let failure: unknown = null;
    const ignore = (): void => undefined;
    const copy = {
      submit(connection: CopyConnection) {
        connection.query(sql);
      },
      handleCopyInResponse(connection: CopyConnection) {
        for (const chunk of chunks) connection.sendCopyFromChunk(chunk);
        connection.endCopyFrom();
      },
      handleError(error: unknown) {
        failure = error;
      },
      handleReadyForQuery() {
        if (failure) reject(failure instanceof Error ? failure : new Error(String(failure)));
        else resolve();
      },
      handleCommandComplete: ignore, handleRowDescription: ignore, handleDataRow: ignore, handleEmptyQuery: ignore, handlePortalSuspended: ignore,
    };
    client.query(copy as unknown as pg.Submittable);
  });
}
