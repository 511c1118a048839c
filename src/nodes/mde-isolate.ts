// Isolate or release a machine, with the rails a destructive action needs: exact name
// resolution, a required templated comment, protected machines, a blast-radius cap, refusal of
// contradictory requests, joining (never duplicating) an in-flight action, dry run, and a
// wait-for-completion that survives redeploys and restarts.
import { translate } from './shared/i18n';
import { MdeConflictError, MdeError, MdeInputError, MdeWaitTimeoutError } from '../client/errors';
import { getMachine, resolveMachineByName } from '../client/machines';
import {
  findPendingAction,
  getMachineAction,
  isolateMachine,
  releaseMachine,
  waitForMachineAction,
} from '../client/machine-actions';
import { machineId as validMachineId } from '../client/odata';
import { snapshotMessage, type PendingActionRecord } from '../client/safety/action-journal';
import { protectionReason, type IsolationVerb } from '../client/safety/isolation-guard';
import { renderTextTemplate } from '../client/templates';
import type { Machine, MachineAction } from '../client/types';
import { wireActionNode } from './shared/base';
import type { StatusReporter } from './shared/status';
import type { MdeConfigNode } from './shared/config-handle';
import type { Node, NodeAPI, NodeDef, NodeMessage } from './shared/node-types';
import { describeTyped, evaluateTyped, splitList } from './shared/typed-input';

interface MdeIsolateDef extends NodeDef {
  config?: string;
  action?: string;
  isolationType?: string;
  machine?: string;
  machineType?: string;
  machineBy?: string;
  comment?: string;
  wait?: boolean;
  timeoutSeconds?: number | string;
  pollSeconds?: number | string;
  dryRun?: boolean;
  protectedIds?: string;
  protectedNames?: string;
  protectedTags?: string;
  conflictWindowSeconds?: number | string;
}

const FINAL_OK = new Set(['Succeeded']);

/** In-flight submissions per connection + machine + action type, so concurrent messages join one request. */
const submitting = new Map<string, Promise<{ action: MachineAction; joined: boolean }>>();

function seconds(value: unknown, fallback: number, min: number): number {
  const n = Number(value);
  return Number.isFinite(n) && n >= min ? n : fallback;
}

export = function register(RED: NodeAPI): void {
  function MdeIsolate(this: Node, def: MdeIsolateDef): void {
    RED.nodes.createNode(this, def);
    const node = this;
    const verb: IsolationVerb = def.action === 'release' ? 'release' : 'isolate';
    const actionType = verb === 'isolate' ? 'Isolate' : 'Unisolate';
    const isolationType = def.isolationType === 'Full' ? 'Full' : 'Selective';
    const wait = def.wait !== false;
    const timeoutMs = seconds(def.timeoutSeconds, 600, 1) * 1000;
    const intervalMs = seconds(def.pollSeconds, 10, 0.05) * 1000;
    const conflictWindowMs = seconds(def.conflictWindowSeconds, 300, 0) * 1000;
    const rules = {
      ids: splitList(def.protectedIds),
      namePatterns: splitList(def.protectedNames),
      tags: def.protectedTags === undefined ? ['DoNotIsolate'] : splitList(def.protectedTags),
    };
    const commentTemplate = def.comment ?? '';
    // NR_FLOW_NAME is the tab's label (Node-RED >= 2.2), for comments like "flow {{flowName}}".
    const flowName = String(RED.util.evaluateNodeProperty('NR_FLOW_NAME', 'env', node, {}) ?? '');
    // Assigned once wireActionNode has run; every use happens later, on messages or resume.
    let status!: StatusReporter;

    function renderComment(msg: Record<string, unknown>, machine: Machine): string {
      const view = { ...msg, flowName, nodeName: def.name || 'mde-isolate', machineId: machine.id, computerDnsName: machine.computerDnsName };
      return renderTextTemplate(commentTemplate, view).trim();
    }

    /** Final routing: output 1 for Succeeded (or accepted when not waiting), output 2 otherwise. */
    function outputsFor(msg: NodeMessage, ok: boolean): [NodeMessage | null, NodeMessage | null] {
      return ok ? [msg, null] : [null, msg];
    }

    async function waitAndRoute(config: MdeConfigNode, record: PendingActionRecord, msg: NodeMessage, signal: AbortSignal): Promise<[NodeMessage | null, NodeMessage | null]> {
      const http = config.connection().http;
      let final: MachineAction;
      let timedOut = false;
      try {
        final = await waitForMachineAction(http, record.actionId, {
          timeoutMs: Math.max(0, record.deadline - Date.now()),
          intervalMs,
          signal,
          onStatus: (a: MachineAction) => status.requesting(translate(RED, 'mde-isolate.status.pending', { action: verb, status: a.status })),
        });
      } catch (err) {
        if (!(err instanceof MdeWaitTimeoutError)) throw err;
        timedOut = true;
        // The last poll's answer; ask again only if the wait never got one.
        final = (err.lastAction as MachineAction | undefined) ?? (await getMachineAction(http, record.actionId, { signal }));
      }
      await config.journal.removePending(node.id, record.actionId);
      const ok = FINAL_OK.has(final.status) && !timedOut;
      msg.payload = final;
      msg.mde = { ...(msg.mde as Record<string, unknown>), status: final.status, timedOut };
      if (ok) status.ok(translate(RED, 'mde-isolate.status.done', { status: final.status }));
      else status.error(timedOut ? 'WaitTimeout' : final.status);
      return outputsFor(msg, ok);
    }

    async function submit(config: MdeConfigNode, machine: Machine, comment: string, signal: AbortSignal): Promise<{ action: MachineAction; joined: boolean }> {
      const http = config.connection().http;
      const guard = await config.isolationGuard();
      // Join what MDE already has in flight for this machine instead of sending a duplicate.
      const pending = await findPendingAction(http, machine.id, actionType, { signal });
      if (pending) {
        guard.record(machine.id, verb, false);
        await config.saveIsolationGuard();
        return { action: pending, joined: true };
      }
      if (verb === 'isolate') {
        const cap = guard.checkCap();
        if (!cap.allowed) {
          throw new MdeInputError(
            translate(RED, 'mde-isolate.errors.cap', { count: cap.count, minutes: Math.round(cap.windowMs / 60_000), limit: cap.limit, machine: machine.computerDnsName || machine.id }),
            'BlastRadiusCap',
          );
        }
      }
      // Counted before the request leaves: a request whose answer is lost still counts.
      guard.record(machine.id, verb, true);
      await config.saveIsolationGuard();
      try {
        const action =
          verb === 'isolate'
            ? await isolateMachine(http, machine.id, { isolationType, comment, signal })
            : await releaseMachine(http, machine.id, { comment, signal });
        return { action, joined: false };
      } catch (err) {
        if (!(err instanceof MdeConflictError)) throw err;
        // ActiveRequestAlreadyExists: someone else's request is in flight; join it.
        const existing = await findPendingAction(http, machine.id, actionType, { signal });
        if (!existing) throw err;
        return { action: existing, joined: true };
      }
    }

    status = wireActionNode(RED, node, {
      type: 'mde-isolate',
      configId: def.config,
      async onInput({ msg, send, status, config, signal }) {
        const input = { value: def.machine ?? 'machineId', type: def.machineType || 'msg' };
        const raw = await evaluateTyped(RED, node, input, msg);
        if (raw === undefined || raw === null || (typeof raw === 'string' && !raw.trim())) {
          throw new MdeInputError(translate(RED, 'mde-isolate.errors.no-machine', { property: describeTyped(input) }));
        }
        if (typeof raw !== 'string') throw new MdeInputError(`The machine must be given as a string, got ${Array.isArray(raw) ? 'an array' : typeof raw}.`);
        const given = raw.trim();
        if (def.machineBy !== 'name') {
          try {
            validMachineId(given);
          } catch {
            throw new MdeInputError(`"${given.slice(0, 80)}" is not an MDE machine ID (40 hexadecimal characters). To use a computer name, set "Machine given by" to name.`);
          }
        }
        if (!commentTemplate.trim()) throw new MdeInputError(translate(RED, 'mde-isolate.errors.no-comment'));

        status.requesting(translate(RED, 'mde-isolate.status.requesting'));
        const http = config.connection().http;
        const machine = def.machineBy === 'name' ? await resolveMachineByName(http, given, { signal }) : await getMachine(http, given, { signal });
        const comment = renderComment(msg, machine);
        if (!comment) throw new MdeInputError(translate(RED, 'mde-isolate.errors.no-comment'));

        if (verb === 'isolate') {
          const reason = protectionReason(machine, rules);
          if (reason) throw new MdeInputError(translate(RED, 'mde-isolate.errors.protected', { machine: machine.computerDnsName || machine.id, reason }), 'ProtectedMachine');
        }
        const guard = await config.isolationGuard();
        const conflict = guard.checkConflict(machine.id, verb, conflictWindowMs);
        if (!conflict.allowed) {
          throw new MdeInputError(
            translate(RED, 'mde-isolate.errors.conflict', { other: conflict.other, machine: machine.computerDnsName || machine.id, seconds: Math.round(conflict.agoMs / 1000), action: verb, window: Math.round(conflictWindowMs / 1000) }),
            'ContradictoryAction',
          );
        }

        const base = config.connection().cloud.apiBaseUrl;
        const request = {
          method: 'POST',
          url: `${base}/api/machines/${machine.id}/${verb === 'isolate' ? 'isolate' : 'unisolate'}`,
          body: verb === 'isolate' ? { Comment: comment, IsolationType: isolationType } : { Comment: comment },
        };
        const mde: Record<string, unknown> = { action: verb, machineId: machine.id, computerDnsName: machine.computerDnsName, dryRun: Boolean(def.dryRun) };
        msg.mde = mde;

        if (def.dryRun) {
          node.log(`dry run: would send ${request.method} ${request.url} ${JSON.stringify(request.body)}`);
          mde.request = request;
          msg.payload = null;
          status.info(translate(RED, 'mde-isolate.status.dry-run'));
          send(outputsFor(msg, true));
          return;
        }

        const key = `${config.id}|${machine.id.toLowerCase()}|${actionType}`;
        let submission = submitting.get(key);
        let joinedLocally = false;
        if (submission) {
          joinedLocally = true;
        } else {
          submission = submit(config, machine, comment, signal);
          submitting.set(key, submission);
          // Keep the entry only while the request is being submitted; later messages join via MDE's pending list.
          void submission.then(
            () => submitting.delete(key),
            () => submitting.delete(key),
          );
        }
        const { action, joined } = await submission;
        Object.assign(mde, { actionId: action.id, status: action.status, joined: joined || joinedLocally });
        msg.payload = action;
        status.requesting(translate(RED, 'mde-isolate.status.pending', { action: verb, status: action.status }));

        if (!wait || action.status === 'Succeeded' || action.status === 'Failed' || action.status === 'Cancelled' || action.status === 'TimeOut') {
          const ok = !wait ? true : FINAL_OK.has(action.status);
          if (ok) status.ok(translate(RED, 'mde-isolate.status.done', { status: action.status }));
          else status.error(action.status);
          send(outputsFor(msg, ok));
          return;
        }
        const record: PendingActionRecord = {
          actionId: action.id,
          verb,
          machineId: machine.id,
          computerDnsName: machine.computerDnsName,
          startedAt: Date.now(),
          deadline: Date.now() + timeoutMs,
          msg: snapshotMessage(msg as Record<string, unknown>),
        };
        await config.journal.addPending(node.id, record);
        send(await waitAndRoute(config, record, msg, signal));
      },
    });

    // Pick up actions a previous deploy or process was waiting on.
    const resumeController = new AbortController();
    node.on('close', () => resumeController.abort());
    const config = def.config ? (RED.nodes.getNode(def.config) as MdeConfigNode | null) : null;
    if (config && typeof config.journal?.pendingFor === 'function' && wait) {
      void config.journal.pendingFor(node.id).then((records) => {
        if (!records.length || resumeController.signal.aborted) return;
        status.requesting(translate(RED, 'mde-isolate.status.resumed', { count: records.length }));
        for (const record of records) {
          const msg: NodeMessage = { ...(record.msg ?? {}), _msgid: RED.util.generateId() };
          msg.mde = { ...((msg.mde as Record<string, unknown>) ?? {}), action: record.verb, machineId: record.machineId, computerDnsName: record.computerDnsName, actionId: record.actionId, resumed: true };
          waitAndRoute(config, record, msg, resumeController.signal).then(
            (out) => node.send(out),
            (err: unknown) => {
              if (resumeController.signal.aborted) return;
              status.error(err instanceof MdeError ? err.code : 'error');
              node.error(err instanceof Error ? err : new Error(String(err)), msg);
            },
          );
        }
      }, (err: unknown) => node.warn(`Could not read pending machine actions: ${err instanceof Error ? err.message : String(err)}`));
    }
  }

  RED.nodes.registerType('mde-isolate', MdeIsolate as never);
};
