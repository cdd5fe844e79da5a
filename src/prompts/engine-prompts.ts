import { ticketPrompts } from '../ticketing/ticket-status.ts';
import { DATE_FRAGMENTS, DIGIT_FRAGMENTS, NUMBER_FRAGMENTS } from './say-number.ts';

/**
 * The prompts played without any rule naming them: by the call engine itself and by Asterisk's
 * safety net. `validate` counts them as used (checks/prompts.ts); test/prompts/engine-prompts
 * keeps the list equal to the prompt ids the engine's code and the dialplan name.
 * `when`: `always` for every plan, `progress-query` for plans with a progress self-query.
 */
export const ENGINE_PROMPTS: readonly {
  playedBy: string;
  when: 'always' | 'progress-query';
  ids: readonly string[];
}[] = [
  {
    playedBy: 'queue announcements: position and expected wait (src/calls/core/capabilities/queue.ts)',
    when: 'always',
    ids: [
      'queue-hold',
      'queue-position',
      'queue-position-unit',
      'queue-wait',
      'queue-wait-unit',
      ...NUMBER_FRAGMENTS,
    ],
  },
  {
    playedBy: 'the call-back registration after the longest wait or a `ticket` route (queue.ts, playlist.ts)',
    when: 'always',
    ids: ['ticket-created'],
  },
  {
    playedBy:
      'the call-back offer (its key read out) and its confirmation (src/calls/core/capabilities/callback.ts)',
    when: 'always',
    ids: ['callback-offer-a', 'callback-offer-b', 'callback-confirm', ...NUMBER_FRAGMENTS],
  },
  {
    playedBy:
      'a failed transfer from the IVR, before the center fallback (src/calls/core/capabilities/dial.ts)',
    when: 'always',
    ids: ['transfer-failed'],
  },
  {
    playedBy: "Asterisk's safety net while the engine is down (dialplan/extensions.conf, queues.conf)",
    when: 'always',
    ids: ['welcome-12345', 'queue-hold', 'fallback-leave-message', 'ticket-created'],
  },
  {
    playedBy: 'the parameters of composed prompts: {number} and {until} (src/prompts/expand.ts)',
    when: 'always',
    ids: [...new Set([...DIGIT_FRAGMENTS, ...DATE_FRAGMENTS])],
  },
  {
    playedBy: "the progress self-query's read-outs (src/ticketing/ticket-status.ts)",
    when: 'progress-query',
    ids: [...Object.keys(ticketPrompts), ...NUMBER_FRAGMENTS],
  },
];

/** The prompt ids the engine and the safety net play for a plan (with or without a progress self-query). */
export function enginePlayed(plan: { progressQuery: boolean }): Set<string> {
  return new Set(
    ENGINE_PROMPTS.filter((e) => e.when === 'always' || plan.progressQuery).flatMap((e) => e.ids),
  );
}
