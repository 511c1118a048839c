// Files, IPs, domains and users as Defender's entity APIs see them, derived on each request from
// what the tenant holds: alert evidence, the hunting tables (process, file and network events)
// and the devices' logged-on users. So every SHA-1, address or host in an alert's evidence
// resolves, and prevalence counts the same devices the hunting tables show.
// Shapes: files.md, get-file-statistics.md, get-ip-statistics.md, get-domain-statistics.md.
import * as crypto from 'node:crypto';
import { iso7 } from './http-util';
import type { SimAlert, SimMachine, SimState } from './types';

const HOUR = 3_600_000;

/** One sighting of an entity on a device. */
interface Sighting {
  machineId: string;
  at: number;
  fileName?: string;
  sha256?: string;
  size?: number;
  folder?: string;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);

function alertTime(a: SimAlert): number {
  return Date.parse(String(a.firstEventTime ?? a.alertCreationTime));
}

/** The host of an evidence URL or a RemoteUrl ('evil-cdn.example', 'http://203.0.113.50/x'). */
export function hostOf(url: unknown): string | undefined {
  if (typeof url !== 'string' || !url) return undefined;
  try {
    return new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(url) ? url : `https://${url}`).hostname.toLowerCase() || undefined;
  } catch {
    return undefined;
  }
}

const isIpLiteral = (host: string) => /^\d{1,3}(\.\d{1,3}){3}$/.test(host) || host.startsWith('[');

// ---------------------------------------------------------------- files

function fileSightings(state: SimState, sha1: string): Sighting[] {
  const out: Sighting[] = [];
  for (const a of state.alerts) {
    for (const e of a.evidence) {
      if (str(e.sha1)?.toLowerCase() !== sha1) continue;
      out.push({ machineId: a.machineId, at: alertTime(a), fileName: str(e.fileName), sha256: str(e.sha256)?.toLowerCase(), folder: str(e.filePath) });
    }
  }
  for (const row of state.events.DeviceProcessEvents ?? []) {
    if (String(row.SHA1).toLowerCase() === sha1) out.push({ machineId: String(row.DeviceId), at: Number(row.Timestamp), fileName: str(row.FileName), folder: str(row.FolderPath) });
  }
  for (const row of state.events.DeviceFileEvents ?? []) {
    if (String(row.SHA1).toLowerCase() === sha1) {
      out.push({ machineId: String(row.DeviceId), at: Number(row.Timestamp), fileName: str(row.FileName), sha256: str(row.SHA256)?.toLowerCase(), size: typeof row.FileSize === 'number' ? row.FileSize : undefined, folder: str(row.FolderPath) });
    }
  }
  return out;
}

/** The SHA-1 a SHA-256 belongs to, from the sightings that carry both. */
function sha1ForSha256(state: SimState, sha256: string): string | undefined {
  for (const a of state.alerts) for (const e of a.evidence) if (str(e.sha256)?.toLowerCase() === sha256 && str(e.sha1)) return String(e.sha1).toLowerCase();
  for (const row of state.events.DeviceFileEvents ?? []) if (String(row.SHA256).toLowerCase() === sha256) return String(row.SHA1).toLowerCase();
  return undefined;
}

/** A number 0..n-1 fixed by the text, so a file's global figures never change between calls. */
function stable(text: string, n: number): number {
  return crypto.createHash('sha256').update(text).digest().readUInt32BE(0) % n;
}

const MICROSOFT_FOLDER = /^C:\\(Windows|Program Files( \(x86\))?\\(Microsoft|WindowsApps|Microsoft Office))/i;

/** The threat an antivirus alert named for this file, when one did. */
function verdict(state: SimState, sha1: string): string | undefined {
  for (const a of state.alerts) {
    if (!str(a.threatName)) continue;
    if (a.evidence.some((e) => e.entityType === 'File' && str(e.sha1)?.toLowerCase() === sha1)) return String(a.threatName);
  }
  return undefined;
}

/** GET /files/{sha1|sha256}: the File entity, or undefined when the tenant never saw it. */
export function fileEntity(state: SimState, hash: string): Record<string, unknown> | undefined {
  const h = hash.toLowerCase();
  const sha1 = h.length === 64 ? sha1ForSha256(state, h) : h;
  if (!sha1) return undefined;
  const seen = fileSightings(state, sha1);
  if (!seen.length) return undefined;
  const sha256 = seen.find((s) => s.sha256)?.sha256 ?? null;
  const name = seen.find((s) => s.fileName)?.fileName ?? '';
  const folder = seen.find((s) => s.folder)?.folder ?? '';
  const pe = /\.(exe|dll|com|sys|scr)$/i.test(name);
  const microsoft = MICROSOFT_FOLDER.test(folder);
  const threat = verdict(state, sha1);
  const g = globalFigures(sha1, microsoft, seen);
  return {
    sha1,
    sha256,
    globalPrevalence: g.prevalence,
    globalFirstObserved: g.first,
    globalLastObserved: g.last,
    size: seen.find((s) => s.size !== undefined)?.size ?? 40_960 + stable(`${sha1}/size`, 4_000_000),
    fileType: pe ? 'PortableExecutable' : null,
    isPeFile: pe,
    filePublisher: microsoft ? 'Microsoft Corporation' : null,
    fileProductName: microsoft ? 'Microsoft® Windows® Operating System' : null,
    signer: microsoft ? 'Microsoft Windows' : null,
    issuer: microsoft ? 'Microsoft Windows Production PCA 2011' : null,
    signerHash: microsoft ? '580a6f4cc4e4b669b9ebdc1b2b3e087b80d0678d' : null,
    isValidCertificate: microsoft ? true : false,
    determinationType: threat ? 'Malware' : microsoft ? 'Clean' : 'Unknown',
    determinationValue: threat ?? '',
  };
}

/**
 * Worldwide figures: large for Microsoft binaries, tiny for the tenant's own oddities. Anchored on
 * the tenant's own sightings (seen worldwide before, and last where the tenant last saw it), so
 * every call answers the same.
 */
function globalFigures(sha1: string, microsoft: boolean, seen: Sighting[]): { prevalence: number; first: string; last: string } {
  const times = seen.map((s) => s.at);
  const orgFirst = Math.min(...times);
  const prevalence = microsoft ? 1_000_000 + stable(sha1, 9_000_000) : 1 + stable(sha1, 40);
  const first = orgFirst - (microsoft ? 400 + stable(`${sha1}/first`, 1000) : 1 + stable(`${sha1}/first`, 20)) * 24 * HOUR;
  return { prevalence, first: iso7(first, stable(`${sha1}/f7`, 10_000)), last: iso7(Math.max(...times), stable(`${sha1}/l7`, 10_000)) };
}

export interface OrgStats {
  organizationPrevalence: number;
  orgFirstSeen: string | null;
  orgLastSeen: string | null;
}

function orgStats(seen: Sighting[], lookBackHours: number): OrgStats & { inWindow: Sighting[] } {
  const since = Date.now() - lookBackHours * HOUR;
  const inWindow = seen.filter((s) => s.at >= since);
  if (!inWindow.length) return { organizationPrevalence: 0, orgFirstSeen: null, orgLastSeen: null, inWindow };
  const times = inWindow.map((s) => s.at);
  return {
    organizationPrevalence: new Set(inWindow.map((s) => s.machineId)).size,
    orgFirstSeen: new Date(Math.min(...times)).toISOString().replace(/\.\d+Z$/, 'Z'),
    orgLastSeen: new Date(Math.max(...times)).toISOString().replace(/\.\d+Z$/, 'Z'),
    inWindow,
  };
}

/** GET /files/{sha1}/stats: undefined when the file is unknown (404). */
export function fileStats(state: SimState, sha1: string, lookBackHours: number): Record<string, unknown> | undefined {
  const h = sha1.toLowerCase();
  const file = fileEntity(state, h);
  if (!file || h.length !== 40) return undefined;
  const seen = fileSightings(state, h);
  const { inWindow, ...org } = orgStats(seen, lookBackHours);
  const counts = new Map<string, number>();
  for (const s of inWindow.length ? inWindow : seen) if (s.fileName) counts.set(s.fileName, (counts.get(s.fileName) ?? 0) + 1);
  const topFileNames = [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, 5).map(([n]) => n);
  return {
    sha1: h,
    ...org,
    globallyPrevalence: file.globalPrevalence,
    globalFirstObserved: file.globalFirstObserved,
    globalLastObserved: file.globalLastObserved,
    topFileNames,
  };
}

function machinesOf(state: SimState, ids: Iterable<string>): SimMachine[] {
  const wanted = new Set([...ids].map((x) => x.toLowerCase()));
  return state.machines.filter((m) => wanted.has(m.id));
}

export function fileMachines(state: SimState, sha1: string): SimMachine[] {
  return machinesOf(state, fileSightings(state, sha1.toLowerCase()).map((s) => s.machineId));
}

export function fileAlerts(state: SimState, sha1: string): SimAlert[] {
  const h = sha1.toLowerCase();
  return state.alerts.filter((a) => a.evidence.some((e) => str(e.sha1)?.toLowerCase() === h));
}

// ---------------------------------------------------------------- IPs

function ipSightings(state: SimState, ip: string): Sighting[] {
  const out: Sighting[] = [];
  for (const a of state.alerts) if (a.evidence.some((e) => e.ipAddress === ip || hostOf(e.url) === ip)) out.push({ machineId: a.machineId, at: alertTime(a) });
  for (const row of state.events.DeviceNetworkEvents ?? []) if (row.RemoteIP === ip) out.push({ machineId: String(row.DeviceId), at: Number(row.Timestamp) });
  return out;
}

export function ipStats(state: SimState, ip: string, lookBackHours: number): Record<string, unknown> {
  const { inWindow: _unused, ...org } = orgStats(ipSightings(state, ip), lookBackHours);
  return { ipAddress: ip, ...org };
}

export function ipAlerts(state: SimState, ip: string): SimAlert[] {
  return state.alerts.filter((a) => a.evidence.some((e) => e.ipAddress === ip || hostOf(e.url) === ip));
}

// ---------------------------------------------------------------- domains

function domainSightings(state: SimState, host: string): Sighting[] {
  const out: Sighting[] = [];
  for (const a of state.alerts) if (a.evidence.some((e) => hostOf(e.url) === host)) out.push({ machineId: a.machineId, at: alertTime(a) });
  for (const row of state.events.DeviceNetworkEvents ?? []) if (hostOf(row.RemoteUrl) === host) out.push({ machineId: String(row.DeviceId), at: Number(row.Timestamp) });
  return out;
}

export function domainStats(state: SimState, domain: string, lookBackHours: number): Record<string, unknown> {
  const host = domain.toLowerCase();
  const { inWindow: _unused, ...org } = isIpLiteral(host) ? orgStats([], lookBackHours) : orgStats(domainSightings(state, host), lookBackHours);
  return { host: domain, ...org };
}

export function domainMachines(state: SimState, domain: string): SimMachine[] {
  return machinesOf(state, domainSightings(state, domain.toLowerCase()).map((s) => s.machineId));
}

export function domainAlerts(state: SimState, domain: string): SimAlert[] {
  const host = domain.toLowerCase();
  return state.alerts.filter((a) => a.evidence.some((e) => hostOf(e.url) === host));
}

// ---------------------------------------------------------------- users

/** The user IDs of the user APIs are account names (`user1`), compared case-insensitively. */
export function userMachines(state: SimState, user: string): SimMachine[] {
  const u = user.toLowerCase();
  const ids = new Set<string>();
  for (const [id, internal] of state.machineInternal) if (internal.loggedOnUsers.some((x) => x.accountName.toLowerCase() === u)) ids.add(id);
  for (const a of state.alerts) if (relatedTo(a, u)) ids.add(a.machineId);
  return machinesOf(state, ids);
}

function relatedTo(a: SimAlert, user: string): boolean {
  const related = a.relatedUser as { userName?: unknown } | null | undefined;
  if (typeof related?.userName === 'string' && related.userName.toLowerCase() === user) return true;
  return a.evidence.some((e) => str(e.accountName)?.toLowerCase() === user);
}

export function userAlerts(state: SimState, user: string): SimAlert[] {
  const u = user.toLowerCase();
  return state.alerts.filter((a) => relatedTo(a, u));
}
