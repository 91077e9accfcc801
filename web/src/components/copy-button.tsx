import { useEffect, useState } from 'react';
import styles from './copy-button.module.css';

/** How long "Copied" stays before the button reads "Copy" again. */
const CONFIRMATION_MS = 2_000;

interface CopyButtonProps {
  value: string;
  /** The button's name, saying what it copies ("Copy the SM-DP+ address"). */
  label: string;
  copied: string;
  failed: string;
}

/**
 * Copies `value` to the clipboard and says so in a live region. The clipboard exists only in a
 * secure context; where it is refused, the sentence asks the user to select the text instead.
 */
export function CopyButton({ value, label, copied, failed }: CopyButtonProps) {
  const [outcome, setOutcome] = useState<'idle' | 'copied' | 'failed'>('idle');
  useEffect(() => {
    if (outcome !== 'copied') return;
    const timer = setTimeout(() => setOutcome('idle'), CONFIRMATION_MS);
    return () => clearTimeout(timer);
  }, [outcome]);
  const copy = () => {
    if (!navigator.clipboard) {
      setOutcome('failed');
      return;
    }
    navigator.clipboard.writeText(value).then(() => setOutcome('copied'), () => setOutcome('failed'));
  };
  return (
    <span className={styles.copy}>
      <button type="button" className="button-secondary" onClick={copy}>{label}</button>
      <span role="status" className={outcome === 'failed' ? styles.failed : styles.done}>
        {outcome === 'copied' ? copied : outcome === 'failed' ? failed : ''}
      </span>
    </span>
  );
}
