import { HotlineError } from '../errors.ts';

/** The app names the dialplan may spread calls over: what `ARI_APP` accepts, at most 16. */
export class StasisAppsError extends HotlineError {
  constructor(message: string) {
    super('invalid-stasis-apps', message);
  }
}

const APP_NAME = /^[A-Za-z0-9_-]+$/;
export const MAX_STASIS_APPS = 16;

/** Parses `hotline-1,hotline-2` (the engine's ARI_APP format) into distinct app names. */
export function parseStasisApps(text: string): string[] {
  const apps = text.split(',').map((a) => a.trim());
  const bad = apps.find((a) => !APP_NAME.test(a));
  if (bad !== undefined) {
    throw new StasisAppsError(`"${bad}" is not an app name (letters, digits, "-" and "_"; comma-separated)`);
  }
  if (new Set(apps).size !== apps.length) throw new StasisAppsError(`app names repeat in "${text}"`);
  if (apps.length > MAX_STASIS_APPS) throw new StasisAppsError(`at most ${MAX_STASIS_APPS} app names`);
  return apps;
}
