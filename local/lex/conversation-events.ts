/**
 * The events of a StartConversation stream: the input events a client may send (validated as the model
 * constrains them) and the modeled exceptions that end the stream.
 */
import { z } from 'zod';
import type { ErrorKind } from './protocol';
import { messageSchema, sessionStateSchema } from './v2';

/** The operation's counter key and request-log name. */
export const OPERATION = 'V2.StartConversation';

/** An exception event's type, as StartConversationResponseEventStream models them. */
export type StreamException =
  | 'AccessDeniedException'
  | 'ResourceNotFoundException'
  | 'ValidationException'
  | 'ThrottlingException'
  | 'InternalServerException'
  | 'ConflictException'
  | 'DependencyFailedException'
  | 'BadGatewayException';

export const KIND_TO_EXCEPTION: Record<ErrorKind, StreamException> = {
  validation: 'ValidationException',
  notfound: 'ResourceNotFoundException',
  throttled: 'ThrottlingException',
  internal: 'InternalServerException',
  dependency: 'DependencyFailedException',
};

export const configurationEventSchema = z.object({
  responseContentType: z.string().min(1, { error: 'responseContentType must not be empty' }),
  requestAttributes: z.record(z.string(), z.string()).optional(),
  sessionState: sessionStateSchema.optional(),
  welcomeMessages: z.array(messageSchema).max(10).optional(),
  disablePlayback: z.boolean().optional(),
  eventId: z.string().optional(),
  clientTimestampMillis: z.number().optional(),
});
export type ConfigurationEvent = z.infer<typeof configurationEventSchema>;

export const textInputEventSchema = z.object({
  text: z
    .string()
    .min(1, { error: 'text must be 1–1024 characters' })
    .max(1024, { error: 'text must be 1–1024 characters' }),
  eventId: z.string().optional(),
});

export const audioInputEventSchema = z.object({
  contentType: z.string().min(1, { error: 'contentType must not be empty' }),
  audioChunk: z.base64({ error: 'audioChunk must be base64 audio' }).optional(),
  eventId: z.string().optional(),
});
export type AudioInputEvent = z.infer<typeof audioInputEventSchema>;

export const dtmfInputEventSchema = z.object({
  inputCharacter: z.string().regex(/^[A-D0-9#*]{1}$/, { error: 'inputCharacter must be one of 0-9, A-D, * or #' }),
  eventId: z.string().optional(),
});
