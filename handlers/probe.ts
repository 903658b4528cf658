/** Probe Lambda entry: one bot in one region, called by the health-check workflow's Map state. */
import { lexEndpointsFromEnv } from '../core/lex-clients';
import { createProbeHandler } from '../core/probe-handler';

export const handler = createProbeHandler({ lexEndpoints: lexEndpointsFromEnv() });
