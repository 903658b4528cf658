/** Probe Lambda entry: one bot in one region, called by the health-check workflow's Map state. */
import { probeEnvironment } from '../core/environment';
import { createProbeHandler } from '../core/probe-handler';

const env = probeEnvironment();

export const handler = createProbeHandler({ lexEndpoints: env.lexEndpoints });
