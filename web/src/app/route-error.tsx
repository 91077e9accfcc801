import { isRouteErrorResponse, Navigate, useLocation, useRevalidator, useRouteError } from 'react-router';
import { ApiError } from '../lib/api';
import { paths } from '../paths';
import { NotFoundPage } from '../components/not-found-page';
import { SectionError } from '../components/section-error';

/** 401 → the login page (then back here); 404 → not found; anything else → a sentence, the request id and a retry. */
export function RouteError() {
  const error = useRouteError();
  const location = useLocation();
  const revalidator = useRevalidator();
  if (error instanceof ApiError && error.status === 401) {
    return <Navigate to={paths.login.href(`${location.pathname}${location.search}`)} replace />;
  }
  if ((error instanceof ApiError && error.status === 404) || (isRouteErrorResponse(error) && error.status === 404)) {
    return <NotFoundPage />;
  }
  return (
    <div className="page">
      <SectionError error={error} onRetry={() => void revalidator.revalidate()} />
    </div>
  );
}
