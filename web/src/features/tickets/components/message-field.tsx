import { useId, type TextareaHTMLAttributes } from 'react';
import fieldStyles from '../../../components/field.module.css';
import styles from './tickets.module.css';

interface MessageFieldProps extends Omit<TextareaHTMLAttributes<HTMLTextAreaElement>, 'id'> {
  label: string;
  error?: string | null;
  hint?: string;
}

/** A labelled multi-line field whose hint and error are read out with it (the textarea sibling of Field). */
export function MessageField({ label, error, hint, ...textarea }: MessageFieldProps) {
  const id = useId();
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const describedBy = [hint ? hintId : null, error ? errorId : null].filter(Boolean).join(' ') || undefined;
  return (
    <div className={fieldStyles.field}>
      <label htmlFor={id} className={fieldStyles.label}>{label}</label>
      {hint && <p id={hintId} className={fieldStyles.hint}>{hint}</p>}
      <textarea id={id} className={styles.textarea} aria-invalid={error ? true : undefined} aria-describedby={describedBy} {...textarea} />
      {error && <p id={errorId} className={fieldStyles.error}>{error}</p>}
    </div>
  );
}
