// Response actions on devices: isolate / release, antivirus scan, restrict / unrestrict app
// execution, investigation package, stop and quarantine file, offboard, live response (all never
// replayed automatically), download links, get, list, cancel, wait for completion, find a pending
// action, find the action a lost answer was about.
import type { MdeHttp } from '../transport/http';
import type { MachineAction, MachineActionStatus } from '../types';
import { MdeInputError, MdeWaitTimeoutError } from '../errors';
import { and, eq, ge, guid, machineActionStatus, machineActionType, machineId, or, orderBy as checkOrderBy, top as checkTop } from './odata';
import { sleep } from '../transport/http';
import type { RequestOptions } from './alerts';

export const FINAL_ACTION_STATUSES: readonly MachineActionStatus[] = ['Succeeded', 'Failed', 'TimeOut', 'Cancelled'];

export function isFinalStatus(s: unknown): boolean {
  return typeof s === 'string' && (FINAL_ACTION_STATUSES as readonly string[]).includes(s);
}

/** Reads both spellings: `lastUpdateDateTimeUtc` (real payloads) and `lastUpdateTimeUtc` (docs). */
export function actionLastUpdate(a: MachineAction): string | undefined {
  const v = a.lastUpdateDateTimeUtc ?? (a as Record<string, unknown>).lastUpdateTimeUtc;
  return typeof v === 'string' ? v : undefined;
}

function normalize(a: MachineAction): MachineAction {
  const c = { ...a } as MachineAction;
  delete (c as Record<string, unknown>)['@odata.context'];
  if (c.lastUpdateDateTimeUtc === undefined && typeof (c as Record<string, unknown>).lastUpdateTimeUtc === 'string') {
    c.lastUpdateDateTimeUtc = (c as Record<string, unknown>).lastUpdateTimeUtc as string;
  }
  return c;
}

function comment(v: unknown): string {
  if (typeof v !== 'string' || !v.trim()) throw new MdeInputError('A comment is required for response actions (it is shown in the Defender action center).');
  if (v.length > 1000) throw new MdeInputError('The comment is too long (1000 characters at most).');
  return v;
}

export type IsolationType = 'Full' | 'Selective' | 'UnManagedDevice';

/** What the isolation rules need to know about a device (fields of the Machine entity). */
export interface IsolationTarget {
  id: string;
  computerDnsName?: string | null;
  osPlatform?: unknown;
  osBuild?: unknown;
  version?: unknown;
}

/** Windows 10 version 1709 is build 16299. */
const SELECTIVE_MIN_WINDOWS10_BUILD = 16299;
const NON_WINDOWS_PLATFORM = /linux|ubuntu|debian|centos|red ?hat|rhel|suse|fedora|oracle|amazon|alma|rocky|mac|ios|android/i;

/**
 * Why `type` cannot isolate this device, or null. Microsoft's isolate-machine reference: Selective
 * isolation is available on Windows 10 version 1709 or later and Windows 11; Linux gets Full
 * isolation only, and macOS is not listed for Selective. A platform we cannot place (missing,
 * "Unknown") is left to MDE to judge.
 */
export function isolationTypeRefusal(machine: IsolationTarget, type: string): string | null {
  if (type !== 'Selective') return null;
  const platform = typeof machine.osPlatform === 'string' ? machine.osPlatform : '';
  const name = machine.computerDnsName || machine.id;
  if (NON_WINDOWS_PLATFORM.test(platform)) {
    return `Selective isolation is not available for ${name}: it runs ${platform}, and Defender for Endpoint offers Selective isolation only on Windows 10 version 1709 or later and Windows 11 (Linux supports Full isolation only). Use Full isolation for this device.`;
  }
  if (/^Windows(7|8)/i.test(platform)) {
    return `Selective isolation is not available for ${name}: it runs ${platform}; Selective isolation needs Windows 10 version 1709 or later, or Windows 11.`;
  }
  if (platform === 'Windows10') {
    const build = typeof machine.osBuild === 'number' ? machine.osBuild : undefined;
    if (build !== undefined && build < SELECTIVE_MIN_WINDOWS10_BUILD) {
      const version = typeof machine.version === 'string' && machine.version ? `version ${machine.version}, ` : '';
      return `Selective isolation is not available for ${name}: it runs Windows 10 ${version}build ${build}, and Selective isolation needs Windows 10 version 1709 (build 16299) or later. Use Full isolation, or update the device.`;
    }
  }
  return null;
}

export async function isolateMachine(http: MdeHttp, id: string, o: RequestOptions & { isolationType?: IsolationType | string; comment: string; machine?: IsolationTarget }): Promise<MachineAction> {
  const mid = machineId(id);
  const c = comment(o?.comment);
  const t = o.isolationType ?? 'Full';
  const type = ['Full', 'Selective', 'UnManagedDevice'].find((x) => x.toLowerCase() === String(t).toLowerCase());
  if (!type) throw new MdeInputError(`Isolation type ${JSON.stringify(t)} is not valid: use Full or Selective.`);
  // With the device's facts at hand, refuse what MDE would refuse, before anything is sent.
  const refusal = o.machine ? isolationTypeRefusal(o.machine, type) : null;
  if (refusal) throw new MdeInputError(refusal, 'IsolationTypeNotSupported');
  const res = await http.request<MachineAction>({
    audience: 'mde',
    family: 'machineactions',
    method: 'POST',
    path: `/api/machines/${mid}/isolate`,
    json: { Comment: c, IsolationType: type },
    idempotent: false,
    signal: o.signal,
    onWait: o.onWait,
  });
  return normalize(res.body);
}

export async function releaseMachine(http: MdeHttp, id: string, o: RequestOptions & { comment: string }): Promise<MachineAction> {
  const mid = machineId(id);
  const c = comment(o?.comment);
  const res = await http.request<MachineAction>({
    audience: 'mde',
    family: 'machineactions',
    method: 'POST',
    path: `/api/machines/${mid}/unisolate`,
    json: { Comment: c },
    idempotent: false,
    signal: o.signal,
    onWait: o.onWait,
  });
  return normalize(res.body);
}

/** POST /api/machines/{id}/{segment}: a response action, sent once (never retried by the transport). */
async function postMachineAction(http: MdeHttp, id: string, segment: string, json: Record<string, unknown>, o: RequestOptions): Promise<MachineAction> {
  const mid = machineId(id);
  const res = await http.request<MachineAction>({ audience: 'mde', family: 'machineactions', method: 'POST', path: `/api/machines/${mid}/${segment}`, json, idempotent: false, signal: o.signal, onWait: o.onWait });
  return normalize(res.body);
}

export type ScanType = 'Quick' | 'Full';

/** run-av-scan.md: ScanType is required, Quick or Full. */
export async function runAntivirusScan(http: MdeHttp, id: string, o: RequestOptions & { scanType: ScanType; comment: string }): Promise<MachineAction> {
  if (o.scanType !== 'Quick' && o.scanType !== 'Full') throw new MdeInputError(`Scan type ${JSON.stringify(o.scanType)} is not valid: use Quick or Full.`);
  return postMachineAction(http, id, 'runAntiVirusScan', { Comment: comment(o.comment), ScanType: o.scanType }, o);
}

export async function restrictCodeExecution(http: MdeHttp, id: string, o: RequestOptions & { comment: string }): Promise<MachineAction> {
  return postMachineAction(http, id, 'restrictCodeExecution', { Comment: comment(o.comment) }, o);
}

export async function unrestrictCodeExecution(http: MdeHttp, id: string, o: RequestOptions & { comment: string }): Promise<MachineAction> {
  return postMachineAction(http, id, 'unrestrictCodeExecution', { Comment: comment(o.comment) }, o);
}

export async function collectInvestigationPackage(http: MdeHttp, id: string, o: RequestOptions & { comment: string }): Promise<MachineAction> {
  return postMachineAction(http, id, 'collectInvestigationPackage', { Comment: comment(o.comment) }, o);
}

/** A SHA-1 as MDE takes it: 40 hexadecimal characters. */
export function sha1(v: unknown, what = 'Sha1'): string {
  if (typeof v !== 'string' || !/^[0-9a-fA-F]{40}$/.test(v.trim())) {
    const shown = typeof v === 'string' ? JSON.stringify(v.slice(0, 80)) : v === undefined ? 'nothing' : `a ${Array.isArray(v) ? 'array' : typeof v}`;
    throw new MdeInputError(`${what} must be a SHA-1 (40 hexadecimal characters), got ${shown}.`);
  }
  return v.trim().toLowerCase();
}

export async function stopAndQuarantineFile(http: MdeHttp, id: string, o: RequestOptions & { sha1: string; comment: string }): Promise<MachineAction> {
  return postMachineAction(http, id, 'StopAndQuarantineFile', { Comment: comment(o.comment), Sha1: sha1(o.sha1) }, o);
}

export async function offboardMachine(http: MdeHttp, id: string, o: RequestOptions & { comment: string }): Promise<MachineAction> {
  return postMachineAction(http, id, 'offboard', { Comment: comment(o.comment) }, o);
}

/** One live response command (run-live-response.md): a library script with arguments, or a file to collect. */
export type LiveResponseCommand = { type: 'RunScript'; scriptName: string; args?: string } | { type: 'GetFile'; path: string };

/** The documented `Commands` body: `{type, params: [{key, value}]}` in the order given. */
export function liveResponseBody(commands: readonly LiveResponseCommand[]): { type: string; params: { key: string; value: string }[] }[] {
  if (!commands.length) throw new MdeInputError('A live response needs at least one command (RunScript or GetFile).');
  return commands.map((c) => {
    if (c.type === 'RunScript') {
      if (typeof c.scriptName !== 'string' || !c.scriptName.trim()) throw new MdeInputError('RunScript needs the name of a script from the live response library.');
      const params = [{ key: 'ScriptName', value: c.scriptName.trim() }];
      if (c.args !== undefined && c.args !== '') params.push({ key: 'Args', value: c.args });
      return { type: 'RunScript', params };
    }
    if (c.type === 'GetFile') {
      if (typeof c.path !== 'string' || !c.path.trim()) throw new MdeInputError('GetFile needs the path of the file to collect.');
      return { type: 'GetFile', params: [{ key: 'Path', value: c.path.trim() }] };
    }
    throw new MdeInputError(`Live response command type ${JSON.stringify((c as { type?: unknown }).type)} is not valid: use RunScript or GetFile.`);
  });
}

export async function runLiveResponse(http: MdeHttp, id: string, o: RequestOptions & { commands: readonly LiveResponseCommand[]; comment: string }): Promise<MachineAction> {
  return postMachineAction(http, id, 'runliveresponse', { Commands: liveResponseBody(o.commands), Comment: comment(o.comment) }, o);
}

/** A download link and when it stops working. */
export interface DownloadLink {
  url: string;
  /** ISO time; from the link's own SAS expiry (`se`) when it has one, else fetch time + the documented validity. */
  expiresAt: string;
  /** Where expiresAt comes from: the link itself, or the documented (or assumed) validity. */
  expirySource: 'link' | 'documented';
}

function linkValue(body: unknown, what: string): string {
  const raw = (body as { value?: unknown } | undefined)?.value;
  // The documented example wraps the URL in literal quote characters inside the string.
  const url = typeof raw === 'string' ? raw.trim().replace(/^"(.*)"$/, '$1') : '';
  if (!/^https:\/\//i.test(url) && !/^http:\/\/(127\.0\.0\.1|localhost|\[::1\])[:/]/i.test(url)) throw new MdeInputError(`Defender for Endpoint answered the ${what} request without a download link.`, 'InvalidResponse');
  return url;
}

function downloadLink(url: string, fetchedAt: number, validityMs: number): DownloadLink {
  let se: string | null = null;
  try {
    se = new URL(url).searchParams.get('se');
  } catch {
    se = null;
  }
  const fromLink = se ? Date.parse(se) : NaN;
  if (Number.isFinite(fromLink)) return { url, expiresAt: new Date(fromLink).toISOString(), expirySource: 'link' };
  return { url, expiresAt: new Date(fetchedAt + validityMs).toISOString(), expirySource: 'documented' };
}

/**
 * get-package-sas-uri.md: "valid for a short time"; no figure is documented, so without a SAS
 * expiry in the link we assume 5 minutes: download it at once.
 */
export const PACKAGE_LINK_ASSUMED_VALIDITY_MS = 5 * 60_000;
/** get-live-response-result.md: "The link is valid for 30 minutes". */
export const LIVE_RESPONSE_LINK_VALIDITY_MS = 30 * 60_000;

/** GET /api/machineactions/{id}/GetPackageUri: the investigation package's download link (404 until the collection succeeded). */
export async function getPackageUri(http: MdeHttp, actionId: string, opts: RequestOptions = {}): Promise<DownloadLink> {
  const aid = guid(actionId, 'Machine action ID');
  const fetchedAt = Date.now();
  const res = await http.request<{ value?: string }>({ audience: 'mde', family: 'machineactions', method: 'GET', path: `/api/machineactions/${aid}/GetPackageUri`, signal: opts.signal, onWait: opts.onWait });
  return downloadLink(linkValue(res.body, 'package link'), fetchedAt, PACKAGE_LINK_ASSUMED_VALIDITY_MS);
}

/** GET /api/machineactions/{id}/GetLiveResponseResultDownloadLink(index={n}): one command's result. */
export async function getLiveResponseResultLink(http: MdeHttp, actionId: string, index: number, opts: RequestOptions = {}): Promise<DownloadLink> {
  const aid = guid(actionId, 'Machine action ID');
  if (!Number.isInteger(index) || index < 0) throw new MdeInputError(`A live response command index is a whole number from 0, got ${String(index)}.`);
  const fetchedAt = Date.now();
  const res = await http.request<{ value?: string }>({
    audience: 'mde', family: 'machineactions', method: 'GET', path: `/api/machineactions/${aid}/GetLiveResponseResultDownloadLink(index=${index})`, signal: opts.signal, onWait: opts.onWait,
  });
  return downloadLink(linkValue(res.body, 'live response result link'), fetchedAt, LIVE_RESPONSE_LINK_VALIDITY_MS);
}

export async function getMachineAction(http: MdeHttp, id: string, opts: RequestOptions = {}): Promise<MachineAction> {
  const aid = guid(id, 'Machine action ID');
  const res = await http.request<MachineAction>({ audience: 'mde', family: 'machineactions', method: 'GET', path: `/api/machineactions/${aid}`, signal: opts.signal, onWait: opts.onWait });
  return normalize(res.body);
}

export interface ListMachineActionsQuery extends RequestOptions {
  machineId?: string;
  type?: string;
  status?: string | string[];
  /** Actions created at or after this time (`creationDateTimeUtc ge`, a documented filter). */
  createdSince?: Date;
  top?: number;
  orderBy?: string;
}

export function buildMachineActionFilter(q: ListMachineActionsQuery): string {
  const parts: string[] = [];
  if (q.machineId) parts.push(eq('machineId', machineId(q.machineId)));
  if (q.type) parts.push(eq('type', machineActionType(q.type)));
  if (q.createdSince !== undefined) parts.push(ge('creationDateTimeUtc', q.createdSince));
  if (q.status !== undefined) {
    const st = (Array.isArray(q.status) ? q.status : [q.status]).map(machineActionStatus);
    if (st.length === 1) parts.push(eq('status', st[0]));
    else if (st.length > 1) parts.push(or(...st.map((s) => eq('status', s))));
  }
  return and(...parts);
}

export async function listMachineActions(http: MdeHttp, q: ListMachineActionsQuery = {}): Promise<MachineAction[]> {
  const filter = buildMachineActionFilter(q);
  const res = await http.request<{ value?: MachineAction[] }>({
    audience: 'mde',
    family: 'machineactions',
    method: 'GET',
    path: '/api/machineactions',
    searchParams: {
      $filter: filter || undefined,
      $top: q.top !== undefined ? checkTop(q.top) : undefined,
      $orderby: q.orderBy ? checkOrderBy(q.orderBy) : undefined,
    },
    signal: q.signal,
    onWait: q.onWait,
  });
  return (Array.isArray(res.body?.value) ? res.body.value : []).map(normalize);
}

export async function cancelMachineAction(http: MdeHttp, id: string, commentText: string, opts: RequestOptions = {}): Promise<MachineAction> {
  const aid = guid(id, 'Machine action ID');
  const res = await http.request<MachineAction>({
    audience: 'mde',
    family: 'machineactions',
    method: 'POST',
    path: `/api/machineactions/${aid}/cancel`,
    json: { Comment: comment(commentText) },
    // Cancelling twice has the same effect as once.
    idempotent: true,
    signal: opts.signal,
    onWait: opts.onWait,
  });
  return normalize(res.body);
}

/** Latest Pending / InProgress action of `type` on a device (undefined when none). */
export async function findPendingAction(http: MdeHttp, machine: string, type: string, opts: RequestOptions = {}): Promise<MachineAction | undefined> {
  const list = await listMachineActions(http, { machineId: machine, type, status: ['Pending', 'InProgress'], top: 100, ...opts });
  const pending = list.filter((a) => a.status === 'Pending' || a.status === 'InProgress');
  pending.sort((a, b) => String(b.creationDateTimeUtc ?? '').localeCompare(String(a.creationDateTimeUtc ?? '')));
  return pending[0];
}

/** Actions of `type` on a device created at or after `since`, newest first. */
export async function findActionsCreatedSince(http: MdeHttp, machine: string, type: string, since: Date, opts: RequestOptions = {}): Promise<MachineAction[]> {
  const list = await listMachineActions(http, { machineId: machine, type, createdSince: since, top: 100, ...opts });
  return list
    .filter((a) => a.machineId?.toLowerCase() === machine.toLowerCase() && a.type === type)
    .sort((a, b) => String(b.creationDateTimeUtc ?? '').localeCompare(String(a.creationDateTimeUtc ?? '')));
}

export interface WaitOptions {
  /** Give up after this long (default 10 min). */
  timeoutMs?: number;
  /** Poll interval (default 5 s; the first poll happens right away). */
  intervalMs?: number;
  signal?: AbortSignal;
  /** Called whenever the status changes (and on the first poll). */
  onStatus?: (action: MachineAction) => void;
}

/**
 * Polls until the action is final (Succeeded / Failed / TimeOut / Cancelled) and returns it.
 * When our own timeout passes first it THROWS `MdeWaitTimeoutError` (code `WaitTimeout`) whose
 * `lastAction` is the last state seen — the action itself keeps running in Defender.
 */
export async function waitForMachineAction(http: MdeHttp, id: string, o: WaitOptions = {}): Promise<MachineAction> {
  const aid = guid(id, 'Machine action ID');
  const timeoutMs = o.timeoutMs ?? 600_000;
  const intervalMs = Math.max(10, o.intervalMs ?? 5_000);
  const deadline = Date.now() + timeoutMs;
  let last: MachineAction | undefined;
  for (;;) {
    const a = await getMachineAction(http, aid, { signal: o.signal });
    if (!last || last.status !== a.status) o.onStatus?.(a);
    last = a;
    if (isFinalStatus(a.status)) return a;
    const left = deadline - Date.now();
    if (left <= 0) {
      const err = new MdeWaitTimeoutError(`The ${a.type ?? 'machine'} action ${aid} is still ${a.status} after ${Math.round(timeoutMs / 1000)} s; it keeps running in Defender for Endpoint.`, {
        code: 'WaitTimeout',
        hint: 'the device may be offline (actions wait until it connects); check the action center, or wait longer.',
      });
      err.lastAction = a;
      throw err;
    }
    await sleep(Math.min(intervalMs, left), o.signal);
  }
}
