// The response actions mde-machine-action offers, what each sends (Microsoft's reference pages,
// mde-api.md §4.3) and how to recognise "the same action" among those MDE already has: the same
// scan type, the same file, the same live response commands.
import { createHash } from 'node:crypto';
import { liveResponseBody, type LiveResponseCommand, type ScanType } from '../../client/mde/machine-actions';
import type { MachineAction } from '../../client/types';

export const ACTION_KINDS = ['scan', 'restrict', 'unrestrict', 'collect', 'quarantine', 'offboard', 'liveresponse', 'cancel'] as const;
export type ActionKind = (typeof ACTION_KINDS)[number];

/** Families off unless the node enables them (the checkbox of the same name). */
export type GuardedFamily = 'allowOffboard' | 'allowLiveResponse';

export interface KindSpec {
  /** MDE machine action type this kind creates (cancel creates none). */
  actionType: string | null;
  /** The status word: "scan", "restrict" ... */
  verb: string;
  /** POST /api/machines/{id}/{segment}. */
  segment: string;
  /** Node setting holding its cap, and the documented default; none for the actions that undo. */
  cap?: { setting: string; defaultLimit: number };
  /** Refused on protected machines (every action on the device but the two that undo). */
  protectedApplies: boolean;
  guardedBy?: GuardedFamily;
}

export const KINDS: Record<ActionKind, KindSpec> = {
  scan: { actionType: 'RunAntiVirusScan', verb: 'scan', segment: 'runAntiVirusScan', cap: { setting: 'capScan', defaultLimit: 20 }, protectedApplies: true },
  restrict: { actionType: 'RestrictCodeExecution', verb: 'restrict', segment: 'restrictCodeExecution', cap: { setting: 'capRestrict', defaultLimit: 5 }, protectedApplies: true },
  unrestrict: { actionType: 'UnrestrictCodeExecution', verb: 'unrestrict', segment: 'unrestrictCodeExecution', protectedApplies: false },
  collect: { actionType: 'CollectInvestigationPackage', verb: 'collect', segment: 'collectInvestigationPackage', cap: { setting: 'capCollect', defaultLimit: 10 }, protectedApplies: true },
  quarantine: { actionType: 'StopAndQuarantineFile', verb: 'quarantine', segment: 'StopAndQuarantineFile', cap: { setting: 'capQuarantine', defaultLimit: 10 }, protectedApplies: true },
  offboard: { actionType: 'Offboard', verb: 'offboard', segment: 'offboard', cap: { setting: 'capOffboard', defaultLimit: 1 }, protectedApplies: true, guardedBy: 'allowOffboard' },
  liveresponse: { actionType: 'LiveResponse', verb: 'live response', segment: 'runliveresponse', cap: { setting: 'capLiveResponse', defaultLimit: 5 }, protectedApplies: true, guardedBy: 'allowLiveResponse' },
  cancel: { actionType: null, verb: 'cancel', segment: 'cancel', protectedApplies: false },
};

export function kindOfActionType(actionType: string): ActionKind | undefined {
  return ACTION_KINDS.find((k) => KINDS[k].actionType === actionType);
}

/** What one message asks for beyond the machine and the comment. */
export interface ActionParams {
  scanType?: ScanType;
  sha1?: string;
  commands?: LiveResponseCommand[];
}

/** The documented request body (without the comment). */
export function requestBody(kind: ActionKind, p: ActionParams, comment: string): Record<string, unknown> {
  if (kind === 'scan') return { Comment: comment, ScanType: p.scanType };
  if (kind === 'quarantine') return { Comment: comment, Sha1: p.sha1 };
  if (kind === 'liveresponse') return { Commands: liveResponseBody(p.commands ?? []), Comment: comment };
  return { Comment: comment };
}

function commandsDigest(commands: unknown): string {
  const list = (Array.isArray(commands) ? commands : []).map((c) => {
    const cmd = (c as { command?: unknown; type?: unknown; params?: unknown }).command ?? c;
    const { type, params } = cmd as { type?: unknown; params?: unknown };
    return { type, params: (Array.isArray(params) ? params : []).map((x) => ({ key: (x as { key?: unknown }).key, value: (x as { value?: unknown }).value })) };
  });
  return `commands-sha256:${createHash('sha256').update(JSON.stringify(list), 'utf8').digest('hex')}`;
}

/** The journal's `scope` for a request: what tells this action apart from another of its type. */
export function scopeOf(kind: ActionKind, p: ActionParams): string | null {
  if (kind === 'scan') return p.scanType ?? null;
  if (kind === 'quarantine') return p.sha1 ?? null;
  if (kind === 'liveresponse') return commandsDigest(liveResponseBody(p.commands ?? []));
  return null;
}

/** Whether an action MDE has is the one a request with this scope asked for (undefined: any of the type). */
export function matcherFor(actionType: string, scope: string | null | undefined): ((a: MachineAction) => boolean) | undefined {
  if (!scope) return undefined;
  if (actionType === 'RunAntiVirusScan') return (a) => a.scope === scope;
  if (actionType === 'StopAndQuarantineFile') {
    return (a) => {
      const info = (a as Record<string, unknown>).relatedFileInfo as { fileIdentifier?: unknown } | null | undefined;
      return typeof info?.fileIdentifier === 'string' && info.fileIdentifier.toLowerCase() === scope.toLowerCase();
    };
  }
  if (actionType === 'LiveResponse') return (a) => commandsDigest((a as Record<string, unknown>).commands) === scope;
  return undefined;
}
