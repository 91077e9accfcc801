// Translation keys are checked against the English files: a page that adds a namespace adds a line here.
import 'i18next';
import type account from './i18n/en/account.json';
import type calendar from './i18n/en/calendar.json';
import type common from './i18n/en/common.json';
import type errors from './i18n/en/errors.json';
import type esim from './i18n/en/esim.json';
import type lines from './i18n/en/lines.json';
import type notifications from './i18n/en/notifications.json';
import type orders from './i18n/en/orders.json';
// Support tickets
import type tickets from './i18n/en/tickets.json';
import type paymentMethods from './i18n/en/payment-methods.json';
import type plans from './i18n/en/plans.json';
import type wallet from './i18n/en/wallet.json';

declare module 'i18next' {
  interface CustomTypeOptions {
    defaultNS: 'common';
    resources: {
      account: typeof account;
      calendar: typeof calendar;
      common: typeof common;
      errors: typeof errors;
      esim: typeof esim;
      lines: typeof lines;
      notifications: typeof notifications;
      orders: typeof orders;
      // Support tickets
      tickets: typeof tickets;
      'payment-methods': typeof paymentMethods;
      plans: typeof plans;
      wallet: typeof wallet;
    };
  }
}
