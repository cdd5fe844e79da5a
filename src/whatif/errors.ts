import { HotlineError } from '../errors.ts';

/** A what-if input (traffic file, profile, date, option) that cannot be used; the message names the place. */
export class WhatIfInputError extends HotlineError {
  constructor(
    readonly where: string,
    message: string,
  ) {
    super('whatif-input', `${where}: ${message}`);
  }
}
