// How notices reach the subscriber: email on or off, a webhook URL (its signing secret shown once,
// in the answer that set the URL) and the kinds to mute (shown as the kinds to hear about).
import { useQuery } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { CopyButton } from '../../../components/copy-button';
import { Field } from '../../../components/field';
import { errorCodeOf, useErrorText } from '../../../components/error-text';
import { SectionError } from '../../../components/section-error';
import { SkeletonBlock } from '../../../components/skeleton';
import { paths } from '../../../paths';
import { useSaveNotificationSettings, type SettingsChanges } from '../mutations';
import { notificationSettingsQuery, type NoticeKind, type NotificationSettings } from '../queries';
import styles from './notifications.module.css';

/** Every kind, checked by the compiler against the API's list. */
const KIND_SET: Record<NoticeKind, true> = {
  expiry_reminder: true, keepalive_reminder: true, renewal_upcoming: true, renewal_succeeded: true, renewal_failed: true,
  low_balance: true, allowance_used: true, line_suspended: true, line_recycled: true, order_completed: true,
  order_failed: true, refund_issued: true, ticket_reply: true,
};
const KINDS = Object.keys(KIND_SET) as NoticeKind[];
const URL_FIELD_CODES = new Set(['webhook_url_not_allowed', 'invalid_url']);

/** Only what changed about the webhook: re-sending the same URL would make a new secret. */
function webhookChange(saved: NotificationSettings['webhook'], url: string, enabled: boolean): SettingsChanges['webhook'] {
  const trimmed = url.trim();
  if (trimmed === '') return saved ? null : undefined;
  if (!saved || saved.url !== trimmed) return { url: trimmed, enabled: true };
  return saved.enabled !== enabled ? { enabled } : undefined;
}

function SecretOnce({ secret }: { secret: string }) {
  const { t } = useTranslation('notifications');
  return (
    <section className={styles.secret} aria-labelledby="webhook-secret">
      <h2 id="webhook-secret">{t('settings.secretTitle')}</h2>
      <p>{t('settings.secretBody')}</p>
      <code className={styles.code}>{secret}</code>
      <CopyButton value={secret} label={t('settings.copySecret')} copied={t('settings.copied')} failed={t('settings.copyFailed')} />
    </section>
  );
}

function SettingsForm({ saved }: { saved: NotificationSettings }) {
  const { t } = useTranslation('notifications');
  const errorText = useErrorText();
  const save = useSaveNotificationSettings();
  const [email, setEmail] = useState(saved.email);
  const [url, setUrl] = useState(saved.webhook?.url ?? '');
  const [webhookOn, setWebhookOn] = useState(saved.webhook?.enabled ?? true);
  const [muted, setMuted] = useState<ReadonlySet<NoticeKind>>(new Set(saved.muted));
  const code = save.error ? errorCodeOf(save.error) : null;
  const urlError = code && URL_FIELD_CODES.has(code) ? errorText(save.error) : null;
  const formError = save.error && !urlError ? errorText(save.error) : null;

  const toggle = (kind: NoticeKind, hear: boolean) => {
    const next = new Set(muted);
    if (hear) next.delete(kind);
    else next.add(kind);
    setMuted(next);
  };
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const webhook = webhookChange(saved.webhook, url, webhookOn);
    save.mutate({ email, muted: KINDS.filter((k) => muted.has(k)), ...(webhook !== undefined ? { webhook } : {}) });
  };

  return (
    <form className={styles.form} onSubmit={submit} noValidate>
      {formError && <p className={styles.formError} role="alert">{formError}</p>}
      {save.data?.webhook?.secret && <SecretOnce secret={save.data.webhook.secret} />}
      <label className={styles.check}>
        <input type="checkbox" checked={email} onChange={(event) => setEmail(event.target.checked)} />
        <span>{t('settings.email')}</span>
      </label>
      <fieldset className={styles.fieldset}>
        <legend>{t('settings.webhook')}</legend>
        <Field label={t('settings.webhookUrl')} hint={t('settings.webhookHint')} type="url" inputMode="url" autoComplete="off" spellCheck={false} value={url} error={urlError} onChange={(event) => setUrl(event.target.value)} />
        {saved.webhook && (
          <label className={styles.check}>
            <input type="checkbox" checked={webhookOn} onChange={(event) => setWebhookOn(event.target.checked)} />
            <span>{t('settings.webhookEnabled')}</span>
          </label>
        )}
      </fieldset>
      <fieldset className={styles.fieldset}>
        <legend>{t('settings.kinds')}</legend>
        {KINDS.map((kind) => (
          <label key={kind} className={styles.check}>
            <input type="checkbox" checked={!muted.has(kind)} onChange={(event) => toggle(kind, event.target.checked)} />
            <span>{t(`kinds.${kind}`)}</span>
          </label>
        ))}
      </fieldset>
      <div className={styles.actions}>
        <button type="submit" className="button" disabled={save.isPending}>{t('settings.save')}</button>
        <span role="status" className={styles.saved}>{save.isSuccess ? t('settings.saved') : ''}</span>
      </div>
    </form>
  );
}

export function NotificationSettingsPage() {
  const { t } = useTranslation('notifications');
  const settings = useQuery(notificationSettingsQuery());
  let body;
  if (settings.data) body = <SettingsForm saved={settings.data} />;
  else if (settings.error) body = <SectionError error={settings.error} onRetry={() => void settings.refetch()} />;
  else body = <div className={styles.form} aria-busy="true" role="status" aria-label={t('settings.loading')}><SkeletonBlock height="2.75rem" /><SkeletonBlock height="6rem" /><SkeletonBlock height="12rem" /></div>;
  return (
    <div className="page">
      <p className={styles.back}><Link to={paths.notifications.href()}>{t('settings.back')}</Link></p>
      <h1>{t('settings.title')}</h1>
      {body}
    </div>
  );
}
