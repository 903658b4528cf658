/** The one place that owns lexdr's Powertools instances: every handler logs through this logger. */
import { Logger } from '@aws-lambda-powertools/logger';

export const logger = new Logger({ serviceName: 'lexdr' });
