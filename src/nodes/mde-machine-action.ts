// Every MDE response action but isolation (antivirus scan, restrict / unrestrict app execution,
// investigation package with its download link, stop and quarantine file, offboard, live response
// with its result links, cancel), on the isolate engine: strict settings, exact name resolution,
// protected machines, a cap per action type, offboard and live response off unless enabled, dry
// run, joining (never duplicating) an in-flight action, a write-ahead journal so a request whose
// answer is lost is found again rather than resent, and a wait that survives redeploys.
import { translate } from './shared/i18n';
import { MdeError, MdeInputError, MdeWaitTimeoutError } from '../client/errors';
import { describe as describeValue } from '../client/validate';
import { getMachine, resolveMachineByName } from '../client/mde/machines';
import {
  cancelMachineAction,
  collectInvestigationPackage,
  findPendingAction,
  getLiveResponseResultLink,
  getMachineAction,
  getPackageUri,
  offboardMachine,
  restrictCodeExecution,
  runAntivirusScan,
  runLiveResponse,
  sha1 as validSha1,
  stopAndQuarantineFile,
  unrestrictCodeExecution,
  waitForMachineAction,
  type LiveResponseCommand,
  type ScanType,
} from '../client/mde/machine-actions';
import { guid, machineId as validMachineId } from '../client/mde/odata';
import type { MdeHttp } from '../client/transport/http';
import { routingFields, type ActionRecord } from '../client/safety/action-journal';
import { intentRecord, pendingOtherError, resumeRecord, sendOnce, type LookupOptions } from '../client/safety/action-engine';
import { JournalCapLedger, type ActionCapLedger, type CapRule } from '../client/safety/action-caps';
import { SharedActionCapLedger, requireSharedState } from '../client/safety/shared-action-caps';
import type { SharedState } from '../client/state/shared-state';
import { protectionReason, type ProtectionRules } from '../client/safety/isolation-guard';
import { renderTextTemplate } from '../client/templates';
import type { Machine, MachineAction } from '../client/types';
import { booleanSetting, choiceSetting, integerSetting, listSetting, secondsSetting, textSetting, type Settings } from './shared/action-settings';
import { resumePendingActions } from './shared/resume-actions';
import { wireActionNode } from './shared/base';
import type { StatusReporter } from './shared/status';
import type { MdeConfigNode } from './shared/config-handle';
import type { Node, NodeAPI, NodeDef, NodeMessage, TypedValue } from './shared/node-types';
import { describeTyped, evaluateTyped } from './shared/typed-input';
import { ACTION_KINDS, KINDS, kindOfActionType, matcherFor, requestBody, scopeOf, type ActionKind, type ActionParams } from './shared/machine-action-kinds';

const TYPE = 'mde-machine-action';
const FINAL = new Set(['Succeeded', 'Failed', 'Cancelled', 'TimeOut']);
const SCAN_TYPES = ['Quick', 'Full'] as const;
const TYPED = ['msg', 'flow', 'global', 'str', 'env', 'jsonata'] as const;
/** Lookups after a lost answer: MDE's list can lag a moment behind a just-created action. */
const LOOKUP_ATTEMPTS = 3;
const LOOKUP_INTERVAL_WITHOUT_WAIT_MS = 5_000;
const LIVE_RESPONSE_KEYS = ['script', 'args', 'path'] as const;

interface NodeSettings {
  kind: ActionKind;
  scanType: ScanType | null;
  machine: TypedValue;
  machineBy: 'id' | 'name';
  sha1: TypedValue;
  actionId: TypedValue;
  live: { script: string; args: string; path: string };
  comment: string;
  wait: boolean;
  timeoutMs: number;
  intervalMs: number;
  dryRun: boolean;
  rules: ProtectionRules;
  allowOffboard: boolean;
  allowLiveResponse: boolean;
  caps: Partial<Record<ActionKind, CapRule>>;
}

function typedSetting(def: Settings, prop: string, fallback: string): TypedValue {
  return { value: textSetting(def, prop, fallback), type: choiceSetting(def, `${prop}Type`, TYPED, 'msg') };
}

/** Every setting checked at deploy; an unknown value is refused, never read as a default. */
function readSettings(def: Settings): NodeSettings {
  const kind = choiceSetting(def, 'action', ACTION_KINDS);
  // Required when the node scans; otherwise optional (a message may still ask for a scan).
  const scanType = kind === 'scan' ? choiceSetting(def, 'scanType', SCAN_TYPES) : def.scanType === undefined || def.scanType === null || def.scanType === '' ? null : choiceSetting(def, 'scanType', SCAN_TYPES);
  const wait = booleanSetting(def, 'wait', true);
  const windowMs = integerSetting(def, 'capWindowMinutes', 1, 1440, 10) * 60_000;
  const caps: Partial<Record<ActionKind, CapRule>> = {};
  for (const k of ACTION_KINDS) {
    const cap = KINDS[k].cap;
    if (cap) caps[k] = { limit: integerSetting(def, cap.setting, 1, 10_000, cap.defaultLimit), windowMs };
  }
  return {
    kind,
    scanType,
    machine: typedSetting(def, 'machine', 'machineId'),
    machineBy: choiceSetting(def, 'machineBy', ['id', 'name'] as const, 'id'),
    sha1: typedSetting(def, 'sha1', 'sha1'),
    actionId: typedSetting(def, 'actionId', 'actionId'),
    live: { script: textSetting(def, 'liveScript', ''), args: textSetting(def, 'liveArgs', ''), path: textSetting(def, 'livePath', '') },
    comment: textSetting(def, 'comment', ''),
    wait,
    timeoutMs: (wait ? secondsSetting(def, 'timeoutSeconds', 1, 600) : 600) * 1000,
    intervalMs: (wait ? secondsSetting(def, 'pollSeconds', 0.05, 10) : 10) * 1000,
    dryRun: booleanSetting(def, 'dryRun', false),
    rules: {
      ids: listSetting(def, 'protectedIds', []),
      namePatterns: listSetting(def, 'protectedNames', []),
      tags: listSetting(def, 'protectedTags', ['DoNotRespond']),
    },
    allowOffboard: booleanSetting(def, 'allowOffboard', false),
    allowLiveResponse: booleanSetting(def, 'allowLiveResponse', false),
    caps,
  };
}

/** msg.<prop>: absent, or one of `allowed` (a string); anything else is refused. */
function msgChoice<T extends string>(msg: Record<string, unknown>, prop: string, allowed: readonly T[]): T | undefined {
  const v = msg[prop];
  if (v === undefined) return undefined;
  if (typeof v === 'string' && (allowed as readonly string[]).includes(v)) return v as T;
  throw new MdeInputError(`msg.${prop} is ${describeValue(v)}; allowed: ${allowed.map((a) => `"${a}"`).join(', ')} (or leave it out to use the node's setting).`);
}

/** msg.liveResponse: absent, or { script?, args?, path? } with text values; each given one replaces the node's. */
function msgLiveResponse(msg: Record<string, unknown>, base: NodeSettings['live']): NodeSettings['live'] {
  const v = msg.liveResponse;
  if (v === undefined) return base;
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new MdeInputError(`msg.liveResponse is ${describeValue(v)}; allowed: an object with script, args and path texts.`);
  const out = { ...base };
  for (const [key, value] of Object.entries(v as Record<string, unknown>)) {
    if (!(LIVE_RESPONSE_KEYS as readonly string[]).includes(key)) throw new MdeInputError(`msg.liveResponse.${key} is not known; allowed: script, args, path.`);
    if (typeof value !== 'string') throw new MdeInputError(`msg.liveResponse.${key} is ${describeValue(value)}; allowed: text.`);
    out[key as keyof typeof out] = value;
  }
  return out;
}

function liveCommands(live: NodeSettings['live']): LiveResponseCommand[] {
  const commands: LiveResponseCommand[] = [];
  if (live.script.trim()) commands.push({ type: 'RunScript', scriptName: live.script.trim(), ...(live.args ? { args: live.args } : {}) });
  else if (live.args.trim()) throw new MdeInputError('Live response arguments were given without a script name: set the library script to run.');
  if (live.path.trim()) commands.push({ type: 'GetFile', path: live.path.trim() });
  if (!commands.length) throw new MdeInputError('A live response needs a library script to run, a file path to collect, or both (node settings or msg.liveResponse).');
  return commands;
}

interface Submission {
  action: MachineAction;
  joined: boolean;
  recovered: boolean;
  record?: ActionRecord;
}

/** In-flight submissions per connection + machine + action, so concurrent messages join one request. */
const submitting = new Map<string, Promise<Submission>>();
/** One cap ledger per connection, shared by every mde-machine-action node that uses it. */
const ledgers = new Map<string, { journal: unknown; ledger: ActionCapLedger }>();

/** With shared state (Redis), one per store namespace: every instance on the tenant + app counts together. */
const sharedCapLedgers = new WeakMap<SharedState, ActionCapLedger>();

/** The connection's shared state (Redis), or undefined when it is not configured. */
function sharedStateOf(config: MdeConfigNode): SharedState | undefined {
  return typeof config.sharedState === 'function' ? config.sharedState() : undefined;
}

function capLedgerFor(config: MdeConfigNode): ActionCapLedger {
  const shared = sharedStateOf(config);
  if (shared) {
    let ledger = sharedCapLedgers.get(shared);
    if (!ledger) sharedCapLedgers.set(shared, (ledger = new SharedActionCapLedger(shared)));
    return ledger;
  }
  const known = ledgers.get(config.id);
  if (known && known.journal === config.journal) return known.ledger;
  const ledger = new JournalCapLedger(config.journal, `machine-action-caps:${config.id}`);
  ledgers.set(config.id, { journal: config.journal, ledger });
  return ledger;
}

export = function register(RED: NodeAPI): void {
  function MdeMachineAction(this: Node, def: NodeDef & Settings): void {
    RED.nodes.createNode(this, def);
    const node = this;
    let settings: NodeSettings | undefined;
    let settingsError: MdeError | undefined;
    try {
      settings = readSettings(def);
    } catch (err) {
      settingsError = err instanceof MdeError ? err : new MdeInputError(String(err), 'InvalidSetting');
    }
    const configId = typeof def.config === 'string' ? def.config : undefined;
    const flowName = String(RED.util.evaluateNodeProperty('NR_FLOW_NAME', 'env', node, {}) ?? '');
    let status!: StatusReporter;
    const t = (key: string, vars?: Record<string, string | number>): string => translate(RED, `${TYPE}.${key}`, vars);

    function lookupOptions(s: NodeSettings, signal: AbortSignal, record: Pick<ActionRecord, 'actionType' | 'scope'>): LookupOptions {
      return { signal, attempts: LOOKUP_ATTEMPTS, intervalMs: s.wait ? s.intervalMs : LOOKUP_INTERVAL_WITHOUT_WAIT_MS, matches: matcherFor(record.actionType, record.scope) };
    }

    function renderComment(s: NodeSettings, msg: Record<string, unknown>, machine: Partial<Machine>): string {
      const view = { ...msg, flowName, nodeName: def.name || TYPE, machineId: machine.id, computerDnsName: machine.computerDnsName };
      return renderTextTemplate(s.comment, view).trim();
    }

    /** Download links a finished action offers: the investigation package, live response results. */
    async function attachLinks(http: MdeHttp, action: MachineAction, mde: Record<string, unknown>, signal: AbortSignal): Promise<void> {
      if (action.status !== 'Succeeded') return;
      if (action.type === 'CollectInvestigationPackage') {
        const link = await getPackageUri(http, action.id, { signal });
        Object.assign(mde, { packageUrl: link.url, packageUrlExpiresAt: link.expiresAt, packageUrlExpirySource: link.expirySource });
        return;
      }
      if (action.type !== 'LiveResponse') return;
      const results: Record<string, unknown>[] = [];
      const commands = Array.isArray(action.commands) ? (action.commands as Record<string, unknown>[]) : [];
      for (const c of commands) {
        const index = typeof c.index === 'number' ? c.index : results.length;
        const type = (c.command as { type?: unknown } | undefined)?.type;
        const entry: Record<string, unknown> = { index, type, commandStatus: c.commandStatus };
        if (c.commandStatus === 'Completed' && type !== 'PutFile') {
          const link = await getLiveResponseResultLink(http, action.id, index, { signal });
          Object.assign(entry, { url: link.url, expiresAt: link.expiresAt, expirySource: link.expirySource });
        } else if (Array.isArray(c.errors) && c.errors.length) entry.errors = c.errors;
        results.push(entry);
      }
      mde.liveResponseResults = results;
    }

    /** The final word on an action: links when it succeeded, the output, or done(err) that Catch nodes see. */
    async function finish(config: MdeConfigNode, kind: ActionKind, action: MachineAction, msg: NodeMessage, signal: AbortSignal, waited: boolean): Promise<NodeMessage> {
      const mde = msg.mde as Record<string, unknown>;
      msg.payload = action;
      mde.actionId = action.id;
      mde.status = action.status;
      if (!waited) {
        status.ok(t('status.accepted', { status: action.status }));
        return msg;
      }
      const wanted = kind === 'cancel' ? 'Cancelled' : 'Succeeded';
      if (action.status !== wanted) {
        const device = action.computerDnsName || action.machineId;
        const code = kind === 'cancel' ? 'ActionNotCancelled' : action.status === 'Cancelled' ? 'ActionCancelled' : action.status === 'TimeOut' ? 'ActionTimedOut' : 'ActionFailed';
        throw new MdeError(t('errors.final', { type: action.type, id: action.id, machine: device, status: action.status, hresult: String(action.errorHResult ?? 0) }), { code });
      }
      await attachLinks(config.connection().http, action, mde, signal);
      status.ok(t('status.done', { status: action.status }));
      return msg;
    }

    async function waitForFinal(config: MdeConfigNode, s: NodeSettings, record: ActionRecord & { actionId: string }, msg: NodeMessage, signal: AbortSignal): Promise<MachineAction> {
      const http = config.connection().http;
      try {
        return await waitForMachineAction(http, record.actionId, {
          timeoutMs: Math.max(0, record.deadline - Date.now()),
          intervalMs: s.intervalMs,
          signal,
          onStatus: (a: MachineAction) => status.requesting(t('status.pending', { action: record.verb, status: a.status })),
        });
      } catch (err) {
        if (err instanceof MdeWaitTimeoutError) {
          msg.payload = err.lastAction ?? msg.payload;
          Object.assign(msg.mde as Record<string, unknown>, { timedOut: true, status: (err.lastAction as MachineAction | undefined)?.status });
        }
        throw err;
      } finally {
        // The outcome (final state, our timeout or an error) is reported once; only a closing node keeps it to resume.
        if (!signal.aborted) await config.journal.remove(node.id, record.requestId).catch(() => undefined);
      }
    }

    async function submit(config: MdeConfigNode, s: NodeSettings, kind: ActionKind, params: ActionParams, machine: Machine, comment: string, msg: NodeMessage, signal: AbortSignal): Promise<Submission> {
      const http = config.connection().http;
      const spec = KINDS[kind];
      const actionType = spec.actionType as string;
      const scope = scopeOf(kind, params);
      const matches = matcherFor(actionType, scope);
      const record = intentRecord({
        actionType,
        verb: spec.verb,
        scope,
        machineId: machine.id,
        computerDnsName: machine.computerDnsName,
        comment,
        deadline: Date.now() + s.timeoutMs,
        msg: routingFields(msg as Record<string, unknown>),
      });
      // With shared state, another Node-RED instance on this tenant + app may be sending the same
      // action right now: follow its action instead of sending a second one. The intent names the
      // scope too (scan type, file, commands): a different file is a different action.
      const ledger = sharedStateOf(config) ? await config.actionLedger() : undefined;
      const intent = scope ? `${actionType}:${scope}` : actionType;
      if (ledger) {
        const claim = await ledger.claimIntent(machine.id, intent, record.requestId, signal);
        if (!claim.mine) return { action: await getMachineAction(http, claim.actionId, { signal }), joined: true, recovered: false };
      }
      let sentActionId: string | undefined;
      try {
        const pending = await findPendingAction(http, machine.id, actionType, { signal });
        if (pending) {
          if (matches && !matches(pending)) throw pendingOtherError({ actionType, machineId: machine.id, computerDnsName: machine.computerDnsName }, pending);
          sentActionId = pending.id;
          return { action: pending, joined: true, recovered: false };
        }
        const rule = s.caps[kind];
        if (rule) {
          // Counted before the request leaves: a request whose answer is lost still counts.
          const cap = await capLedgerFor(config).take(actionType, rule);
          if (!cap.allowed) {
            throw new MdeInputError(t('errors.cap', { count: cap.count, type: actionType, minutes: Math.round(cap.windowMs / 60_000), limit: cap.limit, machine: machine.computerDnsName || machine.id }), 'BlastRadiusCap');
          }
        }
        const outcome = await send(config, kind, params, machine, comment, record, s, signal);
        sentActionId = outcome.action.id;
        return outcome;
      } finally {
        if (ledger) await ledger.settleIntent(machine.id, intent, record.requestId, sentActionId);
      }
    }

    /** The request itself, through the write-ahead journal (a lost answer is looked up, never resent). */
    async function send(config: MdeConfigNode, kind: ActionKind, params: ActionParams, machine: Machine, comment: string, record: ActionRecord, s: NodeSettings, signal: AbortSignal): Promise<Submission> {
      const http = config.connection().http;
      const spec = KINDS[kind];
      const o = { signal, comment };
      const outcome = await sendOnce({
        http,
        journal: config.journal,
        ownerId: node.id,
        record,
        ...lookupOptions(s, signal, record),
        send: () => {
          switch (kind) {
            case 'scan':
              return runAntivirusScan(http, machine.id, { ...o, scanType: params.scanType as ScanType });
            case 'restrict':
              return restrictCodeExecution(http, machine.id, o);
            case 'unrestrict':
              return unrestrictCodeExecution(http, machine.id, o);
            case 'collect':
              return collectInvestigationPackage(http, machine.id, o);
            case 'quarantine':
              return stopAndQuarantineFile(http, machine.id, { ...o, sha1: params.sha1 as string });
            case 'offboard':
              return offboardMachine(http, machine.id, o);
            case 'liveresponse':
              return runLiveResponse(http, machine.id, { ...o, commands: params.commands ?? [] });
            default:
              throw new MdeInputError(`No request for ${kind}.`);
          }
        },
      });
      if (outcome.recovered) {
        node.warn(`The answer to the ${spec.verb} request for ${machine.computerDnsName || machine.id} was lost (${outcome.lostBecause}); found machine action ${outcome.action.id} in Defender for Endpoint and followed it. Nothing was sent again.`);
      }
      return { action: outcome.action, joined: outcome.joined, recovered: outcome.recovered, record: { ...record, actionId: outcome.action.id } };
    }

    async function readTarget(input: TypedValue, msg: NodeMessage, what: string): Promise<string> {
      const raw = await evaluateTyped(RED, node, input, msg);
      if (raw === undefined || raw === null || (typeof raw === 'string' && !raw.trim())) throw new MdeInputError(t('errors.missing', { what, property: describeTyped(input) }));
      if (typeof raw !== 'string') throw new MdeInputError(`The ${what} must be given as a string (${describeTyped(input)}), got ${describeValue(raw)}.`);
      return raw.trim();
    }

    /** Cancel: by action ID, idempotent (cancelling twice is cancelling once), no journal needed. */
    async function cancelAction(config: MdeConfigNode, s: NodeSettings, msg: NodeMessage, signal: AbortSignal): Promise<NodeMessage> {
      const given = await readTarget(s.actionId, msg, t('words.action-id'));
      const id = guid(given, 'Machine action ID');
      const comment = renderComment(s, msg as Record<string, unknown>, {});
      if (!comment) throw new MdeInputError(t('errors.no-comment'));
      const mde: Record<string, unknown> = { action: 'cancel', actionId: id, dryRun: s.dryRun };
      msg.mde = mde;
      if (s.dryRun) {
        mde.request = { method: 'POST', url: `${config.connection().cloud.apiBaseUrl}/api/machineactions/${id}/cancel`, body: { Comment: comment } };
        node.log(`dry run: would send POST ${String((mde.request as { url: string }).url)}`);
        msg.payload = null;
        status.info(t('status.dry-run'));
        return msg;
      }
      status.requesting(t('status.requesting'));
      const http = config.connection().http;
      let action = await cancelMachineAction(http, id, comment, { signal });
      mde.machineId = action.machineId;
      mde.computerDnsName = action.computerDnsName;
      if (s.wait && !FINAL.has(action.status)) {
        try {
          action = await waitForMachineAction(http, id, { timeoutMs: s.timeoutMs, intervalMs: s.intervalMs, signal });
        } catch (err) {
          if (err instanceof MdeWaitTimeoutError) Object.assign(mde, { timedOut: true });
          msg.payload = (err as MdeWaitTimeoutError).lastAction ?? action;
          throw err;
        }
      }
      return finish(config, 'cancel', action, msg, signal, true);
    }

    async function onMessage(s: NodeSettings, config: MdeConfigNode, msg: NodeMessage, signal: AbortSignal): Promise<NodeMessage> {
      const m = msg as Record<string, unknown>;
      // Everything a message can get wrong is checked before the first request.
      const kind = msgChoice(m, 'action', ACTION_KINDS) ?? s.kind;
      const spec = KINDS[kind];
      if (spec.guardedBy === 'allowOffboard' && !s.allowOffboard) throw new MdeInputError(t('errors.disabled-offboard'), 'ActionDisabled');
      if (spec.guardedBy === 'allowLiveResponse' && !s.allowLiveResponse) throw new MdeInputError(t('errors.disabled-live-response'), 'ActionDisabled');
      if (!s.comment.trim()) throw new MdeInputError(t('errors.no-comment'));
      if (kind === 'cancel') return cancelAction(config, s, msg, signal);

      const params: ActionParams = {};
      if (kind === 'scan') {
        const scanType = msgChoice(m, 'scanType', SCAN_TYPES) ?? s.scanType;
        if (!scanType) throw new MdeInputError('A scan needs its type: set Scan type on the node, or msg.scanType to "Quick" or "Full".');
        params.scanType = scanType;
      } else if (m.scanType !== undefined) msgChoice(m, 'scanType', SCAN_TYPES);
      if (kind === 'quarantine') params.sha1 = validSha1(await readTarget(s.sha1, msg, 'SHA-1'), `The SHA-1 (${describeTyped(s.sha1)})`);
      if (kind === 'liveresponse') params.commands = liveCommands(msgLiveResponse(m, s.live));
      else if (m.liveResponse !== undefined) msgLiveResponse(m, s.live);

      const given = await readTarget(s.machine, msg, t('words.machine'));
      if (s.machineBy === 'id') {
        try {
          validMachineId(given);
        } catch {
          throw new MdeInputError(`"${given.slice(0, 80)}" is not an MDE machine ID (40 hexadecimal characters). To use a computer name, set "Identify by" to name.`);
        }
      }

      status.requesting(t('status.requesting'));
      const http = config.connection().http;
      const machine = s.machineBy === 'name' ? await resolveMachineByName(http, given, { signal }) : await getMachine(http, given, { signal });
      const comment = renderComment(s, m, machine);
      if (!comment) throw new MdeInputError(t('errors.no-comment'));
      if (spec.protectedApplies) {
        const reason = protectionReason(machine, s.rules);
        if (reason) throw new MdeInputError(t('errors.protected', { machine: machine.computerDnsName || machine.id, reason, action: spec.verb }), 'ProtectedMachine');
      }

      const actionType = spec.actionType as string;
      const mde: Record<string, unknown> = { action: kind, actionType, machineId: machine.id, computerDnsName: machine.computerDnsName, dryRun: s.dryRun };
      msg.mde = mde;
      if (s.dryRun) {
        const request = { method: 'POST', url: `${config.connection().cloud.apiBaseUrl}/api/machines/${machine.id}/${spec.segment}`, body: requestBody(kind, params, comment) };
        node.log(`dry run: would send ${request.method} ${request.url} ${JSON.stringify(request.body)}`);
        mde.request = request;
        msg.payload = null;
        status.info(t('status.dry-run'));
        return msg;
      }

      // Fail closed: with shared state configured, no action without the shared cap and intents.
      // (Dry run above sends nothing and a cancel is neither capped nor duplicated: both go on.)
      const shared = sharedStateOf(config);
      if (shared) await requireSharedState(shared, `the ${spec.verb} request for ${machine.computerDnsName || machine.id}`);

      const key = `${config.id}|${machine.id.toLowerCase()}|${actionType}|${scopeOf(kind, params) ?? ''}`;
      let submission = submitting.get(key);
      const joinedLocally = submission !== undefined;
      if (!submission) {
        submission = submit(config, s, kind, params, machine, comment, msg, signal);
        submitting.set(key, submission);
        const forget = (): void => {
          if (submitting.get(key) === submission) submitting.delete(key);
        };
        void submission.then(forget, forget);
      }
      const outcome = await submission;
      const { action } = outcome;
      Object.assign(mde, { actionId: action.id, status: action.status, joined: outcome.joined || joinedLocally, recovered: outcome.recovered });
      msg.payload = action;
      status.requesting(t('status.pending', { action: spec.verb, status: action.status }));

      const own = joinedLocally ? undefined : outcome.record;
      if (!s.wait || FINAL.has(action.status)) {
        if (own) await config.journal.remove(node.id, own.requestId);
        return finish(config, kind, action, msg, signal, s.wait);
      }
      let record = own;
      if (!record) {
        // A message that joined gets its own record, so a restart resumes every waiting message.
        record = {
          ...intentRecord({ actionType, verb: spec.verb, scope: scopeOf(kind, params), machineId: machine.id, computerDnsName: machine.computerDnsName, comment, deadline: Date.now() + s.timeoutMs, msg: routingFields(m) }),
          actionId: action.id,
          joined: true,
        };
        await config.journal.add(node.id, record);
      }
      const final = await waitForFinal(config, s, { ...record, actionId: action.id }, msg, signal);
      return finish(config, kind, final, msg, signal, true);
    }

    status = wireActionNode(RED, node, {
      type: TYPE,
      configId,
      async onInput({ msg, send, config, signal }) {
        if (settingsError || !settings) throw settingsError;
        send(await onMessage(settings, config, msg, signal));
      },
    });

    if (settingsError || !settings) {
      status.error(settingsError?.code ?? 'InvalidSetting');
      node.warn(settingsError?.message ?? 'Invalid settings.');
      return;
    }
    const s = settings;

    // Pick up actions a previous deploy or process was sending or waiting on (every tenant of a partner connection).
    resumePendingActions<NodeMessage>({
      RED,
      node,
      configId,
      status,
      statusText: (count) => t('status.resumed', { count }),
      describe: (record) => ({ action: kindOfActionType(record.actionType), actionType: record.actionType, machineId: record.machineId, computerDnsName: record.computerDnsName, actionId: record.actionId }),
      async resume(cfg, stored, msg, signal) {
        const http = cfg.connection().http;
        const kind = kindOfActionType(stored.actionType);
        if (!kind) throw new MdeInputError(`A pending ${stored.actionType} action cannot be resumed by this node.`);
        const { record, recovered } = await resumeRecord(http, cfg.journal, node.id, stored, lookupOptions(s, signal, stored));
        const mde = msg.mde as Record<string, unknown>;
        mde.actionId = record.actionId;
        if (recovered) mde.recovered = true;
        if (!s.wait) {
          await cfg.journal.remove(node.id, record.requestId);
          return finish(cfg, kind, await getMachineAction(http, record.actionId as string, { signal }), msg, signal, false);
        }
        const final = await waitForFinal(cfg, s, record as ActionRecord & { actionId: string }, msg, signal);
        return finish(cfg, kind, final, msg, signal, true);
      },
    });
  }

  RED.nodes.registerType(TYPE, MdeMachineAction as never);
};
