import { useId, type InputHTMLAttributes } from 'react';
import styles from './field.module.css';

interface FieldProps extends Omit<InputHTMLAttributes<HTMLInputElement>, 'id'> {
  label: string;
  /** A sentence under the field; when set the field is marked invalid. */
  error?: string | null;
  hint?: string;
}

/** A labelled input whose error and hint are read out with it. */
export function Field({ label, error, hint, ...input }: FieldProps) {
  const id = useId();
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const describedBy = [hint ? hintId : null, error ? errorId : null].filter(Boolean).join(' ') || undefined;
  return (
    <div className={styles.field}>
      <label htmlFor={id} className={styles.label}>{label}</label>
      {hint && <p id={hintId} className={styles.hint}>{hint}</p>}
      <input id={id} aria-invalid={error ? true : undefined} aria-describedby={describedBy} {...input} />
      {error && <p id={errorId} className={styles.error}>{error}</p>}
    </div>
  );
}
