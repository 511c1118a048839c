// Device lookups (get by ID or exact name, filtered list, a device's alerts, logged-on users, find by
// internal IP at a time) and adding / removing one device tag. Every dialog value is checked at
// deploy and every msg value per message, before anything is sent.
import { translate } from './shared/i18n';
import { MdeError, MdeInputError } from '../client/errors';
import { getMachine, machineName, resolveMachineByName } from '../client/mde/machines';
import {
  MACHINE_QUERY_KEYS, checkMachineQuery, findByIpTimestamp, findMachinesByIp, getDiscoveredVulnerabilities, getInstalledSoftware, getLogonUsers, internalIp, listMachineAlerts,
  MAX_MACHINES_PER_TAG_CALL, bulkMachineIds, bulkTagRequestBody, listMachinesPaged, setMachineTag, setTagForMachines, tagRequestBody,
  type MachineListQuery, type TagAction,
} from '../client/mde/machine-lookups';
import { machineId as validMachineId } from '../client/mde/odata';
import type { RequestOptions } from '../client/mde/alerts';
import type { MdeHttp } from '../client/transport/http';
import type { Machine } from '../client/types';
import { describe } from '../client/validate';
import { booleanSetting, choiceSetting, listSetting, textSetting, type Settings } from './shared/action-settings';
import { wireActionNode } from './shared/base';
import type { MdeConfigNode } from './shared/config-handle';
import type { Node, NodeAPI, NodeDef, NodeMessageInFlow, TypedValue } from './shared/node-types';
import { describeTyped, evaluateTyped } from './shared/typed-input';

const MACHINES_MODES = ['get', 'list', 'alerts', 'logonusers', 'software', 'vulnerabilities', 'findbyip', 'tag'] as const;
type Mode = (typeof MACHINES_MODES)[number];
const TYPED = ['msg', 'flow', 'global', 'str', 'env', 'jsonata'] as const;

interface MachinesSettings {
  mode: Mode;
  machine: TypedValue;
  machineBy: 'id' | 'name';
  query: MachineListQuery;
  maxResults: number;
  ip: TypedValue;
  timestamp: TypedValue;
  tagAction: TagAction;
  tagValue: TypedValue;
  dryRun: boolean;
}

function invalidSetting(prop: string, reason: string): MdeInputError {
  return new MdeInputError(`The node setting "${prop}" is not valid: ${reason} Open the node and correct it.`, 'InvalidSetting');
}

/** A whole number the dialog stored as a number or as its digits; absent → fallback. */
function wholeNumberSetting(def: Settings, prop: string, max: number, fallback: number): number {
  const v = def[prop];
  if (v === undefined || v === null) return fallback;
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*\d+\s*$/.test(v) ? Number(v) : NaN;
  if (Number.isInteger(n) && n >= 1 && n <= max) return n;
  throw new MdeInputError(`The node setting "${prop}" is ${describe(v)}; allowed: a whole number from 1 to ${max}. Open the node and choose a value.`, 'InvalidSetting');
}

function typedSetting(def: Settings, prop: string, fallbackValue: string, fallbackType: (typeof TYPED)[number] | 'date', types: readonly string[] = TYPED): TypedValue {
  return { value: textSetting(def, prop, fallbackValue), type: choiceSetting(def, `${prop}Type`, types as readonly string[], fallbackType) };
}

/** Every setting checked at deploy, whatever the mode: an unknown value is refused, never read as a default. */
function readMachinesSettings(def: Settings): MachinesSettings {
  const mode = choiceSetting(def, 'mode', MACHINES_MODES, 'get');
  const query: MachineListQuery = {};
  const lists = ['healthStatus', 'riskScore', 'exposureLevel', 'osPlatform', 'onboardingStatus'] as const;
  for (const prop of lists) {
    const values = listSetting(def, prop, []);
    if (values.length) query[prop] = values;
  }
  const tag = textSetting(def, 'tag', '').trim();
  if (tag) query.tag = tag;
  const since = textSetting(def, 'lastSeenSince', '').trim();
  if (since) query.lastSeenSince = since;
  query.pageSize = wholeNumberSetting(def, 'pageSize', 10_000, 10_000);
  query.maxResults = wholeNumberSetting(def, 'maxResults', 1_000_000, 10_000);
  try {
    checkMachineQuery(query);
  } catch (err) {
    if (err instanceof MdeError) throw invalidSetting('filters', err.summary);
    throw err;
  }
  const tagValue = typedSetting(def, 'tagValue', '', 'str');
  // A tag typed into the dialog is checked now; one read from msg / context per message.
  if (mode === 'tag' && tagValue.type === 'str') {
    try {
      tagRequestBody(tagValue.value, 'Add');
    } catch (err) {
      if (err instanceof MdeError) throw invalidSetting('tagValue', err.summary);
      throw err;
    }
  }
  return {
    mode,
    machine: typedSetting(def, 'machine', 'machineId', 'msg'),
    machineBy: choiceSetting(def, 'machineBy', ['id', 'name'] as const, 'id'),
    query,
    maxResults: query.maxResults,
    ip: typedSetting(def, 'ip', 'ip', 'msg'),
    // 'date' is the TypedInput for "now".
    timestamp: typedSetting(def, 'timestamp', '', 'date', [...TYPED, 'date']),
    tagAction: choiceSetting(def, 'tagAction', ['Add', 'Remove'] as const, 'Add'),
    tagValue,
    dryRun: booleanSetting(def, 'dryRun', false),
  };
}

/** msg.filter in list mode: the same fields as the dialog, each replacing the dialog's. */
function queryFromMsg(base: MachineListQuery, filter: unknown): MachineListQuery {
  if (filter === undefined) return base;
  if (!filter || typeof filter !== 'object' || Array.isArray(filter)) throw new MdeInputError(`msg.filter must be an object such as { "healthStatus": ["Active"] }, got ${describe(filter)}.`);
  for (const key of Object.keys(filter)) {
    if (!(MACHINE_QUERY_KEYS as readonly string[]).includes(key)) throw new MdeInputError(`msg.filter has an unknown property ${describe(key)}. Use: ${MACHINE_QUERY_KEYS.join(', ')}.`);
  }
  const f = filter as Record<string, unknown>;
  // The client reads digit text as a number; from a message only a real number is taken.
  for (const key of ['pageSize', 'maxResults']) {
    if (f[key] !== undefined && typeof f[key] !== 'number') throw new MdeInputError(`msg.filter.${key} must be a whole number, got ${describe(f[key])}.`);
  }
  return { ...base, ...(f as MachineListQuery) };
}

export = function register(RED: NodeAPI): void {
  function MdeMachines(this: Node, def: NodeDef & Settings): void {
    RED.nodes.createNode(this, def);
    const node = this;
    let settings: MachinesSettings | undefined;
    let settingsError: MdeError | undefined;
    try {
      settings = readMachinesSettings(def);
    } catch (err) {
      settingsError = err instanceof MdeError ? err : new MdeInputError(String(err), 'InvalidSetting');
    }

    /** The machine the message names, checked before any request; by name it is resolved exactly. */
    async function machineFor(s: MachinesSettings, msg: NodeMessageInFlow): Promise<{ given: string; byName: boolean }> {
      const raw = await evaluateTyped(RED, node, s.machine, msg);
      if (raw === undefined || raw === null || (typeof raw === 'string' && !raw.trim())) {
        throw new MdeInputError(translate(RED, 'mde-machines.errors.no-machine', { property: describeTyped(s.machine) }));
      }
      if (typeof raw !== 'string') throw new MdeInputError(`The machine (${describeTyped(s.machine)}) must be text, got ${describe(raw)}.`);
      const given = raw.trim();
      if (s.machineBy === 'id') {
        try {
          validMachineId(given);
        } catch {
          throw new MdeInputError(`${describe(given)} is not an MDE machine ID (40 hexadecimal characters). To use a computer name, set "Identify by" to name.`);
        }
      }
      return { given, byName: s.machineBy === 'name' };
    }

    async function resolve(http: MdeHttp, target: { given: string; byName: boolean }, opts: RequestOptions): Promise<Machine> {
      return target.byName ? resolveMachineByName(http, target.given, opts) : getMachine(http, target.given, opts);
    }

    /**
     * Tag mode with a list of machines: every entry checked first (IDs, or names resolved exactly
     * one by one), then one AddOrRemoveTagForMultipleMachines request for all of them.
     */
    async function tagMany(s: MachinesSettings, config: MdeConfigNode, msg: NodeMessageInFlow, raw: unknown[], body: { Value: string; Action: TagAction }, opts: RequestOptions): Promise<void> {
      if (raw.length === 0) throw new MdeInputError(`The machine list (${describeTyped(s.machine)}) is empty.`);
      const bad = raw.findIndex((x) => typeof x !== 'string' || !x.trim());
      if (bad >= 0) throw new MdeInputError(`The machine list (${describeTyped(s.machine)}) must hold text only; item ${bad} is ${describe(raw[bad])}.`);
      const given = (raw as string[]).map((x) => x.trim());
      if (s.machineBy === 'id') bulkMachineIds(given);
      else {
        given.forEach((n) => machineName(n));
        const distinct = new Set(given.map((x) => x.toLowerCase())).size;
        // Checked before resolving: 501 names would otherwise cost 501 lookups for a refused request.
        if (distinct > MAX_MACHINES_PER_TAG_CALL) throw new MdeInputError(`${distinct} machines were given; Defender tags at most ${MAX_MACHINES_PER_TAG_CALL} per request. Split the list.`);
      }
      status.requesting(translate(RED, 'mde-machines.status.requesting'));
      const http = config.connection().http;
      const ids: string[] = [];
      if (s.machineBy === 'name') for (const n of given) ids.push((await resolveMachineByName(http, n, opts)).id);
      else ids.push(...given);
      const request = { method: 'POST', url: `${config.connection().cloud.apiBaseUrl}/api/machines/AddOrRemoveTagForMultipleMachines`, body: bulkTagRequestBody(ids, body.Value, body.Action) };
      const mde: Record<string, unknown> = { request: 'tag machines', machineIds: request.body.MachineIds, tag: body.Value, tagAction: body.Action, dryRun: s.dryRun };
      msg.mde = mde;
      if (s.dryRun) {
        node.log(`dry run: would send ${request.method} ${request.url} ${JSON.stringify(request.body)}`);
        mde.wouldSend = request;
        msg.payload = null;
        status.info(translate(RED, 'mde-machines.status.dry-run'));
        return;
      }
      const updated = await setTagForMachines(http, request.body.MachineIds, body.Value, body.Action, opts);
      msg.payload = updated;
      mde.count = updated.length;
      status.ok(translate(RED, body.Action === 'Add' ? 'mde-machines.status.tag-added' : 'mde-machines.status.tag-removed', { tag: body.Value.length > 20 ? `${body.Value.slice(0, 19)}…` : body.Value }));
    }

    const status = wireActionNode(RED, node, {
      type: 'mde-machines',
      configId: typeof def.config === 'string' ? def.config : undefined,
      async onInput({ msg, send, status, config, signal }) {
        if (settingsError || !settings) throw settingsError;
        const s = settings;
        const onWait = (info: { waitMs: number }) => status.waiting(translate(RED, 'mde-machines.status.waiting', { seconds: Math.ceil(info.waitMs / 1000) }));
        const opts = { signal, onWait };

        if (s.mode === 'list') {
          const query = queryFromMsg(s.query, msg.filter);
          const checked = checkMachineQuery(query);
          status.requesting(translate(RED, 'mde-machines.status.requesting'));
          const result = await listMachinesPaged(config.connection().http, query, opts);
          msg.payload = result.machines;
          msg.mde = { request: 'list machines', count: result.machines.length, pages: result.pages, truncated: result.truncated, filter: checked.filter };
          status.ok(translate(RED, 'mde-machines.status.count', { count: result.machines.length }));
          send(msg);
          return;
        }

        if (s.mode === 'findbyip') {
          const ipRaw = await evaluateTyped(RED, node, s.ip, msg);
          if (ipRaw === undefined || ipRaw === '') throw new MdeInputError(translate(RED, 'mde-machines.errors.no-ip', { property: describeTyped(s.ip) }));
          const ip = internalIp(ipRaw);
          const tsRaw = s.timestamp.type === 'date' ? Date.now() : await evaluateTyped(RED, node, s.timestamp, msg);
          if (tsRaw === undefined || tsRaw === '') throw new MdeInputError(translate(RED, 'mde-machines.errors.no-timestamp', { property: describeTyped(s.timestamp) }));
          const at = findByIpTimestamp(tsRaw);
          status.requesting(translate(RED, 'mde-machines.status.requesting'));
          const machines = await findMachinesByIp(config.connection().http, ip, at, opts);
          msg.payload = machines;
          msg.mde = { request: 'find machines by IP', ip, timestamp: at.toISOString(), count: machines.length };
          status.ok(translate(RED, 'mde-machines.status.count', { count: machines.length }));
          send(msg);
          return;
        }

        let tagBody: { Value: string; Action: TagAction } | undefined;
        if (s.mode === 'tag') {
          const value = await evaluateTyped(RED, node, s.tagValue, msg);
          if (value === undefined || value === '') throw new MdeInputError(translate(RED, 'mde-machines.errors.no-tag', { property: describeTyped(s.tagValue) }));
          tagBody = tagRequestBody(value, s.tagAction);
          const raw = await evaluateTyped(RED, node, s.machine, msg);
          if (Array.isArray(raw)) {
            await tagMany(s, config, msg, raw, tagBody, opts);
            send(msg);
            return;
          }
        }
        const target = await machineFor(s, msg);

        status.requesting(translate(RED, 'mde-machines.status.requesting'));
        const http = config.connection().http;
        const machine = await resolve(http, target, opts);
        const mde: Record<string, unknown> = { machineId: machine.id, computerDnsName: machine.computerDnsName };

        /** A list read about the machine: the items as payload, how they were paged on msg.mde. */
        const putList = (request: string, items: unknown[], paging: { pages: number; truncated: boolean }): void => {
          msg.payload = items;
          Object.assign(mde, { request, count: items.length, pages: paging.pages, truncated: paging.truncated });
          status.ok(translate(RED, 'mde-machines.status.count', { count: items.length }));
        };

        switch (s.mode) {
          case 'get':
            msg.payload = machine;
            Object.assign(mde, { request: 'get machine' });
            status.ok(machine.computerDnsName || machine.id);
            break;
          case 'alerts': {
            const result = await listMachineAlerts(http, machine.id, { maxResults: s.maxResults }, opts);
            putList('machine alerts', result.alerts, result);
            break;
          }
          case 'logonusers': {
            const result = await getLogonUsers(http, machine.id, s.maxResults, opts);
            putList('logged-on users', result.items, result);
            break;
          }
          case 'software': {
            const result = await getInstalledSoftware(http, machine.id, s.maxResults, opts);
            putList('installed software', result.items, result);
            break;
          }
          case 'vulnerabilities': {
            const result = await getDiscoveredVulnerabilities(http, machine.id, s.maxResults, opts);
            putList('vulnerabilities', result.items, result);
            break;
          }
          case 'tag': {
            const body = tagBody!;
            const request = { method: 'POST', url: `${config.connection().cloud.apiBaseUrl}/api/machines/${machine.id}/tags`, body };
            Object.assign(mde, { request: 'tag machine', tag: body.Value, tagAction: body.Action, dryRun: s.dryRun });
            if (s.dryRun) {
              node.log(`dry run: would send ${request.method} ${request.url} ${JSON.stringify(body)}`);
              mde.wouldSend = request;
              msg.payload = machine;
              status.info(translate(RED, 'mde-machines.status.dry-run'));
              break;
            }
            const updated = await setMachineTag(http, machine.id, body.Value, body.Action, opts);
            msg.payload = updated;
            status.ok(translate(RED, body.Action === 'Add' ? 'mde-machines.status.tag-added' : 'mde-machines.status.tag-removed', { tag: body.Value.length > 20 ? `${body.Value.slice(0, 19)}…` : body.Value }));
            break;
          }
        }
        msg.mde = mde;
        send(msg);
      },
    });

    if (settingsError || !settings) {
      // Refused at deploy (and for every message): the flow carries a value this node does not know.
      status.error(settingsError?.code ?? 'InvalidSetting');
      node.error(settingsError?.message ?? 'Invalid settings.');
    }
  }

  RED.nodes.registerType('mde-machines', MdeMachines as never);
};
