// Isolate or release a machine, with the rails a destructive action needs: strict settings,
// exact name resolution, a required templated comment, protected machines, isolation types the
// device supports, a blast-radius cap, refusal of contradictory requests, joining (never
// duplicating) an in-flight action, dry run, a write-ahead journal so a request whose answer is
// lost is found again rather than resent, and a wait-for-completion that survives redeploys.
import { translate } from './shared/i18n';
import { MdeError, MdeInputError, MdeWaitTimeoutError } from '../client/errors';
import { getMachine, resolveMachineByName } from '../client/mde/machines';
import { findPendingAction, getMachineAction, isolateMachine, isolationTypeRefusal, releaseMachine, waitForMachineAction } from '../client/mde/machine-actions';
import { machineId as validMachineId } from '../client/mde/odata';
import { routingFields, type ActionRecord } from '../client/safety/action-journal';
import { intentRecord, resumeRecord, sendOnce, type LookupOptions } from '../client/safety/action-engine';
import { protectionReason, type IsolationVerb, type ProtectionRules } from '../client/safety/isolation-guard';
import { renderTextTemplate } from '../client/templates';
import type { Machine, MachineAction } from '../client/types';
import { booleanSetting, choiceSetting, listSetting, secondsSetting, textSetting, type Settings } from './shared/action-settings';
import { resumePendingActions } from './shared/resume-actions';
import { wireActionNode } from './shared/base';
import type { StatusReporter } from './shared/status';
import type { MdeConfigNode } from './shared/config-handle';
import type { Node, NodeAPI, NodeDef, NodeMessage, TypedValue } from './shared/node-types';
import { describeTyped, evaluateTyped } from './shared/typed-input';

const FINAL_OK = new Set(['Succeeded']);
const FINAL = new Set(['Succeeded', 'Failed', 'Cancelled', 'TimeOut']);
/** Lookups after a lost answer: MDE's list can lag a moment behind a just-created action. */
const LOOKUP_ATTEMPTS = 3;
/** Their spacing when the node does not wait (and so has no poll interval of its own). */
const LOOKUP_INTERVAL_WITHOUT_WAIT_MS = 5_000;

interface IsolateSettings {
  verb: IsolationVerb;
  actionType: 'Isolate' | 'Unisolate';
  isolationType: 'Selective' | 'Full';
  machine: TypedValue;
  machineBy: 'id' | 'name';
  comment: string;
  wait: boolean;
  timeoutMs: number;
  intervalMs: number;
  dryRun: boolean;
  rules: ProtectionRules;
  conflictWindowMs: number;
}

/** Every setting checked at deploy; an unknown value is refused, never read as a default. */
function readSettings(def: Settings): IsolateSettings {
  const verb = choiceSetting(def, 'action', ['isolate', 'release'] as const);
  // Required for isolation; for a release it is unused, but an unknown value is still refused.
  const isolationType = choiceSetting(def, 'isolationType', ['Selective', 'Full'] as const, verb === 'release' ? 'Full' : undefined);
  const wait = booleanSetting(def, 'wait', true);
  return {
    verb,
    actionType: verb === 'isolate' ? 'Isolate' : 'Unisolate',
    isolationType,
    machine: {
      value: textSetting(def, 'machine', 'machineId'),
      type: choiceSetting(def, 'machineType', ['msg', 'flow', 'global', 'str', 'env', 'jsonata'] as const, 'msg'),
    },
    machineBy: choiceSetting(def, 'machineBy', ['id', 'name'] as const, 'id'),
    comment: textSetting(def, 'comment', ''),
    wait,
    // Like the dialog, the timings are only checked (and used) when the node waits.
    timeoutMs: (wait ? secondsSetting(def, 'timeoutSeconds', 1, 600) : 600) * 1000,
    intervalMs: (wait ? secondsSetting(def, 'pollSeconds', 0.05, 10) : 10) * 1000,
    dryRun: booleanSetting(def, 'dryRun', false),
    rules: {
      ids: listSetting(def, 'protectedIds', []),
      namePatterns: listSetting(def, 'protectedNames', []),
      tags: listSetting(def, 'protectedTags', ['DoNotIsolate']),
    },
    conflictWindowMs: secondsSetting(def, 'conflictWindowSeconds', 0, 300) * 1000,
  };
}

interface Submission {
  action: MachineAction;
  joined: boolean;
  recovered: boolean;
  /** The journal record of the message that sent the request (none when an MDE action was joined). */
  record?: ActionRecord;
}

/** In-flight submissions per connection + machine + action type, so concurrent messages join one request. */
const submitting = new Map<string, Promise<Submission>>();

export = function register(RED: NodeAPI): void {
  function MdeIsolate(this: Node, def: NodeDef & Settings): void {
    RED.nodes.createNode(this, def);
    const node = this;
    let settings: IsolateSettings | undefined;
    let settingsError: MdeError | undefined;
    try {
      settings = readSettings(def);
    } catch (err) {
      settingsError = err instanceof MdeError ? err : new MdeInputError(String(err), 'InvalidSetting');
    }
    // NR_FLOW_NAME is the tab's label (Node-RED >= 2.2), for comments like "flow {{flowName}}".
    const configId = typeof def.config === 'string' ? def.config : undefined;
    const flowName = String(RED.util.evaluateNodeProperty('NR_FLOW_NAME', 'env', node, {}) ?? '');
    // Assigned once wireActionNode has run; every use happens later, on messages or resume.
    let status!: StatusReporter;

    function lookupOptions(s: IsolateSettings, signal: AbortSignal): LookupOptions {
      return { signal, attempts: LOOKUP_ATTEMPTS, intervalMs: s.wait ? s.intervalMs : LOOKUP_INTERVAL_WITHOUT_WAIT_MS };
    }

    function renderComment(s: IsolateSettings, msg: Record<string, unknown>, machine: Machine): string {
      const view = { ...msg, flowName, nodeName: def.name || 'mde-isolate', machineId: machine.id, computerDnsName: machine.computerDnsName };
      return renderTextTemplate(s.comment, view).trim();
    }

    /** Final routing: output 1 for Succeeded (or accepted when not waiting), output 2 otherwise. */
    function outputsFor(msg: NodeMessage, ok: boolean): [NodeMessage | null, NodeMessage | null] {
      return ok ? [msg, null] : [null, msg];
    }

    /** Sends the action on without waiting (or when it is already final), and forgets its record. */
    async function routeNow(config: MdeConfigNode, s: IsolateSettings, action: MachineAction, record: ActionRecord | undefined, msg: NodeMessage): Promise<[NodeMessage | null, NodeMessage | null]> {
      if (record) await config.journal.remove(node.id, record.requestId);
      const ok = !s.wait ? true : FINAL_OK.has(action.status);
      msg.payload = action;
      Object.assign(msg.mde as Record<string, unknown>, { status: action.status });
      if (ok) status.ok(translate(RED, 'mde-isolate.status.done', { status: action.status }));
      else status.error(action.status);
      return outputsFor(msg, ok);
    }

    async function waitAndRoute(config: MdeConfigNode, s: IsolateSettings, record: ActionRecord & { actionId: string }, msg: NodeMessage, signal: AbortSignal): Promise<[NodeMessage | null, NodeMessage | null]> {
      const http = config.connection().http;
      let final: MachineAction;
      let timedOut = false;
      try {
        final = await waitForMachineAction(http, record.actionId, {
          timeoutMs: Math.max(0, record.deadline - Date.now()),
          intervalMs: s.intervalMs,
          signal,
          onStatus: (a: MachineAction) => status.requesting(translate(RED, 'mde-isolate.status.pending', { action: record.verb, status: a.status })),
        });
      } catch (err) {
        if (!(err instanceof MdeWaitTimeoutError)) throw err;
        timedOut = true;
        // The last poll's answer; ask again only if the wait never got one.
        final = (err.lastAction as MachineAction | undefined) ?? (await getMachineAction(http, record.actionId, { signal }));
      }
      await config.journal.remove(node.id, record.requestId);
      const ok = FINAL_OK.has(final.status) && !timedOut;
      msg.payload = final;
      msg.mde = { ...(msg.mde as Record<string, unknown>), status: final.status, timedOut };
      if (ok) status.ok(translate(RED, 'mde-isolate.status.done', { status: final.status }));
      else status.error(timedOut ? 'WaitTimeout' : final.status);
      return outputsFor(msg, ok);
    }

    async function submit(config: MdeConfigNode, s: IsolateSettings, machine: Machine, comment: string, msg: NodeMessage, signal: AbortSignal): Promise<Submission> {
      const http = config.connection().http;
      const ledger = await config.actionLedger();
      const record = intentRecord({
        actionType: s.actionType,
        verb: s.verb,
        scope: s.verb === 'isolate' ? s.isolationType : null,
        machineId: machine.id,
        computerDnsName: machine.computerDnsName,
        comment,
        deadline: Date.now() + s.timeoutMs,
        msg: routingFields(msg as Record<string, unknown>),
      });
      // Another Node-RED instance on this tenant + app (shared state) may be sending it right now: follow its action.
      const claim = await ledger.claimIntent(machine.id, s.actionType, record.requestId, signal);
      if (!claim.mine) {
        await ledger.recordJoin(machine.id, s.verb);
        return { action: await getMachineAction(http, claim.actionId, { signal }), joined: true, recovered: false };
      }
      let sentActionId: string | undefined;
      try {
        // Join what MDE already has in flight for this machine instead of sending a duplicate.
        const pending = await findPendingAction(http, machine.id, s.actionType, { signal });
        if (pending) {
          await ledger.recordJoin(machine.id, s.verb);
          sentActionId = pending.id;
          return { action: pending, joined: true, recovered: false };
        }
        // Counted before the request leaves: a request whose answer is lost still counts.
        const cap = await ledger.reserve(machine.id, s.verb, record.requestId);
        if (!cap.allowed) {
          throw new MdeInputError(
            translate(RED, 'mde-isolate.errors.cap', { count: cap.count, minutes: Math.round(cap.windowMs / 60_000), limit: cap.limit, machine: machine.computerDnsName || machine.id }),
            'BlastRadiusCap',
          );
        }
        const outcome = await sendOnce({
          http,
          journal: config.journal,
          ownerId: node.id,
          record,
          ...lookupOptions(s, signal),
          send: () =>
            s.verb === 'isolate'
              ? isolateMachine(http, machine.id, { isolationType: s.isolationType, comment, machine, signal })
              : releaseMachine(http, machine.id, { comment, signal }),
        });
        sentActionId = outcome.action.id;
        if (outcome.recovered) {
          node.warn(`The answer to the ${s.verb} request for ${machine.computerDnsName || machine.id} was lost (${outcome.lostBecause}); found machine action ${outcome.action.id} in Defender for Endpoint and followed it. Nothing was sent again.`);
        }
        return { action: outcome.action, joined: outcome.joined, recovered: outcome.recovered, record: { ...record, actionId: outcome.action.id } };
      } finally {
        await ledger.settleIntent(machine.id, s.actionType, record.requestId, sentActionId);
      }
    }

    async function onMessage(s: IsolateSettings, config: MdeConfigNode, msg: NodeMessage, signal: AbortSignal): Promise<[NodeMessage | null, NodeMessage | null]> {
      const raw = await evaluateTyped(RED, node, s.machine, msg);
      if (raw === undefined || raw === null || (typeof raw === 'string' && !raw.trim())) {
        throw new MdeInputError(translate(RED, 'mde-isolate.errors.no-machine', { property: describeTyped(s.machine) }));
      }
      if (typeof raw !== 'string') throw new MdeInputError(`The machine must be given as a string, got ${Array.isArray(raw) ? 'an array' : typeof raw}.`);
      const given = raw.trim();
      if (s.machineBy === 'id') {
        try {
          validMachineId(given);
        } catch {
          throw new MdeInputError(`"${given.slice(0, 80)}" is not an MDE machine ID (40 hexadecimal characters). To use a computer name, set "Identify by" to name.`);
        }
      }
      if (!s.comment.trim()) throw new MdeInputError(translate(RED, 'mde-isolate.errors.no-comment'));

      status.requesting(translate(RED, 'mde-isolate.status.requesting'));
      const http = config.connection().http;
      const machine = s.machineBy === 'name' ? await resolveMachineByName(http, given, { signal }) : await getMachine(http, given, { signal });
      const comment = renderComment(s, msg, machine);
      if (!comment) throw new MdeInputError(translate(RED, 'mde-isolate.errors.no-comment'));

      if (s.verb === 'isolate') {
        const reason = protectionReason(machine, s.rules);
        if (reason) throw new MdeInputError(translate(RED, 'mde-isolate.errors.protected', { machine: machine.computerDnsName || machine.id, reason }), 'ProtectedMachine');
        const unsupported = isolationTypeRefusal(machine, s.isolationType);
        if (unsupported) throw new MdeInputError(unsupported, 'IsolationTypeNotSupported');
      }
      const ledger = await config.actionLedger();
      const conflict = await ledger.checkConflict(machine.id, s.verb, s.conflictWindowMs);
      if (!conflict.allowed) {
        throw new MdeInputError(
          translate(RED, 'mde-isolate.errors.conflict', { other: conflict.other, machine: machine.computerDnsName || machine.id, seconds: Math.round(conflict.agoMs / 1000), action: s.verb, window: Math.round(s.conflictWindowMs / 1000) }),
          'ContradictoryAction',
        );
      }

      const base = config.connection().cloud.apiBaseUrl;
      const request = {
        method: 'POST',
        url: `${base}/api/machines/${machine.id}/${s.verb === 'isolate' ? 'isolate' : 'unisolate'}`,
        body: s.verb === 'isolate' ? { Comment: comment, IsolationType: s.isolationType } : { Comment: comment },
      };
      const mde: Record<string, unknown> = { action: s.verb, machineId: machine.id, computerDnsName: machine.computerDnsName, dryRun: s.dryRun };
      msg.mde = mde;

      if (s.dryRun) {
        node.log(`dry run: would send ${request.method} ${request.url} ${JSON.stringify(request.body)}`);
        mde.request = request;
        msg.payload = null;
        status.info(translate(RED, 'mde-isolate.status.dry-run'));
        return outputsFor(msg, true);
      }

      const key = `${config.id}|${machine.id.toLowerCase()}|${s.actionType}`;
      let submission = submitting.get(key);
      const joinedLocally = submission !== undefined;
      if (!submission) {
        submission = submit(config, s, machine, comment, msg, signal);
        submitting.set(key, submission);
        // Keep the entry only while the request is being submitted; later messages join via MDE's pending list.
        const forget = (): void => {
          if (submitting.get(key) === submission) submitting.delete(key);
        };
        void submission.then(forget, forget);
      }
      const outcome = await submission;
      const { action } = outcome;
      Object.assign(mde, { actionId: action.id, status: action.status, joined: outcome.joined || joinedLocally });
      if (outcome.recovered) mde.recovered = true;
      msg.payload = action;
      status.requesting(translate(RED, 'mde-isolate.status.pending', { action: s.verb, status: action.status }));

      // The sender's record is in the journal already; a message that joined gets its own, so a
      // restart resumes every waiting message.
      const own = joinedLocally ? undefined : outcome.record;
      if (!s.wait || FINAL.has(action.status)) return routeNow(config, s, action, own, msg);
      let record = own;
      if (!record) {
        record = {
          ...intentRecord({ actionType: s.actionType, verb: s.verb, scope: action.scope ?? null, machineId: machine.id, computerDnsName: machine.computerDnsName, comment, deadline: Date.now() + s.timeoutMs, msg: routingFields(msg as Record<string, unknown>) }),
          actionId: action.id,
          joined: true,
        };
        await config.journal.add(node.id, record);
      }
      return waitAndRoute(config, s, { ...record, actionId: action.id }, msg, signal);
    }

    status = wireActionNode(RED, node, {
      type: 'mde-isolate',
      configId,
      async onInput({ msg, send, config, signal }) {
        if (settingsError || !settings) throw settingsError;
        send(await onMessage(settings, config, msg, signal));
      },
    });

    if (settingsError || !settings) {
      // Refused at deploy (and for every message): the flow carries a value this node does not know.
      status.error(settingsError?.code ?? 'InvalidSetting');
      node.warn(settingsError?.message ?? 'Invalid settings.');
      return;
    }
    const s = settings;

    // Pick up actions a previous deploy or process was sending or waiting on (every tenant of a partner connection).
    resumePendingActions<[NodeMessage | null, NodeMessage | null]>({
      RED,
      node,
      configId,
      status,
      statusText: (count) => translate(RED, 'mde-isolate.status.resumed', { count }),
      describe: (record) => ({ action: record.verb, machineId: record.machineId, computerDnsName: record.computerDnsName, actionId: record.actionId }),
      async resume(cfg, stored, msg, signal) {
        const http = cfg.connection().http;
        const { record, recovered } = await resumeRecord(http, cfg.journal, node.id, stored, lookupOptions(s, signal));
        const mde = msg.mde as Record<string, unknown>;
        mde.actionId = record.actionId;
        if (recovered) mde.recovered = true;
        if (!s.wait) return routeNow(cfg, s, await getMachineAction(http, record.actionId as string, { signal }), record, msg);
        return waitAndRoute(cfg, s, record as ActionRecord & { actionId: string }, msg, signal);
      },
    });
  }

  RED.nodes.registerType('mde-isolate', MdeIsolate as never);
};
