/**
 * The channel variable that carries the carrier's SIP Call-ID from the dialplan into the engine:
 * the project's extensions.conf sets it on every carrier call, and ari.conf's `channelvars` puts it
 * on every channel ARI shows (events and listings). Several nodes' channels of one carrier call
 * share it, which is what the attempt gate claims (see attempt-claims.ts).
 */
export const SIP_CALL_ID_VARIABLE = 'HOTLINE_SIP_CALL_ID';
