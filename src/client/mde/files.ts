// Files (files.md): information by SHA-1 or SHA-256, organisation prevalence statistics, and the
// machines and alerts related to a SHA-1. Each hash is checked before anything is sent.
import type { MdeHttp } from '../transport/http';
import type { Alert, Machine } from '../types';
import { MdeApiError, MdeInputError } from '../errors';
import { describe } from '../validate';
import type { RequestOptions } from './alerts';
import { readCollection, type CollectionResult } from './collection';
import { lookBackHours, segment } from './look-back';

export interface MdeFile {
  sha1: string;
  sha256?: string | null;
  globalPrevalence?: number | null;
  globalFirstObserved?: string | null;
  globalLastObserved?: string | null;
  size?: number | null;
  fileType?: string | null;
  isPeFile?: boolean;
  filePublisher?: string | null;
  fileProductName?: string | null;
  signer?: string | null;
  issuer?: string | null;
  signerHash?: string | null;
  isValidCertificate?: boolean | null;
  determinationType?: string | null;
  determinationValue?: string | null;
  [key: string]: unknown;
}

/** get-file-statistics.md (InOrgFileStats). */
export interface FileStats {
  sha1: string;
  organizationPrevalence: number;
  orgFirstSeen: string | null;
  orgLastSeen: string | null;
  globallyPrevalence?: number | null;
  globalFirstObserved?: string | null;
  globalLastObserved?: string | null;
  topFileNames?: string[];
  [key: string]: unknown;
}

export type HashKind = 'SHA-1' | 'SHA-256';

const LENGTHS: Record<number, HashKind | 'MD5'> = { 40: 'SHA-1', 64: 'SHA-256', 32: 'MD5' };

/**
 * A file hash as text: 40 hexadecimal characters (SHA-1) or 64 (SHA-256), whichever `allowed`
 * lists. MD5 is refused by name: no file API takes it.
 */
export function fileHash(v: unknown, allowed: readonly HashKind[] = ['SHA-1', 'SHA-256']): { hash: string; kind: HashKind } {
  const what = allowed.join(' or ');
  if (typeof v !== 'string') throw new MdeInputError(`The file hash must be a ${what} as hexadecimal text, got ${describe(v)}.`, 'InvalidFileHash');
  const h = v.trim();
  const kind = /^[0-9a-fA-F]+$/.test(h) ? LENGTHS[h.length] : undefined;
  if (!kind) {
    throw new MdeInputError(`${describe(v)} is not a ${what}: ${allowed.map((k) => (k === 'SHA-1' ? '40' : '64')).join(' or ')} hexadecimal characters are expected.`, 'InvalidFileHash');
  }
  if (kind === 'MD5') throw new MdeInputError(`${describe(v)} looks like an MD5 hash; Defender's file APIs take a ${what} only.`, 'InvalidFileHash');
  if (!allowed.includes(kind)) {
    throw new MdeInputError(`${describe(v)} is a ${kind}, but this call takes a ${what} only (as Microsoft documents it).`, {
      code: 'InvalidFileHash',
      hint: 'look the file up by its SHA-256 first ("file information" mode): the answer carries its sha1.',
    });
  }
  return { hash: h.toLowerCase(), kind };
}

function strip<T extends Record<string, unknown>>(o: T): T {
  const c = { ...o };
  delete (c as Record<string, unknown>)['@odata.context'];
  return c;
}

/** A 404 with Defender's error body is "no such file"; a bare 404 (a wrong URL) stays as it is. */
function fileNotFound(err: unknown, hash: string): unknown {
  if (err instanceof MdeApiError && err.status === 404 && err.mde) {
    return new MdeApiError(`Defender for Endpoint knows no file with the hash ${hash}.`, { code: 'FileNotFound', status: 404, mde: err.mde, hint: 'the file was never seen in the organisation, or its data is past the retention period.' });
  }
  return err;
}

/** GET /api/files/{sha1|sha256} (get-file-information.md; File.Read.All). Unknown file: FileNotFound. */
export async function getFile(http: MdeHttp, hash: unknown, opts: RequestOptions = {}): Promise<MdeFile> {
  const h = fileHash(hash).hash;
  try {
    const res = await http.request<MdeFile>({ audience: 'mde', family: 'other', method: 'GET', path: `/api/files/${segment(h)}`, signal: opts.signal, onWait: opts.onWait });
    return strip(res.body);
  } catch (err) {
    throw fileNotFound(err, h);
  }
}

/** GET /api/files/{sha1}/stats[?lookBackHours=] (get-file-statistics.md; File.Read.All). Unknown file: FileNotFound. */
export async function getFileStats(http: MdeHttp, sha1: unknown, hours?: unknown, opts: RequestOptions = {}): Promise<FileStats> {
  const h = fileHash(sha1, ['SHA-1']).hash;
  const look = lookBackHours(hours);
  try {
    const res = await http.request<FileStats>({ audience: 'mde', family: 'other', method: 'GET', path: `/api/files/${segment(h)}/stats`, searchParams: { lookBackHours: look }, signal: opts.signal, onWait: opts.onWait });
    return strip(res.body);
  } catch (err) {
    throw fileNotFound(err, h);
  }
}

/** GET /api/files/{sha1}/machines (get-file-related-machines.md; SHA-1 only; unknown file → empty). */
export async function listFileMachines(http: MdeHttp, sha1: unknown, maxResults: number, opts: RequestOptions = {}): Promise<CollectionResult<Machine>> {
  const h = fileHash(sha1, ['SHA-1']).hash;
  return readCollection<Machine>(http, 'other', `/api/files/${segment(h)}/machines`, maxResults, opts);
}

/** GET /api/files/{sha1}/alerts (get-file-related-alerts.md; SHA-1 only; unknown file → empty). */
export async function listFileAlerts(http: MdeHttp, sha1: unknown, maxResults: number, opts: RequestOptions = {}): Promise<CollectionResult<Alert>> {
  const h = fileHash(sha1, ['SHA-1']).hash;
  return readCollection<Alert>(http, 'other', `/api/files/${segment(h)}/alerts`, maxResults, opts);
}
