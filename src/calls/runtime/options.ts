import type { Logger } from 'pino';
import type { AcdStore } from '../../acd/store/port.ts';
import type { AdmissionOptions } from '../../admission/config.ts';
import type { Clock } from '../../clock.ts';
import type { RoutingPlan } from '../../plan/compile.ts';
import type { CallerEncryptor } from '../../records/caller-crypto.ts';
import type { RecordSink } from '../../records/record.ts';
import type { DialAllowList } from '../../telephony/dial-allow-list.ts';
import type { PresencePort, TelephonyPort } from '../../telephony/port.ts';
import type { SessionStore } from './session-store.ts';
import type { TicketingPort } from './ticketing.ts';

/** What the call engine is built from. */
export interface EngineOptions {
  engineId: string;
  telephony: TelephonyPort;
  acd: AcdStore;
  records: RecordSink;
  ticketing: TicketingPort;
  clock: Clock;
  logger: Logger;
  /** The plan new calls start on; a call keeps the plan it started with until it ends. */
  plan: () => RoutingPlan;
  /**
   * Every endpoint the engine may originate to (the roster's phones, the published plan's
   * targets): an originate to anything else is refused before it reaches the PBX.
   */
  dialAllowList: () => DialAllowList;
  /** Media URI of a prompt, e.g. `sound:hotline/welcome-12345`. */
  media?: (promptId: string) => string;
  /** Where live sessions are kept so a restarted engine picks its calls up again (default: nowhere). */
  sessions?: SessionStore;
  /** Encrypts caller numbers in call records (AES-256-GCM); without it records carry the masked number only. */
  recordCipher?: CallerEncryptor;
  /** Measures event-to-action latency: ms from an event's arrival to its first PBX request (benchmarks). */
  onActionLatency?: (ms: number) => void;
  /**
   * Admission control (src/admission): the engine measures its own lag and, past the thresholds,
   * hands NEW calls to the dialplan's safety net. Without it every call is taken.
   */
  admission?: AdmissionOptions;
  /** Asterisk's fullest taskprocessor queue since the last read, % of its high-water mark (AMI). */
  pbxQueuePercent?: () => number;
  /** Where softphone registration comes from (AMI, or a poll); without it only the ACD API sets it. */
  presence?: PresencePort;
  /** How long an agent whose phone answered busy is not offered calls (default 30 s). */
  busyHoldMs?: number;
  /** How often the channels and bridges the engine owns are compared with the PBX's (0: never; default 30 s). */
  reconcileEveryMs?: number;
  /** Resources younger than this are left out of a reconciliation (their events may be on the way; default 10 s). */
  reconcileGraceMs?: number;
  /** Records every call's bridges from the answer to the end (RECORDING; default off here, on in `serve`). */
  recording?: boolean;
}
