// Request and answer shapes of the usage routes (API.md "Partner interface", "Lines").
import { z } from 'zod';

export const usageIngestResultSchema = z.object({
  accepted: z.number().int(),
  duplicates: z.number().int(),
  rejected: z.array(z.object({ index: z.number().int(), id: z.string().nullable(), code: z.string(), detail: z.string() })),
  rejectedCount: z.number().int(),
});

export const usageQuery = z.object({
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
  granularity: z.enum(['day', 'hour']).default('day'),
});

export const usageSeriesSchema = z.object({
  items: z.array(z.object({
    at: z.string(),
    dataBytes: z.number().int(),
    voiceSec: z.number().int(),
    sms: z.number().int(),
    charged: z.object({ amount: z.number().int(), currency: z.string() }),
  })),
});
