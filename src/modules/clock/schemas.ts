import { z } from 'zod';
import { MAX_ADVANCE_SECONDS } from './service.ts';

export const advanceBody = z.object({ advanceSeconds: z.number().int().min(0).max(MAX_ADVANCE_SECONDS) });

export const clockSchema = z.object({ now: z.string().describe('the sandbox clock, ISO 8601 (UTC)') });
