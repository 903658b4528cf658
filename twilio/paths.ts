/** The bridge's public paths: the server serves them and the load balancer routes only them (one source of truth). */
export const MEDIA_PATH = '/media';
export const TWIML_PATH = '/twiml';
/** Everything else (`/healthz`, `/metrics`) is for the task's own health check and operators, never routed. */
export const PUBLIC_PATHS = [TWIML_PATH, MEDIA_PATH] as const;
