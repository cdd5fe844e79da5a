/**
 * A separate engine process in the reservation race (spawned by redis-store.test.ts):
 *   node --import tsx test/acd/helpers/race-worker.ts <redisUrl> <keyPrefix> <centerId> <engineId> <calls> <agents>
 * Prints the number of calls it won as JSON on stdout.
 */
import { RedisAcdStore } from '../../../src/acd/store/redis.ts';
import { systemClock } from '../../../src/clock.ts';
import { raceForCalls } from './race.ts';

const [url, keyPrefix, centerId, engineId, calls, agents] = process.argv.slice(2);
if (!url || !keyPrefix || !centerId || !engineId || !calls || !agents) {
  process.stderr.write('usage: race-worker <redisUrl> <keyPrefix> <centerId> <engineId> <calls> <agents>\n');
  process.exit(2);
}
const callIds = Array.from({ length: Number(calls) }, (_, i) => `call-${i}`);
const agentIds = Array.from({ length: Number(agents) }, (_, i) => `agent-${i}`);
const store = await RedisAcdStore.open({ url, keyPrefix, centerId, clock: systemClock, sweepEveryMs: 0 });
try {
  const won = await raceForCalls(store, engineId, callIds, agentIds);
  process.stdout.write(`${JSON.stringify({ won: won.length })}\n`);
} finally {
  await store.close();
}
