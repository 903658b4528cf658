/** Probe Lambda entry: one bot in one region, called by the health-check workflow's Map state. */
import { lexEndpointsFromEnv } from './lib/lex-clients';
import { createProbeHandler } from './lib/probe-handler';

export const handler = createProbeHandler({ lexEndpoints: lexEndpointsFromEnv() });
