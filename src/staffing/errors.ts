import { HotlineError } from '../errors.ts';

/**
 * A staffing input that cannot be computed with: `field` names the input (an option such as
 * `--aht`, a field of a volumes file with its path, or an argument of a formula).
 */
export class StaffingInputError extends HotlineError {
  readonly field: string;
  constructor(field: string, message: string) {
    super('invalid-staffing-input', `${field}: ${message}`);
    this.field = field;
  }
}
