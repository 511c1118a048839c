// The connection's rails for indicator nodes: the never-block list (user entries, the tenant's
// own domain, private ranges, Microsoft's sensor endpoints) and the cap on blocking indicators.
// Read strictly: a value the dialog cannot produce is refused (InvalidSetting), never defaulted.
import { BlockCap } from '../../client/safety/block-cap';
import { NeverBlockList } from '../../client/safety/never-block';
import { MdeError, MdeInputError } from '../../client/errors';
import { describe } from '../../client/validate';
import { isHostName } from '../../client/mde/indicator-values';

export interface IndicatorRailSettings {
  tenantId?: string;
  /** Comma / newline separated domains, IPs, CIDR ranges, hashes. */
  neverBlock?: unknown;
  /** Include Microsoft's sensor endpoints (default true). */
  neverBlockMicrosoft?: unknown;
  blockCap?: unknown;
  blockWindowMinutes?: unknown;
}

export interface IndicatorRails {
  neverBlock: NeverBlockList;
  cap: BlockCap;
}

export const BLOCK_CAP_DEFAULT = 20;
export const BLOCK_WINDOW_MINUTES_DEFAULT = 60;

function whole(v: unknown, prop: string, fallback: number): number {
  if (v === undefined || v === null || v === '') return fallback;
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*\d+\s*$/.test(v) ? Number(v) : NaN;
  if (Number.isInteger(n) && n >= 1) return n;
  throw new MdeInputError(`The Defender connection setting "${prop}" is ${describe(v)}; allowed: a whole number, at least 1.`, 'InvalidSetting');
}

function entries(v: unknown): string[] {
  if (v === undefined || v === null) return [];
  if (typeof v !== 'string') throw new MdeInputError(`The Defender connection setting "neverBlock" is ${describe(v)}; allowed: a comma or newline separated list.`, 'InvalidSetting');
  return v.split(/[,\n]/).map((x) => x.trim()).filter(Boolean);
}

/** A getter that builds the rails once; a bad setting throws the same InvalidSetting every time. */
export function indicatorRailsFor(def: IndicatorRailSettings): () => IndicatorRails {
  let built: IndicatorRails | undefined;
  let error: MdeError | undefined;
  return () => {
    if (built) return built;
    if (error) throw error;
    try {
      const microsoft = def.neverBlockMicrosoft;
      if (microsoft !== undefined && microsoft !== null && typeof microsoft !== 'boolean') {
        throw new MdeInputError(`The Defender connection setting "neverBlockMicrosoft" is ${describe(microsoft)}; allowed: true or false.`, 'InvalidSetting');
      }
      const tenant = typeof def.tenantId === 'string' ? def.tenantId.trim().toLowerCase() : '';
      built = {
        neverBlock: new NeverBlockList({ entries: entries(def.neverBlock), microsoftEndpoints: microsoft !== false, tenantDomains: isHostName(tenant) ? [tenant] : [] }),
        cap: new BlockCap(whole(def.blockCap, 'blockCap', BLOCK_CAP_DEFAULT), whole(def.blockWindowMinutes, 'blockWindowMinutes', BLOCK_WINDOW_MINUTES_DEFAULT) * 60_000),
      };
      return built;
    } catch (err) {
      error = err instanceof MdeError ? err : new MdeInputError(String(err), 'InvalidSetting');
      throw error;
    }
  };
}
