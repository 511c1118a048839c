// The path a destructive machine action takes (isolate and release, and every other response
// action of mde-machine-action):
//   1. the intent is written to the journal before the request leaves;
//   2. the request is sent once, never again automatically;
//   3. if MDE answers that an action of the kind is already pending, that one is followed;
//   4. if the answer is lost (connection reset, cut or unreadable body, 5xx, timeout) or the
//      process went away while the request was on the wire, the action is looked up in MDE and
//      followed, or the caller is told plainly that it may have been carried out.
import { createHash, randomUUID } from 'node:crypto';
import { MdeApiError, MdeConflictError, MdeError, MdeNetworkError } from '../errors';
import { sleep, type MdeHttp } from '../transport/http';
import { findActionsCreatedSince, findPendingAction } from '../mde/machine-actions';
import type { MachineAction } from '../types';
import type { ActionJournal, ActionRecord, RoutingFields } from './action-journal';

/** Our clock and MDE's may disagree: the lookup starts this long before the intent was written. */
export const LOOKUP_CLOCK_SKEW_MS = 60_000;

export interface ActionIntent {
  actionType: string;
  verb: string;
  scope?: string | null;
  machineId: string;
  computerDnsName?: string | null;
  comment: string;
  /** Stop waiting for completion at (ms since epoch). */
  deadline: number;
  msg: RoutingFields;
}

export function commentSha256(comment: string): string {
  return createHash('sha256').update(comment, 'utf8').digest('hex');
}

/** A journal record for a request about to be sent (no action id yet). */
export function intentRecord(intent: ActionIntent, now = Date.now()): ActionRecord {
  return {
    requestId: randomUUID(),
    actionType: intent.actionType,
    verb: intent.verb,
    scope: intent.scope ?? null,
    machineId: intent.machineId,
    computerDnsName: intent.computerDnsName ?? null,
    intentAt: now,
    commentSha256: commentSha256(intent.comment),
    deadline: intent.deadline,
    msg: intent.msg,
  };
}

/**
 * True when a failed request may nevertheless have been carried out: the answer never arrived
 * (reset, cut body, timeout), could not be read (not JSON), or was a server error. False when MDE
 * clearly refused it (4xx) or it never left (bad input, no token).
 */
export function answerMayBeLost(err: unknown): boolean {
  if (!(err instanceof MdeError)) return true;
  if (err instanceof MdeNetworkError) return true;
  if (err instanceof MdeApiError) return err.code === 'InvalidResponse' || (typeof err.status === 'number' && err.status >= 500);
  return false;
}

export interface LookupOptions {
  signal?: AbortSignal;
  /** How many times to ask MDE (its list can lag behind a just-created action). */
  attempts: number;
  /** Pause between attempts. */
  intervalMs: number;
  /**
   * Whether an action found in MDE is the one asked for (same scan type, same file, same live
   * response commands ...). Without it any action of the type matches, as for isolation.
   */
  matches?: (action: MachineAction) => boolean;
}

/** Among actions found after an intent, ours: same comment first, then the newest. */
function pickOurs(found: MachineAction[], record: ActionRecord, matches?: (a: MachineAction) => boolean): MachineAction | undefined {
  const since = record.intentAt - LOOKUP_CLOCK_SKEW_MS;
  const candidates = found.filter((a) => {
    const created = Date.parse(String(a.creationDateTimeUtc ?? ''));
    return (!Number.isFinite(created) || created >= since) && (!matches || matches(a));
  });
  const sameComment = candidates.filter((a) => typeof a.requestorComment === 'string' && commentSha256(a.requestorComment) === record.commentSha256);
  return (sameComment.length ? sameComment : candidates)[0];
}

/**
 * Looks up the action an intent led to: GET /api/machineactions filtered on the machine, the
 * action type and `creationDateTimeUtc ge` the intent time (less the clock-skew margin).
 */
export async function lookUpIntent(http: MdeHttp, record: ActionRecord, o: LookupOptions): Promise<MachineAction | undefined> {
  const since = new Date(record.intentAt - LOOKUP_CLOCK_SKEW_MS);
  for (let attempt = 0; attempt < Math.max(1, o.attempts); attempt++) {
    if (attempt > 0) await sleep(o.intervalMs, o.signal);
    const found = pickOurs(await findActionsCreatedSince(http, record.machineId, record.actionType, since, { signal: o.signal }), record, o.matches);
    if (found) return found;
  }
  return undefined;
}

function summaryOf(err: unknown): string {
  if (err instanceof MdeError) return err.summary;
  return err instanceof Error ? err.message : String(err);
}

/** The error for a request whose outcome nobody can tell: it says so, and what to check. */
export function outcomeUnknownError(record: ActionRecord, why: string): MdeError {
  const device = record.computerDnsName ? `${record.computerDnsName} (machine ${record.machineId})` : `machine ${record.machineId}`;
  const kind = record.scope ? `${record.actionType}, ${record.scope}` : record.actionType;
  const sentence =
    `The ${record.verb} request for ${device} (${kind}, sent at ${new Date(record.intentAt).toISOString()}, request ${record.requestId}) got no usable answer: ${why.replace(/\s+$/, '')}` +
    `${/[.!?]$/.test(why.trim()) ? '' : '.'} No matching ${record.actionType} action was found in Defender for Endpoint afterwards, so it may have been carried out anyway. It was not sent again.`;
  return new MdeError(sentence, {
    code: 'OutcomeUnknown',
    hint: `check the device's action history (Action center, or GET /api/machineactions for machine ${record.machineId}) before sending it again.`,
  });
}

/**
 * A pending action of the same type that is not the one asked for (another file, other live
 * response commands): MDE runs one at a time per device, and following it would report its result
 * as ours.
 */
export function pendingOtherError(record: Pick<ActionRecord, 'actionType' | 'machineId' | 'computerDnsName'>, pending: MachineAction): MdeError {
  const device = record.computerDnsName || record.machineId;
  return new MdeError(
    `Another ${record.actionType} action (${pending.id}, ${pending.status}, requested by ${pending.requestor ?? 'someone'}) is already running on ${device} and is not the one asked for; Defender for Endpoint runs one at a time per device. Nothing was sent.`,
    { code: 'ActiveRequestAlreadyExists', hint: `wait for machine action ${pending.id} to finish, or cancel it, then send this one again.` },
  );
}

export interface SendOnceOptions extends LookupOptions {
  http: MdeHttp;
  journal: ActionJournal;
  ownerId: string;
  /** From intentRecord(): written to the journal before `send` runs. */
  record: ActionRecord;
  /** Sends the request, once. */
  send(): Promise<MachineAction>;
}

export interface SendOutcome {
  action: MachineAction;
  /** Another action of this kind was already pending in MDE; it is followed instead. */
  joined: boolean;
  /** The answer was lost; the action was found by looking it up. */
  recovered: boolean;
  /** Why the answer was lost (when recovered). */
  lostBecause?: string;
}

/**
 * Writes the intent, sends once, and settles the journal record: it gets the action id when one
 * is known, and is removed when MDE refused or nobody can tell. When `signal` aborts (the node is
 * closing), the record stays: the next start looks the action up.
 */
export async function sendOnce(o: SendOnceOptions): Promise<SendOutcome> {
  const { http, journal, ownerId, record, signal } = o;
  await journal.add(ownerId, record);
  const settle = async (outcome: SendOutcome): Promise<SendOutcome> => {
    await journal.update(ownerId, record.requestId, { actionId: outcome.action.id, joined: outcome.joined || undefined, recovered: outcome.recovered || undefined });
    return outcome;
  };
  let failure: unknown;
  try {
    return await settle({ action: await o.send(), joined: false, recovered: false });
  } catch (err) {
    failure = err;
  }
  if (signal?.aborted) throw failure;
  try {
    if (failure instanceof MdeConflictError) {
      // ActiveRequestAlreadyExists: someone else's request is in flight; follow it.
      const existing = await findPendingAction(http, record.machineId, record.actionType, { signal });
      if (existing && o.matches && !o.matches(existing)) throw pendingOtherError(record, existing);
      if (existing) return await settle({ action: existing, joined: true, recovered: false });
    } else if (answerMayBeLost(failure)) {
      let found: MachineAction | undefined;
      try {
        found = await lookUpIntent(http, record, o);
      } catch (lookupErr) {
        if (signal?.aborted) throw lookupErr;
        throw outcomeUnknownError(record, `${summaryOf(failure)} Looking the action up failed too: ${summaryOf(lookupErr)}`);
      }
      if (found) return await settle({ action: found, joined: false, recovered: true, lostBecause: summaryOf(failure) });
      throw outcomeUnknownError(record, summaryOf(failure));
    }
    throw failure;
  } catch (err) {
    if (!signal?.aborted) await journal.remove(ownerId, record.requestId);
    throw err;
  }
}

/**
 * Picks up a record left by an earlier deploy or process. With an action id it is simply that
 * action; without one the request was on the wire when the process went away: look it up, or
 * throw OutcomeUnknown. The record is left for the caller to remove (or keep, when aborted).
 */
export async function resumeRecord(http: MdeHttp, journal: ActionJournal, ownerId: string, record: ActionRecord, o: LookupOptions): Promise<{ record: ActionRecord; recovered: boolean }> {
  if (record.actionId) return { record, recovered: Boolean(record.recovered) };
  const why = 'the flow was redeployed or Node-RED stopped while the request was being sent.';
  let found: MachineAction | undefined;
  try {
    found = await lookUpIntent(http, record, o);
  } catch (lookupErr) {
    if (o.signal?.aborted) throw lookupErr;
    throw outcomeUnknownError(record, `${why} Looking the action up failed: ${summaryOf(lookupErr)}`);
  }
  if (!found) throw outcomeUnknownError(record, why);
  await journal.update(ownerId, record.requestId, { actionId: found.id, recovered: true });
  return { record: { ...record, actionId: found.id, recovered: true }, recovered: true };
}
