// The portal's routes. Pages are lazy chunks; each branch has its own error element, so a failing
// page keeps the header. The signed-in branch's loader asks /me first: a 401 there lands on the login
// page with `from`, before any page renders.
import type { QueryClient } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { createBrowserRouter, redirect, type RouteObject } from 'react-router';
import { meQuery } from '../features/account/queries';
import { paths } from '../paths';
import { PageSkeleton } from '../components/skeleton';
import { NotFoundPage } from '../components/not-found-page';
import { AppLayout } from './layout';
import { RouteError } from './route-error';

/** A line's own pages: its detail with the auto-renew child (Back closes it), and the eSIM install. */
function lineDetailRoutes(errorElement: ReactNode): RouteObject[] {
  return [
    {
      path: paths.line.pattern,
      errorElement,
      lazy: async () => ({ Component: (await import('../features/lines/components/line-detail-page')).LineDetailPage }),
      children: [
        {
          path: paths.lineAutoRenew.pattern,
          errorElement,
          lazy: async () => ({ Component: (await import('../features/lines/components/auto-renew-page')).AutoRenewPage }),
        },
      ],
    },
    {
      path: paths.lineEsim.pattern,
      errorElement,
      lazy: async () => ({ Component: (await import('../features/esim/components/esim-page')).EsimPage }),
    },
  ];
}

/** The notifications and their settings. */
function notificationRoutes(errorElement: ReactNode): RouteObject[] {
  return [
    {
      path: paths.notifications.pattern,
      errorElement,
      lazy: async () => ({ Component: (await import('../features/notifications/components/notifications-page')).NotificationsPage }),
    },
    {
      path: paths.notificationSettings.pattern,
      errorElement,
      lazy: async () => ({ Component: (await import('../features/notifications/components/notification-settings-page')).NotificationSettingsPage }),
    },
  ];
}

export type AppRouter = ReturnType<typeof createBrowserRouter>;

/** Support tickets and the account, inside the signed-in branch. */
function supportAndAccountRoutes(errorElement: ReactNode): RouteObject[] {
  return [
    {
      path: paths.tickets.pattern,
      errorElement,
      lazy: async () => ({ Component: (await import('../features/tickets/components/tickets-page')).TicketsPage }),
    },
    {
      path: paths.newTicket.pattern,
      errorElement,
      lazy: async () => ({ Component: (await import('../features/tickets/components/new-ticket-page')).NewTicketPage }),
    },
    {
      path: paths.ticket.pattern,
      errorElement,
      lazy: async () => ({ Component: (await import('../features/tickets/components/ticket-page')).TicketPage }),
    },
    {
      path: paths.account.pattern,
      errorElement,
      lazy: async () => ({ Component: (await import('../features/account/components/account-page')).AccountPage }),
    },
  ];
}

export function createRouter(queryClient: QueryClient): AppRouter {
  const errorElement = <RouteError />;
  return createBrowserRouter([
    {
      element: <AppLayout />,
      errorElement,
      hydrateFallbackElement: <PageSkeleton />,
      children: [
        {
          errorElement,
          children: [
            {
              path: paths.login.pattern,
              lazy: async () => ({ Component: (await import('../features/account/components/login-page')).LoginPage }),
            },
            {
              path: paths.register.pattern,
              lazy: async () => ({ Component: (await import('../features/account/components/register-page')).RegisterPage }),
            },
          ],
        },
        {
          id: 'signed-in',
          errorElement,
          loader: async () => {
            await queryClient.ensureQueryData(meQuery());
            return null;
          },
          children: [
            { index: true, loader: () => redirect(paths.lines.href()) },
            {
              path: paths.lines.pattern,
              errorElement,
              lazy: async () => ({ Component: (await import('../features/lines/components/lines-page')).LinesPage }),
              children: [
                {
                  path: paths.bindCard.pattern,
                  errorElement,
                  lazy: async () => ({ Component: (await import('../features/lines/components/bind-card-page')).BindCardPage }),
                },
              ],
            },
            {
              path: paths.calendar.pattern,
              errorElement,
              lazy: async () => ({ Component: (await import('../features/calendar/components/calendar-page')).CalendarPage }),
            },
            {
              path: paths.order.pattern,
              errorElement,
              lazy: async () => ({ Component: (await import('../features/orders/components/order-page')).OrderPage }),
            },
            ...supportAndAccountRoutes(errorElement),
            ...buyingRoutes(errorElement),
            ...lineDetailRoutes(errorElement),
            ...notificationRoutes(errorElement),
          ],
        },
        { path: '*', element: <NotFoundPage /> },
      ],
    },
  ]);
}

/** Buying: plans, checkout, orders, wallet, saved payment methods. */
function buyingRoutes(errorElement: ReactNode): RouteObject[] {
  return [
    {
      path: paths.plans.pattern,
      errorElement,
      lazy: async () => ({ Component: (await import('../features/plans/components/plans-page')).PlansPage }),
    },
    {
      path: paths.checkout.pattern,
      errorElement,
      lazy: async () => ({ Component: (await import('../features/plans/components/checkout-page')).CheckoutPage }),
    },
    {
      path: paths.orders.pattern,
      errorElement,
      lazy: async () => ({ Component: (await import('../features/orders/components/orders-page')).OrdersPage }),
    },
    {
      path: paths.wallet.pattern,
      errorElement,
      lazy: async () => ({ Component: (await import('../features/wallet/components/wallet-page')).WalletPage }),
    },
    {
      path: paths.paymentMethods.pattern,
      errorElement,
      lazy: async () => ({ Component: (await import('../features/payment-methods/components/payment-methods-page')).PaymentMethodsPage }),
    },
  ];
}
