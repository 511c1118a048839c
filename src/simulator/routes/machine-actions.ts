// Response actions and their lifecycle: Pending -> InProgress -> Succeeded | Failed | TimeOut,
// or Cancelled (mde-api.md §4.3, §5.3, §7.1). Isolation state changes only on success. A finished
// investigation package and finished live-response commands have download links (SAS, expiring).
import * as crypto from 'node:crypto';
import { schedule, type SimContext } from '../context';
import { iso7, mdeError, odata } from '../http-util';
import { applyOData, nextLink, type EntitySetSpec } from '../odata';
import type { ActionOutcome, SimAction, SimMachine } from '../types';
import { MACHINE_READ, findMachine, missing, notFound, odataError, readBody, type Route, type RouteCtx } from './route';

export const ACTION_SPEC: EntitySetSpec = {
  typeName: 'microsoft.windowsDefenderATP.api.MachineAction',
  // Learn, get-machineactions-collection.md: "$filter on id, status, machineId, type, requestor, creationDateTimeUtc".
  filterable: ['id', 'status', 'machineId', 'type', 'requestor', 'creationDateTimeUtc'],
  dateProps: ['creationDateTimeUtc', 'lastUpdateDateTimeUtc', 'cancellationDateTimeUtc'],
};

const CANCEL_ROLES = ['Machine.CollectForensics', 'Machine.Isolate', 'Machine.RestrictExecution', 'Machine.Scan', 'Machine.Offboard', 'Machine.StopAndQuarantine', 'Machine.LiveResponse'];
const ACTIVE = new Set(['Pending', 'InProgress']);

function stamp(sim: SimContext): string {
  return iso7(Date.now(), sim.rng.int(0, 9999));
}

function outcomeFor(sim: SimContext, action: SimAction, machine: SimMachine): ActionOutcome {
  const set = sim.actionOutcomes.get(machine.id) ?? sim.actionOutcomes.get(machine.computerDnsName.toLowerCase());
  if (set) return set;
  const o = sim.options.actionOutcome;
  if (typeof o === 'function') return o(action);
  if (o) return o[machine.id] ?? o[machine.computerDnsName] ?? 'Succeeded';
  return 'Succeeded';
}

function setStatus(sim: SimContext, a: SimAction, status: SimAction['status']): void {
  a.status = status;
  a.lastUpdateDateTimeUtc = stamp(sim);
}

interface LiveCommand {
  index: number;
  startTime: string | null;
  endTime: string | null;
  commandStatus: 'Created' | 'Completed' | 'Failed';
  errors: string[];
  command: { type: string; params: { key: string; value: string }[] };
}

function liveCommands(a: SimAction): LiveCommand[] {
  return Array.isArray(a.commands) ? (a.commands as LiveCommand[]) : [];
}

/**
 * run-live-response.md: commands run in order and "a failing command stops the remaining ones".
 * A successful session completes every command; a failed one fails the first and leaves the rest Created.
 */
function finishCommands(a: SimAction, outcome: ActionOutcome): void {
  const commands = liveCommands(a);
  if (!commands.length) return;
  const at = a.lastUpdateDateTimeUtc;
  if (outcome === 'Succeeded') {
    for (const c of commands) Object.assign(c, { startTime: c.startTime ?? at, endTime: at, commandStatus: 'Completed' });
    return;
  }
  Object.assign(commands[0], { startTime: commands[0].startTime ?? at, endTime: at, commandStatus: 'Failed', errors: [outcome === 'TimeOut' ? 'The command timed out on the device.' : 'The command failed on the device.'] });
}

/** Schedules the action's progress; the timers die with the simulator or on cancel. */
function advance(sim: SimContext, a: SimAction, machine: SimMachine): void {
  const { pendingMs, inProgressMs } = sim.options;
  const t1 = schedule(sim, pendingMs, () => {
    if (a.status !== 'Pending') return;
    setStatus(sim, a, 'InProgress');
    const first = liveCommands(a)[0];
    if (first) first.startTime = a.lastUpdateDateTimeUtc;
  });
  const t2 = schedule(sim, pendingMs + inProgressMs, () => {
    if (a.status !== 'InProgress') return;
    const outcome = outcomeFor(sim, a, machine);
    setStatus(sim, a, outcome);
    sim.actionTimers.delete(a.id);
    finishCommands(a, outcome);
    if (outcome !== 'Succeeded') {
      a.errorHResult = outcome === 'TimeOut' ? -2147023436 : -2147467259;
      return;
    }
    const internal = sim.state.machineInternal.get(machine.id);
    if (!internal) return;
    if (a.type === 'Isolate') {
      internal.isolationState = 'Isolated';
      internal.isolationType = typeof a.scope === 'string' ? a.scope : 'Full';
    } else if (a.type === 'Unisolate') {
      internal.isolationState = 'NotIsolated';
      internal.isolationType = null;
    }
  });
  sim.actionTimers.set(a.id, [t1, t2]);
}

/** Windows 10 1709 (Fall Creators Update) is build 16299. */
const SELECTIVE_MIN_WINDOWS10_BUILD = 16299;

/**
 * isolate-machine.md: "Selective isolation is available for devices on Windows 10, version 1709
 * or later, and on Windows 11"; Linux gets Full isolation only. Answered with the documented
 * error codes (mde-api.md §6.2): OsPlatformNotSupported, ClientVersionNotSupported.
 */
function selectiveRefusal(m: SimMachine): ReturnType<typeof mdeError> | undefined {
  if (!/^Windows/i.test(m.osPlatform)) return mdeError(400, 'OsPlatformNotSupported', `OS Platform ${m.osPlatform} isn't supported for this action.`);
  const oldWindows10 = m.osPlatform === 'Windows10' && typeof m.osBuild === 'number' && m.osBuild < SELECTIVE_MIN_WINDOWS10_BUILD;
  if (oldWindows10 || /^Windows(7|8)/i.test(m.osPlatform)) return mdeError(400, 'ClientVersionNotSupported', 'Selective isolation is supported on client version 1709 and above.');
  return undefined;
}

interface ActionSpec {
  type: string;
  path: string;
  roles: string[];
  /** Extra body properties and how they become the action's scope / file info. */
  extra: string[];
  /** Success status (201 Created, except where the page documents another). */
  status?: number;
  validate?: (body: Record<string, unknown>, machine: SimMachine) => { error?: ReturnType<typeof mdeError>; scope?: string | null; relatedFileInfo?: unknown; commands?: LiveCommand[] };
}

const ACTIONS: ActionSpec[] = [
  {
    type: 'Isolate', path: 'isolate', roles: ['Machine.Isolate'], extra: ['IsolationType'],
    validate: (b, m) => {
      const t = b.IsolationType ?? 'Full';
      if (t !== 'Full' && t !== 'Selective' && t !== 'UnManagedDevice') return { error: mdeError(400, 'InvalidInput', `Invalid input IsolationType: ${String(t)}. Allowed values: Full, Selective, UnManagedDevice.`) };
      if (m.osPlatform === 'macOS') return { error: mdeError(400, 'OsPlatformNotSupported', `OS Platform ${m.osPlatform} isn't supported for this action.`) };
      if (t === 'Selective') {
        const refusal = selectiveRefusal(m);
        if (refusal) return { error: refusal };
      }
      return { scope: t };
    },
  },
  { type: 'Unisolate', path: 'unisolate', roles: ['Machine.Isolate'], extra: [] },
  { type: 'RestrictCodeExecution', path: 'restrictCodeExecution', roles: ['Machine.RestrictExecution'], extra: [] },
  { type: 'UnrestrictCodeExecution', path: 'unrestrictCodeExecution', roles: ['Machine.RestrictExecution'], extra: [] },
  { type: 'CollectInvestigationPackage', path: 'collectInvestigationPackage', roles: ['Machine.CollectForensics'], extra: [] },
  {
    type: 'RunAntiVirusScan', path: 'runAntiVirusScan', roles: ['Machine.Scan'], extra: ['ScanType'],
    validate: (b) => {
      if (b.ScanType === undefined) return { error: missing('ScanType') };
      if (b.ScanType !== 'Quick' && b.ScanType !== 'Full') return { error: mdeError(400, 'InvalidInput', `Invalid input ScanType: ${String(b.ScanType)}. Allowed values: Quick, Full.`) };
      return { scope: b.ScanType };
    },
  },
  {
    type: 'StopAndQuarantineFile', path: 'StopAndQuarantineFile', roles: ['Machine.StopAndQuarantine'], extra: ['Sha1'],
    validate: (b, m) => {
      if (b.Sha1 === undefined) return { error: missing('Sha1') };
      if (typeof b.Sha1 !== 'string' || !/^[0-9a-fA-F]{40}$/.test(b.Sha1)) return { error: mdeError(400, 'InvalidInput', `Invalid input Sha1: ${String(b.Sha1).slice(0, 80)}. A SHA-1 is 40 hexadecimal characters.`) };
      // stop-and-quarantine-file.md: Windows 10 version 1703 or later, Windows 11, Windows Server.
      if (!/^Windows/i.test(m.osPlatform)) return { error: mdeError(400, 'OsPlatformNotSupported', `OS Platform ${m.osPlatform} isn't supported for this action.`) };
      return { relatedFileInfo: { fileIdentifier: b.Sha1.toLowerCase(), fileIdentifierType: 'Sha1' } };
    },
  },
  {
    type: 'Offboard', path: 'offboard', roles: ['Machine.Offboard'], extra: [],
    // offboard-machine-api.md: Windows only (not macOS or Linux); its page answers "200 - Created".
    status: 200,
    validate: (_b, m) => (/^Windows/i.test(m.osPlatform) ? {} : { error: mdeError(400, 'OsPlatformNotSupported', `OS Platform ${m.osPlatform} isn't supported for this action.`) }),
  },
  {
    type: 'LiveResponse', path: 'runliveresponse', roles: ['Machine.LiveResponse'], extra: ['Commands'],
    validate: (b) => {
      const commands = liveResponseCommands(b.Commands);
      return typeof commands === 'string' ? { error: commands === 'missing' ? missing('Commands') : mdeError(400, 'InvalidInput', commands) } : { commands };
    },
  },
];

/** Parameters each live response command takes (run-live-response.md); the first of each is required. */
const LIVE_PARAMS: Record<string, string[]> = { PutFile: ['FileName'], RunScript: ['ScriptName', 'Args'], GetFile: ['Path'] };

/** The Commands array echoed as the action's `commands`, or why it is refused. */
function liveResponseCommands(raw: unknown): LiveCommand[] | string {
  if (raw === undefined) return 'missing';
  if (!Array.isArray(raw) || raw.length === 0) return 'Invalid input Commands: a non-empty array of commands is required.';
  const out: LiveCommand[] = [];
  for (const [index, c] of raw.entries()) {
    const type = (c as Record<string, unknown> | null)?.type;
    const allowed = typeof type === 'string' ? LIVE_PARAMS[type] : undefined;
    if (!allowed) return `Invalid input Commands[${index}].type: ${String(type)}. Allowed values: PutFile, RunScript, GetFile.`;
    const params = (c as Record<string, unknown>).params;
    if (!Array.isArray(params)) return `Invalid input Commands[${index}].params: an array of {key, value} is required.`;
    const clean: { key: string; value: string }[] = [];
    for (const p of params) {
      const { key, value } = (p ?? {}) as Record<string, unknown>;
      if (typeof key !== 'string' || !allowed.includes(key) || typeof value !== 'string') return `Invalid input Commands[${index}].params: ${type} takes ${allowed.join(', ')} as {key, value} strings.`;
      clean.push({ key, value });
    }
    if (!clean.some((p) => p.key === allowed[0] && p.value.trim())) return `Invalid input Commands[${index}]: ${type} needs the ${allowed[0]} parameter.`;
    out.push({ index, startTime: null, endTime: null, commandStatus: 'Created', errors: [], command: { type: type as string, params: clean } });
  }
  return out;
}

function createAction(rc: RouteCtx, spec: ActionSpec, machineId: string) {
  const sim = rc.sim;
  const b = readBody(rc.req, ['Comment', 'ExternalId', 'RequestSource', 'Title', ...spec.extra]);
  if (!b.ok) return b.response;
  const machine = findMachine(sim, machineId);
  if (!machine) return notFound(`Machine ${machineId} was not found`);
  const comment = b.body.Comment;
  if (typeof comment !== 'string' || comment.trim() === '') return missing('Comment');
  const v = spec.validate?.(b.body, machine) ?? {};
  if (v.error) return v.error;
  const existing = sim.state.actions.find((a) => a.machineId === machine.id && a.type === spec.type && ACTIVE.has(a.status));
  if (existing) {
    if (sim.options.duplicateActionMode === 'return-existing') return odata(201, { '@odata.context': `${rc.base}/$metadata#MachineActions/$entity`, ...existing });
    return mdeError(400, 'ActiveRequestAlreadyExists', 'Action is already in progress');
  }
  const now = stamp(sim);
  const action: SimAction = {
    id: crypto.randomUUID(),
    type: spec.type,
    title: null,
    requestor: rc.principal.displayName,
    requestorComment: comment,
    status: 'Pending',
    machineId: machine.id,
    computerDnsName: machine.computerDnsName,
    creationDateTimeUtc: now,
    lastUpdateDateTimeUtc: now,
    cancellationRequestor: null,
    cancellationComment: null,
    cancellationDateTimeUtc: null,
    errorHResult: 0,
    scope: v.scope ?? null,
    externalId: typeof b.body.ExternalId === 'string' ? b.body.ExternalId : null,
    requestSource: 'PublicApi',
    relatedFileInfo: v.relatedFileInfo ?? null,
    commands: v.commands ?? [],
    troubleshootInfo: null,
  };
  sim.state.actions.push(action);
  advance(sim, action, machine);
  return odata(spec.status ?? 201, { '@odata.context': `${rc.base}/$metadata#MachineActions/$entity`, ...action });
}

function cancel(rc: RouteCtx, id: string) {
  const sim = rc.sim;
  const a = sim.state.actions.find((x) => x.id.toLowerCase() === id.toLowerCase());
  if (!a) return notFound(`Machine action ${id} was not found`);
  const b = readBody(rc.req, ['Comment']);
  if (!b.ok) return b.response;
  if (typeof b.body.Comment !== 'string' || b.body.Comment.trim() === '') return missing('Comment');
  if (!ACTIVE.has(a.status)) return mdeError(400, 'BadRequest', `Machine action ${a.id} can't be cancelled because its status is ${a.status}.`);
  for (const t of sim.actionTimers.get(a.id) ?? []) {
    clearTimeout(t);
    sim.timers.delete(t);
  }
  sim.actionTimers.delete(a.id);
  const now = stamp(sim);
  a.status = 'Cancelled';
  a.cancellationRequestor = rc.principal.displayName;
  a.cancellationComment = b.body.Comment;
  a.cancellationDateTimeUtc = now;
  a.lastUpdateDateTimeUtc = now;
  return odata(200, { '@odata.context': `${rc.base}/$metadata#MachineActions/$entity`, ...a });
}

const DEFAULT_PACKAGE_LINK_TTL_MS = 10 * 60_000;
/** get-live-response-result.md: "The link is valid for 30 minutes". */
const LIVE_RESPONSE_LINK_TTL_MS = 30 * 60_000;

function findAction(sim: SimContext, id: string): SimAction | undefined {
  return sim.state.actions.find((x) => x.id.toLowerCase() === id.toLowerCase());
}

/** A SAS-style link: `se` is its expiry (as Azure Storage SAS links carry it), `sig` a random signature. */
function sasLink(rc: RouteCtx, path: string, ttlMs: number): string {
  const expiry = new Date(Date.now() + ttlMs).toISOString().replace(/\.\d+Z$/, 'Z');
  const sig = crypto.randomBytes(24).toString('base64url');
  return `${rc.req.origin}${path}?se=${encodeURIComponent(expiry)}&sp=r&sig=${sig}`;
}

function edmString(rc: RouteCtx, value: string) {
  return odata(200, { '@odata.context': `${rc.base}/$metadata#Edm.String`, value });
}

/** get-package-sas-uri.md: 404 while the collection exists but has not finished. */
function packageUri(rc: RouteCtx, id: string) {
  const a = findAction(rc.sim, id);
  if (!a) return notFound(`Machine action ${id} was not found`);
  if (a.type !== 'CollectInvestigationPackage') return mdeError(400, 'InvalidInput', `Machine action ${a.id} is a ${a.type} action, not an investigation package collection.`);
  if (a.status !== 'Succeeded') return notFound(`The investigation package of machine action ${a.id} is not available (status ${a.status}).`);
  return edmString(rc, sasLink(rc, `/safedownload/${a.id}/WDATP_Investigation_Package.zip`, rc.sim.options.packageLinkTtlMs ?? DEFAULT_PACKAGE_LINK_TTL_MS));
}

/** get-live-response-result.md: a link per command index; PutFile has no result. */
function liveResponseResultLink(rc: RouteCtx, id: string, rawIndex: string) {
  const a = findAction(rc.sim, id);
  if (!a) return notFound(`Machine action ${id} was not found`);
  if (a.type !== 'LiveResponse') return mdeError(400, 'InvalidInput', `Machine action ${a.id} is a ${a.type} action, not a live response.`);
  const index = /^\d+$/.test(rawIndex) ? Number(rawIndex) : NaN;
  const command = liveCommands(a).find((c) => c.index === index);
  if (!command) return mdeError(400, 'InvalidInput', `Invalid input index: ${rawIndex}. The action has commands 0 to ${liveCommands(a).length - 1}.`);
  if (command.command.type === 'PutFile') return mdeError(400, 'InvalidInput', `Command ${index} is PutFile, which has no result.`);
  if (command.commandStatus !== 'Completed') return notFound(`The result of command ${index} of machine action ${a.id} is not available (command status ${command.commandStatus}).`);
  return edmString(rc, sasLink(rc, `/liveresponse/results/${a.id}/${index}`, LIVE_RESPONSE_LINK_TTL_MS));
}

function listActions(rc: RouteCtx) {
  try {
    const r = applyOData(rc.sim.state.actions, rc.req.query, ACTION_SPEC, rc.sim.options.pageSize);
    const body: Record<string, unknown> = { '@odata.context': `${rc.base}/$metadata#MachineActions`, value: r.items };
    if (r.nextSkip !== undefined) body['@odata.nextLink'] = nextLink(rc.req.origin, rc.req.path, rc.req.query, r.nextSkip);
    return odata(200, body);
  } catch (e) {
    return odataError(e);
  }
}

export const machineActionRoutes: Route[] = [
  ...ACTIONS.map((spec): Route => ({
    method: 'POST',
    pattern: new RegExp(`^/machines/([^/]+)/${spec.path}$`, 'i'),
    family: 'machineactions',
    roles: spec.roles,
    handler: (rc, [id]) => createAction(rc, spec, id),
  })),
  { method: 'GET', pattern: /^\/machineactions$/i, family: 'machineactions', roles: MACHINE_READ, handler: listActions },
  {
    method: 'GET', pattern: /^\/machineactions\/([^/]+)$/i, family: 'machineactions', roles: MACHINE_READ,
    handler: (rc, [id]) => {
      const a = rc.sim.state.actions.find((x) => x.id.toLowerCase() === id.toLowerCase());
      return a ? odata(200, { '@odata.context': `${rc.base}/$metadata#MachineActions/$entity`, ...a }) : notFound(`Machine action ${id} was not found`);
    },
  },
  { method: 'GET', pattern: /^\/machineactions\/([^/]+)\/getPackageUri$/i, family: 'machineactions', roles: MACHINE_READ, handler: (rc, [id]) => packageUri(rc, id) },
  {
    method: 'GET', pattern: /^\/machineactions\/([^/]+)\/GetLiveResponseResultDownloadLink\(index=([^)]*)\)$/i, family: 'machineactions', roles: MACHINE_READ,
    handler: (rc, [id, index]) => liveResponseResultLink(rc, id, index),
  },
  { method: 'POST', pattern: /^\/machineactions\/([^/]+)\/cancel$/i, family: 'machineactions', roles: CANCEL_ROLES, handler: (rc, [id]) => cancel(rc, id) },
];
