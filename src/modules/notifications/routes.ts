// HTTP for notifications (API.md "Notifications"): the caller's in-app list and read marks, their
// channel settings, and for operators the deliveries (failures visible).
import { STAFF, guard, principalOf } from '../../http/auth.ts';
import { problemResponses } from '../../http/problem.ts';
import type { AppDeps } from '../../app-deps.ts';
import type { App } from '../../http/types.ts';
import {
  deliveriesQuery, deliveryListSchema, noContent, notificationIdParams, notificationListSchema, notificationSettingsPatch, notificationSettingsSchema,
  notificationsQuery, updatedNotificationSettingsSchema,
} from './schemas.ts';
import { getSettings, listDeliveries, listNotifications, markRead, updateSettings } from './service.ts';

const tags = ['notifications'];

export function notificationsRoutes(app: App, deps: AppDeps): void {
  const { db, clock } = deps;

  app.get('/api/v1/notifications', {
    schema: { tags, querystring: notificationsQuery, response: { 200: notificationListSchema, ...problemResponses(400, 401) } }, onRequest: guard('authenticated'),
  }, async (request) => listNotifications(db, principalOf(request).userId, request.query));

  app.post('/api/v1/notifications/:id/read', {
    schema: { tags, params: notificationIdParams, response: { 204: noContent, ...problemResponses(400, 401, 404) } }, onRequest: guard('authenticated'),
  }, async (request, reply) => {
    await markRead(db, principalOf(request).userId, request.params.id, clock.now());
    return reply.code(204).send(null);
  });

  app.get('/api/v1/me/notification-settings', {
    schema: { tags, response: { 200: notificationSettingsSchema, ...problemResponses(401) } }, onRequest: guard('authenticated'),
  }, async (request) => getSettings(db, principalOf(request).userId));

  app.patch('/api/v1/me/notification-settings', {
    schema: { tags, body: notificationSettingsPatch, response: { 200: updatedNotificationSettingsSchema, ...problemResponses(400, 401, 403, 422) } },
    onRequest: guard('authenticated'),
  }, async (request) => updateSettings(db, deps.secretKey, principalOf(request).userId, request.body, deps.config.webhookAllowPrivate));

  app.get('/api/v1/admin/notifications/deliveries', {
    schema: { tags: ['admin'], querystring: deliveriesQuery, response: { 200: deliveryListSchema, ...problemResponses(400, 401, 403) } }, onRequest: guard(STAFF),
  }, async (request) => listDeliveries(db, request.query));
}
