// Machines: get, list, find by tag, and name → device resolution (exact match only).
import type { MdeHttp } from '../transport/http';
import type { Machine } from '../types';
import { MdeApiError, MdeInputError } from '../errors';
import { freeText, machineId, odataString, rawFilter, skip as checkSkip, top as checkTop } from './odata';
import type { RequestOptions } from './alerts';
import { describe } from '../validate';

function strip<T extends Record<string, unknown>>(o: T): T {
  const c = { ...o };
  delete (c as Record<string, unknown>)['@odata.context'];
  return c;
}

export async function getMachine(http: MdeHttp, id: string, opts: RequestOptions = {}): Promise<Machine> {
  const mid = machineId(id);
  const res = await http.request<Machine>({ audience: 'mde', family: 'machines', method: 'GET', path: `/api/machines/${mid}`, signal: opts.signal, onWait: opts.onWait });
  return strip(res.body);
}

export interface ListMachinesOptions extends RequestOptions {
  /** OData `$filter` (expert); build it with the odata helpers. */
  filter?: string;
  top?: number;
  skip?: number;
}

/**
 * GET /api/machines. The service answers 404 (with its error body) instead of an empty list when
 * no device matches (get-machines.md): that is an empty result here. A 404 without an error body
 * is a wrong URL and still fails.
 */
export async function listMachines(http: MdeHttp, q: ListMachinesOptions = {}): Promise<Machine[]> {
  try {
    const res = await http.request<{ value?: Machine[] }>({
      audience: 'mde',
      family: 'machines',
      method: 'GET',
      path: '/api/machines',
      searchParams: {
        $filter: q.filter ? rawFilter(q.filter) : undefined,
        $top: q.top !== undefined ? checkTop(q.top) : undefined,
        $skip: q.skip !== undefined && q.skip !== 0 ? checkSkip(q.skip) : undefined,
      },
      signal: q.signal,
      onWait: q.onWait,
    });
    return Array.isArray(res.body?.value) ? res.body.value : [];
  } catch (err) {
    if (err instanceof MdeApiError && err.status === 404 && err.mde) return [];
    throw err;
  }
}

export async function findMachinesByTag(http: MdeHttp, tag: string, startsWith = false, opts: RequestOptions = {}): Promise<Machine[]> {
  const t = freeText(tag, 'Tag');
  const res = await http.request<{ value?: Machine[] }>({
    audience: 'mde',
    family: 'machines',
    method: 'GET',
    path: '/api/machines/findbytag',
    searchParams: { tag: t, useStartsWithFilter: startsWith ? 'true' : 'false' },
    signal: opts.signal,
    onWait: opts.onWait,
  });
  return Array.isArray(res.body?.value) ? res.body.value : [];
}

const NAME_RE = /^[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,252})$/;

/** Device names are DNS names / NetBIOS names: letters, digits, '-', '_', '.'. */
export function machineName(v: unknown): string {
  if (typeof v !== 'string' || !NAME_RE.test(v.trim())) {
    throw new MdeInputError(`Device name ${describe(v)} is not valid: use the computer name or its full DNS name (letters, digits, - _ .).`);
  }
  return v.trim();
}

/**
 * Resolves a computer name to exactly one device: `startswith(computerDnsName,'<name>')`, then an
 * EXACT case-insensitive match on the full DNS name, or on the host label (before the first dot)
 * when `name` has no dot. Never a substring match.
 * Errors: `MachineNotFound` (lists near candidates), `AmbiguousMachineName` (lists all).
 */
export async function resolveMachineByName(http: MdeHttp, name: string, opts: RequestOptions = {}): Promise<Machine> {
  const n = machineName(name);
  const lower = n.toLowerCase();
  const candidates = await listMachines(http, { filter: `startswith(computerDnsName,${odataString(lower, 'Device name')})`, top: 10_000, ...opts });
  const hasDot = lower.includes('.');
  const exact = candidates.filter((m) => {
    const dns = String(m.computerDnsName ?? '').toLowerCase();
    if (!dns) return false;
    return hasDot ? dns === lower : dns === lower || dns.split('.')[0] === lower;
  });
  const label = (m: Machine) => `${m.computerDnsName} (${m.id})`;
  if (exact.length === 1) return exact[0]!;
  if (exact.length === 0) {
    const near = candidates.slice(0, 5).map(label);
    throw new MdeApiError(
      `No machine named "${n}" in Defender for Endpoint${near.length ? `; machines whose name starts with it: ${near.join(', ')}${candidates.length > 5 ? ', ...' : ''}` : ''}.`,
      { code: 'MachineNotFound', status: 404, hint: 'use the full DNS name or the device ID; names only match exactly (never partially), and only devices seen within the retention period are listed.' },
    );
  }
  // Prefer a unique full-DNS-name match over host-label matches.
  const full = exact.filter((m) => String(m.computerDnsName).toLowerCase() === lower);
  if (full.length === 1) return full[0]!;
  throw new MdeApiError(`Several devices are named "${n}": ${exact.map(label).join(', ')}.`, {
    code: 'AmbiguousMachineName',
    hint: 'use the full DNS name or the device ID to pick one.',
  });
}
