/**
 * What the bot drift suites share: the model-building API responses captured per region (test/fixtures/bot-drift), a
 * LexModelsV2Client stand-in that answers from them and records the calls, and a bot model read through it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LexModelsV2Client } from '@aws-sdk/client-lex-models-v2';
import type { NormalisedBotModel, RawBotModel } from '../../bot/drift';
import { describeBotModel, normaliseBotModel } from '../../bot/drift';

/** Model-building API responses captured per region: single answers, pages, or answers keyed by the resource ID. */
export interface RegionFixture {
  region: string;
  ids: { botId: string; botAliasId: string; localeId: string };
  responses: Record<string, unknown>;
}

export const FIXTURES = join(__dirname, '..', 'fixtures', 'bot-drift');
export const fixture = (name: string): RegionFixture =>
  JSON.parse(readFileSync(join(FIXTURES, `${name}.json`), 'utf8'), (key, v: unknown) =>
    key.endsWith('DateTime') && typeof v === 'string' ? new Date(v) : v,
  ) as RegionFixture;

interface Call {
  api: string;
  input: Record<string, unknown>;
}

/** A LexModelsV2Client stand-in that answers each command by name from a fixture and records the calls. */
export function fakeLex(f: RegionFixture, fail?: { api: string; error: Error }) {
  const calls: Call[] = [];
  const send = async (command: { input: Record<string, unknown> }) => {
    const api = command.constructor.name.replace(/Command$/, '');
    const input = command.input;
    calls.push({ api, input });
    if (fail?.api === api) throw fail.error;
    const r = f.responses[api];
    const byId = (key: string) => (r as Record<string, unknown>)[String(input[key])];
    const page = (pages: { nextToken?: string }[]) => {
      const i = input.nextToken === undefined ? 0 : pages.findIndex((p) => p.nextToken === input.nextToken) + 1;
      if (i < 0 || i >= pages.length) throw new Error(`${api}: unknown nextToken ${String(input.nextToken)}`);
      return pages[i];
    };
    let out: unknown;
    switch (api) {
      case 'DescribeSlotType':
        out = byId('slotTypeId');
        break;
      case 'DescribeIntent':
        out = byId('intentId');
        break;
      case 'DescribeSlot':
        out = byId('slotId');
        break;
      case 'ListSlots':
        out = page(byId('intentId') as { nextToken?: string }[]);
        break;
      case 'ListIntents':
      case 'ListSlotTypes':
        out = page(r as { nextToken?: string }[]);
        break;
      default:
        out = r;
    }
    if (out === undefined) throw Object.assign(new Error(`${api}: not found`), { name: 'ResourceNotFoundException' });
    return { $metadata: { httpStatusCode: 200 }, ...structuredClone(out as object) };
  };
  return { client: { send } as unknown as LexModelsV2Client, calls };
}

export async function read(name: string): Promise<{ raw: RawBotModel; model: NormalisedBotModel }> {
  const f = fixture(name);
  const raw = await describeBotModel(fakeLex(f).client, f.ids);
  return { raw, model: normaliseBotModel(raw) };
}

export const LABELS = ['us-east-1', 'us-west-2'] as const;
