// The server's limits on what a ticket holds (src/modules/tickets/text.ts, which the web app may not
// import): checked here as the subscriber types, so the form says so before anything is sent.
export const SUBJECT_CHARS_MAX = 200;
export const MESSAGE_CHARS_MAX = 5000;

/** Characters as the server counts them: code points, after trimming. */
export function charCount(text: string): number {
  return [...text.trim()].length;
}
