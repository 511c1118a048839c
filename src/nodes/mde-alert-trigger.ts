// Alert / incident trigger: polls Microsoft Graph on a schedule and sends each new (or updated)
// alert once, in time order, one message each. The engine (checkpoint, overlap, de-dup, order,
// changed fields) is the client's AlertPoller; this file owns the schedule, status, messages,
// the error funnel and the editor's checkpoint routes.
import * as os from 'node:os';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Request, Response } from 'express';
import { AlertPoller, type Emission, type PollOutcome, type PolledItem } from '../client/alerts/poller';
import { graphPollSource } from '../client/alerts/poll-source';
import { fileCheckpointStore, SharedCheckpointStore, type CheckpointStore } from '../client/state/checkpoint-store';
import type { SharedState } from '../client/state/shared-state';
import { MdeError, MdeInputError } from '../client/errors';
import { resolveConfig } from './shared/base';
import { translate } from './shared/i18n';
import type { DoneFn, Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow } from './shared/node-types';
import { StatusReporter } from './shared/status';
import { readTriggerSettings, type TriggerDef, type TriggerSettings } from './shared/trigger-settings';
import { partnerPollerFor } from './shared/partner-trigger';
import type { PartnerPoller, TenantEmission } from './shared/partner-poller';

const TYPE = 'mde-alert-trigger';
const CHECKPOINT_FILE = 'mde-trigger-checkpoints.json';
/** With shared state, a poll hands on at most this many items before the lease is renewed again. */
const SHARED_MAX_BATCH = 500;

/** What the editor's routes may ask of a deployed trigger. */
interface TriggerNode extends Node {
  checkpointState(): Promise<{ checkpoint: string | null; since: string; remembered: number }>;
  resetCheckpoint(): Promise<{ checkpoint: string | null; since: string; remembered: number }>;
}

interface Waiting {
  msg: NodeMessageInFlow;
  done: DoneFn;
}

const clock = (): string => new Date().toTimeString().slice(0, 8);

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

export = function register(RED: NodeAPI): void {
  const runtimeSettings = RED.settings as unknown as Record<string, unknown>;
  const stateDir = String(runtimeSettings.mdeConfigStateDir ?? runtimeSettings.userDir ?? path.join(os.homedir(), '.node-red'));
  const store = fileCheckpointStore(path.join(stateDir, CHECKPOINT_FILE), { onProblem: (message) => RED.log.warn(message) });
  // settings.js `mdeAlertTriggerMinIntervalSeconds`: tests and benchmarks poll faster than the 10 s floor.
  const minIntervalSeconds = runtimeSettings.mdeAlertTriggerMinIntervalSeconds ?? 10;

  function MdeAlertTrigger(this: TriggerNode, def: TriggerDef): void {
    RED.nodes.createNode(this, def);
    const node = this;
    const status = new StatusReporter(node);

    let settings: TriggerSettings;
    let poller: AlertPoller<PolledItem> | PartnerPoller | undefined;
    let makePoller: (store: CheckpointStore) => AlertPoller<PolledItem>;
    let pollerKey: string;
    let shared: SharedState | undefined;
    try {
      settings = readTriggerSettings(def, minIntervalSeconds);
      const config = resolveConfig(RED, TYPE, def.config);
      if (config.partner) {
        // Partner connection: every listed tenant, each with its own checkpoint (see partner-poller.ts).
        // It polls alone: the shared-state lease is per tenant + app and is not taken here.
        poller = partnerPollerFor(RED, node, config, settings, store, status);
        pollerKey = `${node.id}|partner|${settings.source}`;
        makePoller = () => {
          throw new MdeInputError('A partner connection polls every tenant with its own pollers.', 'InvalidSetting');
        };
      } else {
        const http = config.connection().http;
        shared = typeof config.sharedState === 'function' ? config.sharedState() : undefined;
        const source = graphPollSource(http, settings.source, settings.filters, {
          onWait: (info) => status.waiting(translate(RED, `${TYPE}.status.waiting`, { seconds: Math.ceil(info.waitMs / 1000) })),
        });
        const s = settings;
        const key = `${node.id}|${config.tenantId.toLowerCase()}|${settings.source}`;
        pollerKey = key;
        makePoller = (checkpoints) =>
          new AlertPoller({
            source,
            store: checkpoints,
            key,
            mode: s.mode,
            lookbackMs: s.lookbackMs,
            overlapMs: s.overlapMs,
            ...(shared ? { saveBeforeEmit: true, maxBatch: SHARED_MAX_BATCH } : {}),
          });
        // Alone: the file store, as always. Shared: built when this instance holds the lease.
        if (!shared) poller = makePoller(store);
        else makePoller(new SharedCheckpointStore(shared, 'unused', 'unused')); // settings checked at deploy
      }
    } catch (err) {
      // Nothing polls with settings we cannot trust; a message on the input gets the same error.
      const error = asError(err);
      status.error(error instanceof MdeError ? error.code : translate(RED, `${TYPE}.status.error`));
      node.error(error.message);
      node.on('input', (_msg: NodeMessageInFlow, _send: unknown, done: DoneFn) => done(error));
      const unavailable = (): Promise<never> => Promise.reject(error);
      Object.assign(node, { checkpointState: unavailable, resetCheckpoint: unavailable });
      return;
    }

    let timer: NodeJS.Timeout | undefined;
    let closing = false;
    // Shared state: one instance of the group polls (it holds the lease); the others stand by.
    const leaseName = `trigger:${pollerKey}`;
    const leaseToken = randomUUID();
    let holding = false;
    let renewTimer: NodeJS.Timeout | undefined;
    /** The poller of this instance's last turn as holder (its checkpoint, should Redis lose it). */
    let lastPoller: AlertPoller<PolledItem> | undefined;
    let graceUntil = 0;
    if (shared) {
      const state = shared;
      let wasDown = false;
      const off = state.onHealth((h) => {
        if (h === 'down') wasDown = true;
        else if (h === 'up' && wasDown) graceUntil = Date.now() + state.leaseMs;
      });
      node.on('close', off);
    }

    /** Takes or renews the lease. False: another instance holds it, or Redis is unreachable. */
    async function holdLease(state: SharedState): Promise<boolean> {
      let held = false;
      let down = false;
      if (!holding && !lastPoller && Date.now() < graceUntil) {
        // Redis just came back: the instance that held the lease (and knows the checkpoint, should
        // Redis have lost it) gets one lease time to take it again first.
        status.waiting(translate(RED, `${TYPE}.status.standby`));
        return false;
      }
      try {
        if (state.health === 'connecting') await state.ready();
        held = await state.holdLease(leaseName, leaseToken, state.leaseMs);
      } catch {
        down = true;
      }
      if (held && !holding) {
        // Taking over: read the checkpoint the previous holder left (nothing cached from before).
        const sharedStore = new SharedCheckpointStore(state, leaseName, leaseToken);
        // Redis restarted without persistence and this instance held the lease before: put back
        // the checkpoint it had, so nothing is sent again from the look-back.
        const previous = lastPoller?.checkpointSnapshot();
        if (previous !== undefined) {
          try {
            if ((await sharedStore.load(pollerKey)) === undefined) await sharedStore.save(pollerKey, previous);
          } catch {
            // lost the lease or Redis again: the next cycle tries again
          }
        }
        if (closing) return false;
        poller = makePoller(sharedStore);
        holding = true;
        renewTimer = setInterval(() => void renew(state), Math.max(100, Math.floor(state.leaseMs / 3)));
      } else if (!held && holding) {
        loseLease();
      }
      if (!held && !closing) status.waiting(translate(RED, `${TYPE}.status.${down ? 'shared-down' : 'standby'}`));
      return held;
    }

    async function renew(state: SharedState): Promise<void> {
      if (!holding || closing) return;
      const held = await holdLease(state);
      if (!held) schedule(standbyMs(state));
    }

    function loseLease(): void {
      holding = false;
      // Only the single-tenant poller holds a lease (a partner connection never takes one).
      if (poller instanceof AlertPoller) lastPoller = poller;
      poller = undefined;
      if (renewTimer) clearInterval(renewTimer);
      renewTimer = undefined;
      running?.controller.abort();
    }

    const standbyMs = (state: SharedState): number => Math.max(100, Math.min(settings.intervalMs, Math.floor(state.leaseMs / 3)));
    let running: { controller: AbortController; finished: Promise<void> } | undefined;
    /** Input messages waiting for the next poll (a message during a poll asks for one more). */
    let waiting: Waiting[] = [];

    function schedule(delayMs: number): void {
      if (closing) return;
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => {
        timer = undefined;
        void cycle();
      }, delayMs);
    }

    function messageFor(e: Emission<PolledItem>): NodeMessage {
      const mde: Record<string, unknown> = { source: settings.source, event: e.event, field: (poller as AlertPoller<PolledItem>).field, time: e.time };
      if (e.changed !== undefined) mde.changed = e.changed;
      if ((e as TenantEmission).tenantId) mde.tenantId = (e as TenantEmission).tenantId;
      return { _msgid: RED.util.generateId(), topic: e.id, payload: e.item, mde } as NodeMessage;
    }

    function reportSuccess(outcome: PollOutcome): void {
      if (outcome.aborted) return;
      const noun = settings.source === 'incidents' ? 'incidents' : 'alerts';
      if (outcome.more) status.requesting(translate(RED, `${TYPE}.status.draining`, { count: outcome.emitted }));
      else if (outcome.emitted) status.ok(translate(RED, `${TYPE}.status.count-${noun}`, { count: outcome.emitted, time: clock() }));
      else status.ok(translate(RED, `${TYPE}.status.none-${noun}`, { time: clock() }));
      if (outcome.malformed) node.warn(translate(RED, `${TYPE}.errors.malformed`, { count: outcome.malformed }));
    }

    function reportFailure(error: Error, waiters: Waiting[]): void {
      status.error(error instanceof MdeError ? error.code : translate(RED, `${TYPE}.status.error`));
      const details = error instanceof MdeError ? error.toJSON() : { message: error.message };
      if (waiters.length) {
        for (const w of waiters) {
          w.msg.mde = { ...(w.msg.mde && typeof w.msg.mde === 'object' ? (w.msg.mde as Record<string, unknown>) : {}), error: details };
          w.done(error);
        }
        return;
      }
      // A scheduled poll has no message of its own: give Catch nodes one that says what failed.
      node.error(error, { _msgid: RED.util.generateId(), payload: null, mde: { source: settings.source, error: details } } as NodeMessage);
    }

    async function cycle(): Promise<void> {
      if (closing) return;
      if (running) {
        // The running poll's query is already out: messages that came meanwhile get the next one.
        return;
      }
      if (timer) clearTimeout(timer);
      timer = undefined;
      const waiters = waiting;
      waiting = [];
      const controller = new AbortController();
      const startedAt = Date.now();
      let outcome: PollOutcome | undefined;
      let failure: Error | undefined;
      let standingBy = false;
      const finished = (async () => {
        if (shared && !(await holdLease(shared))) {
          standingBy = true;
          return;
        }
        const active = poller as AlertPoller<PolledItem>;
        status.requesting(translate(RED, `${TYPE}.status.polling`));
        try {
          outcome = await active.poll({
            signal: controller.signal,
            emit: shared
              ? async (e) => {
                  // Shared: the item is handed to the next node before the next one is saved.
                  node.send(messageFor(e));
                  await new Promise<void>((resolve) => setImmediate(resolve));
                }
              : (e) => node.send(messageFor(e)),
          });
        } catch (err) {
          failure = asError(err);
        }
      })();
      running = { controller, finished };
      await finished;
      running = undefined;
      if (standingBy && shared) {
        for (const w of waiters) w.done();
        schedule(standbyMs(shared));
        return;
      }
      if (failure instanceof MdeError && (failure.code === 'LeaseLost' || failure.code === 'SharedStateUnavailable') && shared) {
        // Another instance holds the lease now (or Redis went away): stand by, not an error.
        loseLease();
        status.waiting(translate(RED, `${TYPE}.status.${failure.code === 'LeaseLost' ? 'standby' : 'shared-down'}`));
        for (const w of waiters) w.done();
        schedule(standbyMs(shared));
        return;
      }
      if (closing) {
        for (const w of waiters) w.done();
        return;
      }
      if (failure) reportFailure(failure, waiters);
      else {
        reportSuccess(outcome as PollOutcome);
        for (const w of waiters) w.done();
      }
      // Right away when more is waiting (a capped batch, or messages that came during the poll);
      // otherwise one interval after this poll STARTED, so polls keep a steady cadence (3600 /
      // interval an hour) and an alert waits at most one interval plus one round trip. A failed
      // poll is retried on the same cadence.
      const nextInMs = Math.max(0, settings.intervalMs - (Date.now() - startedAt));
      schedule(waiting.length || (!failure && outcome?.more) ? 0 : nextInMs);
    }

    node.on('input', (msg: NodeMessageInFlow, _send: unknown, done: DoneFn) => {
      waiting.push({ msg, done });
      if (!running) schedule(0);
    });

    async function stopRunningPoll(): Promise<void> {
      if (!running) return;
      running.controller.abort();
      await running.finished;
    }

    /** The poller for the editor's routes: on a standby instance, a read-only view of the shared checkpoint. */
    const current = (): AlertPoller<PolledItem> | PartnerPoller => poller ?? makePoller(new SharedCheckpointStore(shared as SharedState, leaseName, leaseToken));

    Object.assign(node, {
      checkpointState: () => current().state(),
      async resetCheckpoint() {
        await stopRunningPoll();
        const p = current();
        await p.reset();
        status.info(translate(RED, `${TYPE}.status.reset`));
        schedule(0);
        return p.state();
      },
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      closing = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      const pending = waiting;
      waiting = [];
      const wasHolding = holding;
      if (renewTimer) clearInterval(renewTimer);
      renewTimer = undefined;
      stopRunningPoll()
        .then(() => (shared ? undefined : store.flush()))
        // A clean stop hands the lease on at once (a crash: after the lease time).
        .then(() => (shared && wasHolding ? shared.releaseLease(leaseName, leaseToken).catch(() => undefined) : undefined))
        .catch((err: unknown) => node.warn(translate(RED, `${TYPE}.errors.flush`, { reason: asError(err).message })))
        .finally(() => {
          for (const w of pending) w.done();
          status.clear();
          done();
        });
    });

    schedule(0);
  }

  RED.nodes.registerType(TYPE, MdeAlertTrigger as never, {
    settings: { mdeAlertTriggerMinIntervalSeconds: { value: 10, exportable: true } },
  } as never);
  registerCheckpointRoutes(RED);
};

/** The editor's view of a trigger's checkpoint, and its Reset button. Times and counts only. */
function registerCheckpointRoutes(RED: NodeAPI): void {
  const lookup = (req: Request, res: Response): TriggerNode | undefined => {
    const node = RED.nodes.getNode(String(req.params.id)) as TriggerNode | null;
    if (!node || node.type !== TYPE || typeof node.resetCheckpoint !== 'function') {
      res.status(404).json({ ok: false, error: translate(RED, `${TYPE}.errors.not-deployed`) });
      return undefined;
    }
    return node;
  };
  const answer = (res: Response, work: Promise<Record<string, unknown>>): void => {
    work.then(
      (state) => res.json({ ok: true, ...state }),
      (err: unknown) => {
        const error = asError(err);
        res.status(error instanceof MdeInputError ? 409 : 500).json({ ok: false, error: error.message, code: error instanceof MdeError ? error.code : undefined });
      },
    );
  };
  RED.httpAdmin.get(`/${TYPE}/:id/checkpoint`, RED.auth.needsPermission(`${TYPE}.read`), (req: Request, res: Response) => {
    const node = lookup(req, res);
    if (node) answer(res, node.checkpointState());
  });
  RED.httpAdmin.post(`/${TYPE}/:id/reset`, RED.auth.needsPermission(`${TYPE}.write`), (req: Request, res: Response) => {
    const node = lookup(req, res);
    if (node) answer(res, node.resetCheckpoint());
  });
}
