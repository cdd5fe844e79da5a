/** The ACD (automatic call distribution): pure core and the store port. Adapters are imported
 *  from their own files (`store/memory.ts`, `store/redis.ts`). */
export * from './agent.ts';
export * from './agent-state.ts';
export { DispatchBoard, type DispatchDecision, type OfferDecision } from './dispatch-board.ts';
export * from './errors.ts';
export * from './position.ts';
export * from './queue-figures.ts';
export * from './queue-policy.ts';
export * from './select-agent.ts';
export type * from './store/port.ts';
