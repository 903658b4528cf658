/**
 * zod/mini configured once for the handlers' settings and the lookup's Connect event, with the schemas they share
 * (a module building zod/mini schemas imports these, so the configuration comes first). zod/mini bundles only what
 * a schema uses — importing its namespace (never re-exporting it) keeps that so — and the lookup builds its schemas
 * at every cold start. It loads no locale of its own: the English messages zod's chained API sets, so errors read
 * alike everywhere.
 */
import { en } from 'zod/locales';
import * as z from 'zod/mini';

z.config(en());

export const str = z.string();
export const nonEmpty = z.string().check(z.minLength(1));
export const atLeast0 = z.number().check(z.int(), z.minimum(0));
export const atLeast1 = z.number().check(z.int(), z.minimum(1));
export const positiveInt = z.number().check(z.int(), z.positive());
