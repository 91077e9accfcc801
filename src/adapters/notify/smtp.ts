// Email out: nodemailer to SMTP_URL, text and HTML in one message, From SIMKEEP_MAIL_FROM. Without
// SMTP_URL a mailer still exists and writes each email to the log instead (kind of message and
// recipient only — never the SMTP credentials, which live in the URL and are never logged).
import { createTransport, type Transporter } from 'nodemailer';
import type { Logger } from 'pino';

const SMTP_TIMEOUT_MS = 10_000;

interface Email {
  to: string;
  subject: string;
  text: string;
  html: string;
  /** What to name in the log: the notification id and kind. */
  logContext: Record<string, string>;
}

export interface Mailer {
  /** 'sent' through SMTP, or 'logged' when no SMTP server is configured. Throws when SMTP refuses. */
  send(email: Email): Promise<'sent' | 'logged'>;
  close(): void;
}

export function createMailer(smtp: { url: string; from: string } | null, log: Logger): Mailer {
  if (!smtp) {
    return {
      async send(email) {
        log.info({ ...email.logContext, subject: email.subject }, 'email not sent: SMTP_URL is not set (the in-app copy is kept)');
        return 'logged';
      },
      close() {},
    };
  }
  const transport: Transporter = createTransport({
    url: smtp.url,
    connectionTimeout: SMTP_TIMEOUT_MS,
    greetingTimeout: SMTP_TIMEOUT_MS,
    socketTimeout: SMTP_TIMEOUT_MS,
  });
  return {
    async send(email) {
      await transport.sendMail({ from: smtp.from, to: email.to, subject: email.subject, text: email.text, html: email.html });
      return 'sent';
    },
    close() {
      transport.close();
    },
  };
}
