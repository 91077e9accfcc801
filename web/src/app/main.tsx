import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { initI18n } from '../lib/i18n';
import { paths, PUBLIC_PATHS } from '../paths';
import { Providers } from './providers';
import { createQueryClient } from './query-client';
import { createRouter } from './router';
import '../styles/tokens.css';
import '../styles/shared.css';

function whereWeAre(): string {
  return `${window.location.pathname}${window.location.search}`;
}

const queryClient = createQueryClient(() => {
  if (PUBLIC_PATHS.includes(window.location.pathname)) return;
  void router.navigate(paths.login.href(whereWeAre()), { replace: true });
});
const router = createRouter(queryClient);

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root');

await initI18n();
createRoot(root).render(
  <StrictMode>
    <Providers queryClient={queryClient} router={router} />
  </StrictMode>,
);
