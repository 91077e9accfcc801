import { useRef } from 'react';

const KEY_BYTES = 16;

/** Random hex from getRandomValues, which (unlike randomUUID) also works on a plain-http address. */
function newKey(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(KEY_BYTES)), (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * One Idempotency-Key per attempt at sending a form: the same key while the attempt is retried (a lost
 * answer, a double click), a new one once it went through and the next message is another attempt.
 */
export function useAttemptKey(): { current: () => string; finish: () => void } {
  const key = useRef<string | null>(null);
  return {
    current: () => (key.current ??= newKey()),
    finish: () => {
      key.current = null;
    },
  };
}
