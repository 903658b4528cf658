/** The Twilio Media Streams messages (bidirectional `<Connect><Stream>`), validated at the edge. */
import { z } from 'zod';

const base = { streamSid: z.string().optional(), sequenceNumber: z.string().optional() };

export const twilioMessageSchema = z.discriminatedUnion('event', [
  z.object({ event: z.literal('connected'), protocol: z.string().optional(), version: z.string().optional() }),
  z.object({
    event: z.literal('start'),
    ...base,
    start: z.object({
      streamSid: z.string().min(1),
      callSid: z.string().min(1),
      accountSid: z.string().optional(),
      tracks: z.array(z.string()).optional(),
      customParameters: z.record(z.string(), z.string()).optional(),
      mediaFormat: z.object({ encoding: z.string(), sampleRate: z.number(), channels: z.number() }).optional(),
    }),
  }),
  z.object({
    event: z.literal('media'),
    ...base,
    media: z.object({
      track: z.string().optional(),
      chunk: z.string().optional(),
      timestamp: z.string().max(32).optional(),
      payload: z.string(),
    }),
  }),
  z.object({ event: z.literal('mark'), ...base, mark: z.object({ name: z.string().max(256) }) }),
  z.object({
    event: z.literal('dtmf'),
    ...base,
    dtmf: z.object({ track: z.string().optional(), digit: z.string().regex(/^[0-9A-D*#]$/) }),
  }),
  z.object({ event: z.literal('stop'), ...base, stop: z.object({ callSid: z.string().optional() }).optional() }),
]);
export type TwilioMessage = z.infer<typeof twilioMessageSchema>;

/** What the bridge sends back on the stream. */
export type OutboundMessage =
  | { event: 'media'; streamSid: string; media: { payload: string } }
  | { event: 'mark'; streamSid: string; mark: { name: string } }
  | { event: 'clear'; streamSid: string };
