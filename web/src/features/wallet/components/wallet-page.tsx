// The wallet: its balance, where to top it up (a line's plans page: a top-up is bought for a line),
// and its history, newest first, each entry linked to the order that caused it.
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { SectionError } from '../../../components/section-error';
import { SkeletonBlock } from '../../../components/skeleton';
import { useFormat } from '../../../lib/format';
import { paths } from '../../../paths';
import { walletQuery, type Wallet, type WalletEntry } from '../queries';
import styles from './wallet.module.css';

function EntryRow({ entry }: { entry: WalletEntry }) {
  const { t, i18n } = useTranslation('wallet');
  const format = useFormat();
  const reason = i18n.exists(`reasons.${entry.reason}`, { ns: 'wallet' }) ? t(`reasons.${entry.reason}` as 'reasons.other') : t('reasons.other');
  return (
    <li className={styles.entry}>
      <span className={styles.reason}>
        {entry.orderId ? <Link to={paths.order.href(entry.orderId)}>{reason}</Link> : reason}
      </span>
      <span className={styles.amount} data-sign={entry.amount.amount < 0 ? 'out' : 'in'}>
        {entry.amount.amount > 0 ? '+' : ''}{format.money(entry.amount)}
      </span>
      <time className={styles.at} dateTime={entry.at}>{format.dateTime(entry.at)}</time>
    </li>
  );
}

function WalletDetails({ wallet }: { wallet: Wallet }) {
  const { t } = useTranslation('wallet');
  const format = useFormat();
  return (
    <>
      <section className={styles.balance} aria-labelledby="wallet-balance">
        <h2 id="wallet-balance">{t('balance')}</h2>
        <p className={styles.balanceValue}>{format.money(wallet.balance)}</p>
        <p className={styles.hint}>{t('topUpHint')}</p>
        <Link className="button" to={paths.lines.href()}>{t('topUp')}</Link>
      </section>
      <section className={styles.history} aria-labelledby="wallet-history">
        <h2 id="wallet-history">{t('history')}</h2>
        {wallet.entries.length === 0
          ? <p className={styles.hint}>{t('emptyHistory')}</p>
          : <ul className={styles.entries}>{wallet.entries.map((entry, i) => <EntryRow key={`${entry.at}-${i}`} entry={entry} />)}</ul>}
      </section>
    </>
  );
}

export function WalletPage() {
  const { t } = useTranslation('wallet');
  const wallet = useQuery(walletQuery());
  let body;
  if (wallet.data) body = <WalletDetails wallet={wallet.data} />;
  else if (wallet.error) body = <SectionError error={wallet.error} onRetry={() => void wallet.refetch()} />;
  else {
    body = (
      <div className={styles.balance} aria-busy="true">
        <SkeletonBlock width="30%" />
        <SkeletonBlock width="50%" height="2.5rem" />
        <SkeletonBlock height="6rem" />
      </div>
    );
  }
  return (
    <div className="page">
      <h1>{t('title')}</h1>
      {body}
    </div>
  );
}
