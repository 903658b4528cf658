export type { Fault, FaultMode, LocalBot, LocalLexRegion, LocalLexRegionOptions } from './types';
export type { LexTimer, ProgressEvent } from './dialog';
export type { LexV2CodeHookEvent, LexV2CodeHookResponse } from '../../handlers/lib/fulfillment-core';
export { startLocalLexRegion, faultSchema } from './server';
export { localBotIds } from './ids';
export { decodeLexHeader } from './protocol';
export type { LexRequestRecord } from './protocol';
export { SpeechTemplates, synthesizerFor } from './speech';
export type { SynthMode } from './speech';
