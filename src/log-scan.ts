/**
 * Detectors for what a log line must never carry: a caller's full phone number (mobile,
 * landline with area code, international), an API token of ours (`hl.<id>.<secret>`), a bearer
 * credential, credentials in a URL, and 256-bit keys in base64 or hex. Used by
 * scripts/scan-logs.ts over the logs of the whole test suite.
 *
 * Masked numbers (`139******78`) do not match; neither do epoch timestamps (13 digits), Asterisk
 * channel ids (`1732451234.12`) or the short service numbers (12345, 12366).
 */
export interface SecretFinding {
  kind: 'caller-number' | 'api-token' | 'bearer' | 'url-credentials' | 'key';
  /** The match with its middle masked, safe to print. */
  masked: string;
}

const detectors: Array<{ kind: SecretFinding['kind']; re: RegExp }> = [
  // Mainland mobile numbers: 11 digits starting 13–19, optionally behind +86 / 86 / 0086.
  { kind: 'caller-number', re: /(?<![\d.])(?:\+?86|0086)?1[3-9]\d{9}(?![\d.])/g },
  // Landlines with an area code: 0 + 2–3 digit area code + 7–8 digit number, dash optional.
  { kind: 'caller-number', re: /(?<![\d.])0[1-9]\d{1,2}-?\d{7,8}(?![\d.])/g },
  // Any other international number written with a plus: + and 8 or more digits.
  { kind: 'caller-number', re: /(?<![\w])\+\d{8,}/g },
  { kind: 'api-token', re: /\bhl\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{40,}/g },
  { kind: 'bearer', re: /\bBearer\s+[A-Za-z0-9._~+/-]{16,}=*/gi },
  { kind: 'url-credentials', re: /\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@"]*:[^\s@/"]+@/gi },
  // 32 bytes in base64 (44 characters with its padding) or 64 hex digits.
  { kind: 'key', re: /(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{43}=(?![A-Za-z0-9+/=])/g },
  { kind: 'key', re: /(?<![0-9a-fA-F])[0-9a-fA-F]{64}(?![0-9a-fA-F])/g },
];

function mask(s: string): string {
  if (s.length <= 6) return '*'.repeat(s.length);
  return `${s.slice(0, 3)}${'*'.repeat(s.length - 5)}${s.slice(-2)}`;
}

export function findSecrets(line: string): SecretFinding[] {
  const out: SecretFinding[] = [];
  for (const { kind, re } of detectors) {
    for (const m of line.matchAll(re)) out.push({ kind, masked: mask(m[0]) });
  }
  return out;
}
