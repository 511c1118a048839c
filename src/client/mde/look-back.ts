// The `lookBackHours` query parameter of the file, IP and domain statistics calls
// (get-file-statistics.md, get-ip-statistics.md, get-domain-statistics.md): an Int32, "the maximum
// value for lookbackhours is 720 hours (30 days)", and the service's default when absent.
import { MdeInputError } from '../errors';
import { describe } from '../validate';

export const MAX_LOOK_BACK_HOURS = 720;

/** undefined = not sent (the service looks back 30 days); otherwise a whole number from 1 to 720. */
export function lookBackHours(v: unknown): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > MAX_LOOK_BACK_HOURS) {
    throw new MdeInputError(`The look-back must be a whole number of hours from 1 to ${MAX_LOOK_BACK_HOURS} (30 days), got ${describe(v)}.`, 'InvalidLookBack');
  }
  return v;
}

/** The value as one path segment: validators already refuse every character this would escape. */
export function segment(v: string): string {
  return encodeURIComponent(v);
}
