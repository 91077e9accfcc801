import styles from './skeleton.module.css';

/** A grey block standing where text will be; hidden from screen readers, which hear the busy region instead. */
export function SkeletonBlock({ width = '100%', height = '1rem' }: { width?: string; height?: string }) {
  return <span className={styles.block} style={{ width, height }} aria-hidden="true" />;
}

/** While the first page loads (before the router can render it). */
export function PageSkeleton() {
  return (
    <div className={styles.page} aria-busy="true">
      <SkeletonBlock width="40%" height="1.75rem" />
      <SkeletonBlock height="8rem" />
      <SkeletonBlock height="8rem" />
    </div>
  );
}
