import { type AdmissionOptions, defaultAdmissionOptions } from '../../src/admission/config.ts';

/** Admission control whose state is only what a test (or an operator) holds: no threshold is ever reached. */
export function forcedOnlyAdmission(): AdmissionOptions {
  const o = defaultAdmissionOptions();
  for (const t of Object.values(o.thresholds)) Object.assign(t, { shed: 1e9, critical: 1e9 });
  return o;
}
