// Subscribers set up through the API (bearer token, as a script would), then signed in inside a
// browser context, whose cookie jar the session cookie lands in.
import type { BrowserContext } from 'playwright-core';
import type { Locale } from './pages.ts';
import { uniqueEmail } from './session.ts';

export interface Subscriber {
  email: string;
  password: string;
}

async function post(url: string, body: unknown, token?: string): Promise<{ token?: string }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${url}: ${response.status} ${await response.text()}`);
  return (await response.json()) as { token?: string };
}

export async function createSubscriber(baseUrl: string, locale: Locale, card?: { iccid: string; pin: string }): Promise<Subscriber> {
  const subscriber = { email: uniqueEmail(locale.toLowerCase()), password: `pw-${Math.random().toString(36).slice(2)}-long` };
  const { token } = await post(`${baseUrl}/api/v1/auth/register`, { ...subscriber, locale });
  if (card) await post(`${baseUrl}/api/v1/lines/bind`, card, token);
  return subscriber;
}

export async function signIn(context: BrowserContext, baseUrl: string, subscriber: Subscriber): Promise<void> {
  const response = await context.request.post(`${baseUrl}/api/v1/auth/login`, { data: subscriber });
  if (!response.ok()) throw new Error(`login: ${response.status()} ${await response.text()}`);
}
