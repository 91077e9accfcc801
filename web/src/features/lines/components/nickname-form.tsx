import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { Field } from '../../../components/field';
import { useErrorText } from '../../../components/error-text';
import { useUpdateLine } from '../mutations';
import type { LineDetail } from '../queries';
import styles from './line-detail.module.css';

/** The server's limit (src/modules/lines/schemas.ts). */
const NICKNAME_MAX = 64;

export function NicknameForm({ line }: { line: LineDetail }) {
  const { t } = useTranslation('lines');
  const errorText = useErrorText();
  const update = useUpdateLine(line.id);
  const [nickname, setNickname] = useState(line.nickname ?? '');
  const [saved, setSaved] = useState(false);

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    setSaved(false);
    const trimmed = nickname.trim();
    update.mutate({ nickname: trimmed === '' ? null : trimmed }, { onSuccess: () => setSaved(true) });
  };

  return (
    <form className={styles.inlineForm} onSubmit={submit}>
      <Field
        label={t('detail.nickname')}
        hint={t('detail.nicknameHint')}
        autoComplete="off"
        maxLength={NICKNAME_MAX}
        value={nickname}
        error={update.error ? errorText(update.error) : null}
        onChange={(event) => { setNickname(event.target.value); setSaved(false); }}
      />
      <div className={styles.actions}>
        <button type="submit" className="button-secondary" disabled={update.isPending}>{t('detail.saveNickname')}</button>
        <span role="status" className={styles.saved}>{saved ? t('detail.nicknameSaved') : ''}</span>
      </div>
    </form>
  );
}
