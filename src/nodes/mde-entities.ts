// File, IP, domain and user lookups: a file's information and prevalence, an IP's or a domain's
// prevalence, and the machines or alerts related to a file, an IP, a domain or a user. Every
// dialog value is checked at deploy and every message value before anything is sent.
import { translate } from './shared/i18n';
import { MdeApiError, MdeError, MdeInputError } from '../client/errors';
import { MAX_COLLECTION_RESULTS, type CollectionResult } from '../client/mde/collection';
import { fileHash, getFile, getFileStats, listFileAlerts, listFileMachines, type HashKind } from '../client/mde/files';
import { getIpStats, ipAddress, listIpAlerts } from '../client/mde/ips';
import { domainName, getDomainStats, listDomainAlerts, listDomainMachines } from '../client/mde/domains';
import { listUserAlerts, listUserMachines, userName } from '../client/mde/users';
import { lookBackHours, MAX_LOOK_BACK_HOURS } from '../client/mde/look-back';
import type { RequestOptions } from '../client/mde/alerts';
import type { MdeHttp } from '../client/transport/http';
import { describe } from '../client/validate';
import { choiceSetting, textSetting, type Settings } from './shared/action-settings';
import { wireActionNode } from './shared/base';
import type { Node, NodeAPI, NodeDef, NodeMessageInFlow, TypedValue } from './shared/node-types';
import { describeTyped, evaluateTyped } from './shared/typed-input';

const ENTITY_MODES = [
  'file-info', 'file-stats', 'file-machines', 'file-alerts',
  'ip-stats', 'ip-alerts',
  'domain-stats', 'domain-machines', 'domain-alerts',
  'user-machines', 'user-alerts',
] as const;
type Mode = (typeof ENTITY_MODES)[number];
type Kind = 'file' | 'ip' | 'domain' | 'user';
const TYPED = ['msg', 'flow', 'global', 'str', 'env', 'jsonata'] as const;

/** What each mode asks for, how msg.mde names it, and which call answers it. */
interface ModeSpec {
  kind: Kind;
  request: string;
  result: 'entity' | 'stats' | 'list';
  /** Hash kinds a file mode takes (as each reference page documents). */
  hashes?: readonly HashKind[];
}

const MODES: Record<Mode, ModeSpec> = {
  'file-info': { kind: 'file', request: 'file information', result: 'entity', hashes: ['SHA-1', 'SHA-256'] },
  'file-stats': { kind: 'file', request: 'file statistics', result: 'stats', hashes: ['SHA-1'] },
  'file-machines': { kind: 'file', request: 'file related machines', result: 'list', hashes: ['SHA-1'] },
  'file-alerts': { kind: 'file', request: 'file related alerts', result: 'list', hashes: ['SHA-1'] },
  'ip-stats': { kind: 'ip', request: 'IP statistics', result: 'stats' },
  'ip-alerts': { kind: 'ip', request: 'IP related alerts', result: 'list' },
  'domain-stats': { kind: 'domain', request: 'domain statistics', result: 'stats' },
  'domain-machines': { kind: 'domain', request: 'domain related machines', result: 'list' },
  'domain-alerts': { kind: 'domain', request: 'domain related alerts', result: 'list' },
  'user-machines': { kind: 'user', request: 'user related machines', result: 'list' },
  'user-alerts': { kind: 'user', request: 'user related alerts', result: 'list' },
};

interface EntitiesSettings {
  mode: Mode;
  entity: TypedValue;
  lookBackHours: number | undefined;
  maxResults: number;
  onNotFound: 'error' | 'null';
}

function invalidSetting(prop: string, reason: string): MdeInputError {
  return new MdeInputError(`The node setting "${prop}" is not valid: ${reason} Open the node and correct it.`, 'InvalidSetting');
}

/** A whole number the dialog stored as a number or as its digits; `blank` when absent or empty. */
function wholeNumberSetting<B>(def: Settings, prop: string, max: number, blank: B): number | B {
  const v = def[prop];
  if (v === undefined || v === null || v === '') return blank;
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*\d+\s*$/.test(v) ? Number(v) : NaN;
  if (Number.isInteger(n) && n >= 1 && n <= max) return n;
  throw new MdeInputError(`The node setting "${prop}" is ${describe(v)}; allowed: a whole number from 1 to ${max}. Open the node and choose a value.`, 'InvalidSetting');
}

/** Every setting checked at deploy, whatever the mode: an unknown value is refused, never read as a default. */
function readEntitiesSettings(def: Settings): EntitiesSettings {
  const mode = choiceSetting(def, 'mode', ENTITY_MODES, 'file-info');
  const entity: TypedValue = { value: textSetting(def, 'entity', 'payload'), type: choiceSetting(def, 'entityType', TYPED, 'msg') };
  if (entity.type === 'str') {
    // A value typed into the dialog is checked now; one read from msg / context per message.
    try {
      checkEntity(mode, entity.value);
    } catch (err) {
      if (err instanceof MdeError) throw invalidSetting('entity', err.summary);
      throw err;
    }
  }
  return {
    mode,
    entity,
    lookBackHours: wholeNumberSetting(def, 'lookBackHours', MAX_LOOK_BACK_HOURS, undefined),
    maxResults: wholeNumberSetting(def, 'maxResults', MAX_COLLECTION_RESULTS, 10_000),
    onNotFound: choiceSetting(def, 'onNotFound', ['error', 'null'] as const, 'error'),
  };
}

/** The entity a mode takes, validated as the reference page documents it. */
function checkEntity(mode: Mode, raw: unknown): string {
  const spec = MODES[mode];
  switch (spec.kind) {
    case 'file':
      return fileHash(raw, spec.hashes).hash;
    case 'ip':
      return ipAddress(raw);
    case 'domain':
      return domainName(raw);
    case 'user':
      return userName(raw);
  }
}

async function lookUp(http: MdeHttp, mode: Mode, entity: string, hours: number | undefined, maxResults: number, opts: RequestOptions): Promise<unknown> {
  switch (mode) {
    case 'file-info': return getFile(http, entity, opts);
    case 'file-stats': return getFileStats(http, entity, hours, opts);
    case 'file-machines': return listFileMachines(http, entity, maxResults, opts);
    case 'file-alerts': return listFileAlerts(http, entity, maxResults, opts);
    case 'ip-stats': return getIpStats(http, entity, hours, opts);
    case 'ip-alerts': return listIpAlerts(http, entity, maxResults, opts);
    case 'domain-stats': return getDomainStats(http, entity, hours, opts);
    case 'domain-machines': return listDomainMachines(http, entity, maxResults, opts);
    case 'domain-alerts': return listDomainAlerts(http, entity, maxResults, opts);
    case 'user-machines': return listUserMachines(http, entity, maxResults, opts);
    case 'user-alerts': return listUserAlerts(http, entity, maxResults, opts);
  }
}

export = function register(RED: NodeAPI): void {
  function MdeEntities(this: Node, def: NodeDef & Settings): void {
    RED.nodes.createNode(this, def);
    const node = this;
    let settings: EntitiesSettings | undefined;
    let settingsError: MdeError | undefined;
    try {
      settings = readEntitiesSettings(def);
    } catch (err) {
      settingsError = err instanceof MdeError ? err : new MdeInputError(String(err), 'InvalidSetting');
    }

    /** The entity the message names, checked before any request; the error says where it was read. */
    async function entityFor(s: EntitiesSettings, msg: NodeMessageInFlow): Promise<string> {
      const raw = await evaluateTyped(RED, node, s.entity, msg);
      const kind = MODES[s.mode].kind;
      if (raw === undefined || raw === null || (typeof raw === 'string' && !raw.trim())) {
        throw new MdeInputError(translate(RED, `mde-entities.errors.no-${kind}`, { property: describeTyped(s.entity) }), 'MissingEntity');
      }
      try {
        return checkEntity(s.mode, raw);
      } catch (err) {
        if (err instanceof MdeError) throw new MdeInputError(`${err.summary.replace(/\.$/, '')} (read from ${describeTyped(s.entity)}).`, { code: err.code, hint: err.hint });
        throw err;
      }
    }

    /** msg.lookBackHours replaces the dialog's value in the statistics modes: a whole number of hours, 1 to 720. */
    function hoursFor(s: EntitiesSettings, msg: NodeMessageInFlow): number | undefined {
      const given = (msg as Record<string, unknown>).lookBackHours;
      if (given === undefined) return s.lookBackHours;
      try {
        return lookBackHours(given);
      } catch (err) {
        if (err instanceof MdeError) throw new MdeInputError(`msg.lookBackHours: ${err.summary}`, err.code);
        throw err;
      }
    }

    const status = wireActionNode(RED, node, {
      type: 'mde-entities',
      configId: typeof def.config === 'string' ? def.config : undefined,
      async onInput({ msg, send, status, config, signal }) {
        if (settingsError || !settings) throw settingsError;
        const s = settings;
        const spec = MODES[s.mode];
        const entity = await entityFor(s, msg);
        const hours = spec.result === 'stats' ? hoursFor(s, msg) : undefined;
        const onWait = (info: { waitMs: number }) => status.waiting(translate(RED, 'mde-entities.status.waiting', { seconds: Math.ceil(info.waitMs / 1000) }));
        const mde: Record<string, unknown> = { request: spec.request, mode: s.mode, entityType: spec.kind, entity };
        if (hours !== undefined) mde.lookBackHours = hours;

        status.requesting(translate(RED, 'mde-entities.status.requesting'));
        let answer: unknown;
        try {
          answer = await lookUp(config.connection().http, s.mode, entity, hours, s.maxResults, { signal, onWait });
        } catch (err) {
          // Only the file APIs answer 404 for an unknown entity; the others answer empty or zero.
          if (s.onNotFound === 'null' && err instanceof MdeApiError && err.code === 'FileNotFound') {
            msg.payload = null;
            msg.mde = { ...mde, found: false };
            status.info(translate(RED, 'mde-entities.status.not-found'));
            send(msg);
            return;
          }
          throw err;
        }
        if (spec.result === 'list') {
          const list = answer as CollectionResult<unknown>;
          msg.payload = list.items;
          Object.assign(mde, { count: list.items.length, pages: list.pages, truncated: list.truncated });
          status.ok(translate(RED, 'mde-entities.status.count', { count: list.items.length }));
        } else {
          msg.payload = answer;
          mde.found = true;
          const prevalence = (answer as { organizationPrevalence?: unknown }).organizationPrevalence;
          status.ok(spec.result === 'stats' && typeof prevalence === 'number'
            ? translate(RED, 'mde-entities.status.prevalence', { count: prevalence })
            : entity.length > 20 ? `${entity.slice(0, 19)}…` : entity);
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

  RED.nodes.registerType('mde-entities', MdeEntities as never);
};
