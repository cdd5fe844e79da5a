/**
 * What checking incoming ARI events at the edge costs: `readAriEvent` (zod) on a StasisStart
 * and a ChannelDtmfReceived shaped like Asterisk 22's, after a warm-up. Prints µs per event.
 *
 *   node --import tsx scripts/bench-ari-events.ts
 */
import { readAriEvent } from '../src/telephony/ari/ari-events.ts';

const channel = {
  id: '1795501074.12',
  name: 'PJSIP/carrier-00000001',
  state: 'Ring',
  caller: { name: '', number: '13800138000' },
  connected: { name: '', number: '' },
  dialplan: { context: 'from-carrier', exten: '12345', priority: 2 },
};
const events = {
  StasisStart: { type: 'StasisStart', application: 'hotline-1', args: ['12345'], channel },
  ChannelDtmfReceived: { type: 'ChannelDtmfReceived', digit: '1', duration_ms: 100, channel },
};
const n = 200_000;
for (const [name, e] of Object.entries(events)) {
  if (readAriEvent(e).kind !== 'event') throw new Error(`${name} was not read`);
  for (let i = 0; i < 20_000; i++) readAriEvent(e);
  const t = performance.now();
  for (let i = 0; i < n; i++) readAriEvent(e);
  const us = ((performance.now() - t) * 1000) / n;
  console.log(JSON.stringify({ event: name, reads: n, microsecondsPerEvent: Number(us.toFixed(3)) }));
}
