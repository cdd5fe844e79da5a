import { z } from 'zod';

/**
 * Numbers as people dial them. A caller reaches Puyang's 4420000 as `4420000`, `0393-4420000`,
 * `03934420000` or `+86 393 4420000`; the plan lists each line once, as dialed locally. The same
 * normalisation runs for the call engine and for `explain`.
 */
export interface DialedNumber {
  /** The number as the plan lists it (digits only). */
  number: string;
  /** What was removed, in order; empty when the number was already in the plan's form. */
  steps: string[];
}

/** A local subscriber number after an area code: 7 or 8 digits, or a short service number (12345). */
const LOCAL_AFTER_AREA_CODE = /^(?:[2-9][0-9]{6,7}|1[0-9]{2,4})$/;

/** The center's area codes, longest first (`0393` before `039`). */
export function areaCodes(setting: string | readonly string[] | undefined): string[] {
  if (setting === undefined) return [];
  return (typeof setting === 'string' ? [setting] : [...setting]).sort((a, b) => b.length - a.length);
}

/**
 * Strips separators (spaces, `-`, `.`, brackets), the country code (`+86`, `0086`; the trunk
 * `0` is put back before an area code) and the center's own area code before a local number.
 * Mobile numbers, other cities' numbers and short numbers (12345, 110) stay as they are.
 */
export function normalizeDialed(dialed: string, centerAreaCodes: readonly string[]): DialedNumber {
  const steps: string[] = [];
  let n = dialed.replace(/[\s\-.()]/g, '');
  if (n !== dialed) steps.push('separators removed');
  const country = /^(?:\+86|0086)/.exec(n);
  if (country) {
    let rest = n.slice(country[0].length);
    // After +86 an area code loses its trunk 0 (+86 393 …, +86 10 … for Beijing); mobiles start with 1.
    if (!rest.startsWith('0') && !/^1[3-9][0-9]{9}$/.test(rest) && !/^1[0-9]{2,4}$/.test(rest))
      rest = `0${rest}`;
    n = rest;
    steps.push(`country code ${country[0]} removed`);
  }
  for (const code of centerAreaCodes) {
    if (n.startsWith(code) && LOCAL_AFTER_AREA_CODE.test(n.slice(code.length))) {
      n = n.slice(code.length);
      steps.push(`area code ${code} removed`);
      break;
    }
  }
  return { number: n, steps };
}

/**
 * A number as a person or a form gives it, at the edges (CLI, API): digits, a leading `+`,
 * spaces, `-`, `.` and brackets; 3 to 20 digits. Matched against the plan by normalizeDialed.
 */
export const DialedInput = z
  .string()
  .regex(/^\+?[0-9 ().-]{3,40}$/, 'a phone number: digits, optionally +86/0086, spaces, "-" and brackets')
  .refine((s) => {
    const digits = s.replace(/[^0-9]/g, '').length;
    return digits >= 3 && digits <= 20;
  }, 'must have 3 to 20 digits');
