/**
 * The game days on a health-check stack, wired exactly as the stack wires them when `gameDays` is on: the tests of the
 * construct and the deploy configurations build them through this one function.
 */
import { GameDays } from '../../infra/constructs/game-days';
import type { HealthCheckStack } from '../../infra/stacks/health-check-stack';

export function addGameDays(stack: HealthCheckStack, connectRegion: string): GameDays {
  return new GameDays(stack, 'GameDays', {
    probeFunction: stack.probe.function,
    lookupFunction: stack.lookup.function,
    alarms: stack.alarms,
    connectRegion,
  });
}
