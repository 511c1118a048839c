// Custom indicators: submit (or update), list, delete and batch import, with the connection's
// rails: the never-block list (a blocking indicator on a protected value is refused before any
// request), a cap on blocking indicators per window, dry run, and writes never resent on 5xx.
import { translate } from './shared/i18n';
import { MdeError, MdeInputError } from '../client/errors';
import { deleteIndicator, importChunks, importIndicatorBatch, listIndicators, submitIndicator, type ImportResult } from '../client/mde/indicators';
import {
  IMPORT_BATCH_MAX, INDICATOR_ACTIONS, INDICATOR_SEVERITIES, INDICATOR_TYPES, checkIndicator, checkIndicatorId, isBlockingAction,
  type IndicatorSubmission,
} from '../client/mde/indicator-values';
import { renderTextTemplate } from '../client/templates';
import { describe } from '../client/validate';
import { booleanSetting, choiceSetting, listSetting, textSetting, type Settings } from './shared/action-settings';
import { wireActionNode } from './shared/base';
import type { MdeConfigNode } from './shared/config-handle';
import type { IndicatorRails } from './shared/indicator-rails';
import type { Node, NodeAPI, NodeDef, NodeMessageInFlow, TypedValue } from './shared/node-types';
import type { StatusReporter } from './shared/status';
import { describeTyped, evaluateTyped } from './shared/typed-input';

const MODES = ['submit', 'list', 'delete', 'import'] as const;
type Mode = (typeof MODES)[number];
const TYPED = ['msg', 'flow', 'global', 'str', 'env', 'jsonata'] as const;

interface IndicatorSettings {
  mode: Mode;
  /** submit: the whole indicator comes from msg.payload ('msg') or from the dialog ('dialog'). */
  source: 'dialog' | 'msg';
  indicatorType: (typeof INDICATOR_TYPES)[number];
  value: TypedValue;
  action: (typeof INDICATOR_ACTIONS)[number];
  severity: '' | (typeof INDICATOR_SEVERITIES)[number];
  title: string;
  description: string;
  recommendedActions: string;
  application: string;
  educateUrl: string;
  expirationDays: number;
  generateAlert: 'default' | 'true' | 'false';
  rbacGroupNames: string[];
  indicatorId: TypedValue;
  list: Record<string, unknown>;
  chunkSize: number;
  dryRun: boolean;
}

function wholeSetting(def: Settings, prop: string, min: number, max: number, fallback: number): number {
  const v = def[prop];
  if (v === undefined || v === null || v === '') return fallback;
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*\d+\s*$/.test(v) ? Number(v) : NaN;
  if (Number.isInteger(n) && n >= min && n <= max) return n;
  throw new MdeInputError(`The node setting "${prop}" is ${describe(v)}; allowed: a whole number from ${min} to ${max}. Open the node and choose a value.`, 'InvalidSetting');
}

function choiceList(def: Settings, prop: string, allowed: readonly string[]): string[] | undefined {
  const items = listSetting(def, prop, []);
  for (const x of items) {
    if (!allowed.includes(x)) throw new MdeInputError(`The node setting "${prop}" holds "${x}"; allowed: ${allowed.join(', ')}. Open the node and choose a value.`, 'InvalidSetting');
  }
  return items.length ? items : undefined;
}

/** Every setting checked at deploy, whatever the mode: an unknown value is refused, never read as a default. */
function readSettings(def: Settings): IndicatorSettings {
  const list: Record<string, unknown> = {};
  const types = choiceList(def, 'listTypes', INDICATOR_TYPES);
  if (types) list.indicatorType = types;
  const actions = choiceList(def, 'listActions', INDICATOR_ACTIONS);
  if (actions) list.action = actions;
  const severities = choiceList(def, 'listSeverities', INDICATOR_SEVERITIES);
  if (severities) list.severity = severities;
  list.pageSize = wholeSetting(def, 'pageSize', 1, 10_000, 1000);
  list.maxResults = wholeSetting(def, 'maxResults', 1, 100_000, 10_000);
  const settings: IndicatorSettings = {
    mode: choiceSetting(def, 'mode', MODES, 'submit'),
    source: choiceSetting(def, 'source', ['dialog', 'msg'] as const, 'dialog'),
    indicatorType: choiceSetting(def, 'indicatorType', INDICATOR_TYPES, 'FileSha256'),
    value: { value: textSetting(def, 'value', 'indicatorValue'), type: choiceSetting(def, 'valueType', TYPED, 'msg') },
    action: choiceSetting(def, 'action', INDICATOR_ACTIONS, 'Alert'),
    severity: choiceSetting(def, 'severity', ['', ...INDICATOR_SEVERITIES] as const, ''),
    title: textSetting(def, 'title', ''),
    description: textSetting(def, 'description', ''),
    recommendedActions: textSetting(def, 'recommendedActions', ''),
    application: textSetting(def, 'application', ''),
    educateUrl: textSetting(def, 'educateUrl', ''),
    expirationDays: wholeSetting(def, 'expirationDays', 0, 3650, 0),
    generateAlert: choiceSetting(def, 'generateAlert', ['default', 'true', 'false'] as const, 'default'),
    rbacGroupNames: listSetting(def, 'rbacGroupNames', []),
    indicatorId: { value: textSetting(def, 'indicatorId', 'indicatorId'), type: choiceSetting(def, 'indicatorIdType', TYPED, 'msg') },
    list,
    chunkSize: wholeSetting(def, 'chunkSize', 1, IMPORT_BATCH_MAX, IMPORT_BATCH_MAX),
    dryRun: booleanSetting(def, 'dryRun', false),
  };
  // post-ti-indicator.md: title and description are required; a dialog that describes the
  // indicator must give them (templates may still render empty, which is refused per message).
  if (settings.mode === 'submit' && settings.source === 'dialog') {
    for (const prop of ['title', 'description'] as const) {
      if (!settings[prop].trim()) throw new MdeInputError(`The node setting "${prop}" is empty; Defender requires an indicator ${prop}. Open the node and type one.`, 'InvalidSetting');
    }
  }
  return settings;
}

export = function register(RED: NodeAPI): void {
  function MdeIndicators(this: Node, def: NodeDef & Settings): void {
    RED.nodes.createNode(this, def);
    const node = this;
    let settings: IndicatorSettings | undefined;
    let settingsError: MdeError | undefined;
    try {
      settings = readSettings(def);
    } catch (err) {
      settingsError = err instanceof MdeError ? err : new MdeInputError(String(err), 'InvalidSetting');
    }
    const configId = typeof def.config === 'string' ? def.config : undefined;
    let status!: StatusReporter;
    const t = (key: string, vars?: Record<string, string | number>) => translate(RED, `mde-indicators.${key}`, vars);

    /** The indicator the dialog describes, for this message (templates rendered from msg). */
    async function dialogIndicator(s: IndicatorSettings, msg: NodeMessageInFlow): Promise<Record<string, unknown>> {
      const value = await evaluateTyped(RED, node, s.value, msg);
      if (value === undefined || value === null || value === '') throw new MdeInputError(t('errors.no-value', { property: describeTyped(s.value) }));
      const view = msg as unknown as Record<string, unknown>;
      const out: Record<string, unknown> = {
        indicatorValue: value,
        indicatorType: s.indicatorType,
        action: s.action,
        title: renderTextTemplate(s.title, view).trim(),
        description: renderTextTemplate(s.description, view).trim(),
      };
      if (s.severity) out.severity = s.severity;
      const recommended = renderTextTemplate(s.recommendedActions, view).trim();
      if (recommended) out.recommendedActions = recommended;
      if (s.application.trim()) out.application = s.application.trim();
      if (s.educateUrl.trim()) out.educateUrl = s.educateUrl.trim();
      if (s.expirationDays > 0) out.expirationTime = new Date(Date.now() + s.expirationDays * 86_400_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
      if (s.generateAlert !== 'default') out.generateAlert = s.generateAlert === 'true';
      if (s.rbacGroupNames.length) out.rbacGroupNames = s.rbacGroupNames;
      return out;
    }

    /** Refuses a blocking indicator on a never-block value (every offender named, up to five). */
    function checkNeverBlock(rails: IndicatorRails, items: readonly IndicatorSubmission[], labelOf: (i: number) => string): void {
      const hits: string[] = [];
      items.forEach((item, i) => {
        if (!isBlockingAction(item.action)) return;
        const entry = rails.neverBlock.match(item.indicatorType, item.indicatorValue);
        if (entry) hits.push(`${labelOf(i)}${item.indicatorType} ${item.indicatorValue} (never-block entry "${entry}")`);
      });
      if (!hits.length) return;
      const shown = hits.slice(0, 5).join('; ') + (hits.length > 5 ? `; and ${hits.length - 5} more` : '');
      throw new MdeInputError(t('errors.never-block', { count: hits.length, list: shown }), 'NeverBlock');
    }

    function checkCap(rails: IndicatorRails, blocking: number): void {
      if (!blocking) return;
      const cap = rails.cap.check(blocking);
      if (!cap.allowed) {
        throw new MdeInputError(t('errors.cap', { asked: blocking, count: cap.count, limit: cap.limit, minutes: Math.round(cap.windowMs / 60_000) }), 'BlockCap');
      }
    }

    function rails(config: MdeConfigNode): IndicatorRails {
      if (typeof config.indicatorRails !== 'function') throw new MdeInputError(t('errors.no-rails'), 'NoConfig');
      return config.indicatorRails();
    }

    async function submit(s: IndicatorSettings, config: MdeConfigNode, msg: NodeMessageInFlow, signal: AbortSignal): Promise<void> {
      const raw = s.source === 'msg' ? msg.payload : await dialogIndicator(s, msg);
      const body = checkIndicator(raw, s.source === 'msg' ? 'msg.payload' : 'The indicator');
      const r = rails(config);
      checkNeverBlock(r, [body], () => '');
      const blocking = isBlockingAction(body.action) ? 1 : 0;
      checkCap(r, blocking);
      const mde: Record<string, unknown> = { mode: 'submit', indicatorType: body.indicatorType, indicatorValue: body.indicatorValue, action: body.action, dryRun: s.dryRun };
      msg.mde = mde;
      if (s.dryRun) {
        mde.request = { method: 'POST', url: `${config.connection().cloud.apiBaseUrl}/api/indicators`, body };
        msg.payload = null;
        status.info(t('status.dry-run'));
        return;
      }
      status.requesting(t('status.requesting'));
      // Counted before the request leaves: a request whose answer is lost still counts.
      if (blocking) r.cap.record(blocking);
      const indicator = await submitIndicator(config.connection().http, body, { signal });
      mde.indicatorId = indicator.id;
      msg.payload = indicator;
      status.ok(t('status.submitted', { action: body.action, type: body.indicatorType }));
    }

    async function importAll(s: IndicatorSettings, config: MdeConfigNode, msg: NodeMessageInFlow, signal: AbortSignal): Promise<void> {
      const raw = msg.payload;
      if (!Array.isArray(raw)) throw new MdeInputError(t('errors.import-not-array', { got: describe(raw) }));
      if (!raw.length) throw new MdeInputError(t('errors.import-empty'));
      const items = raw.map((x, i) => checkIndicator(x, `msg.payload[${i}]`));
      const r = rails(config);
      checkNeverBlock(r, items, (i) => `msg.payload[${i}] `);
      const blocking = items.filter((x) => isBlockingAction(x.action)).length;
      checkCap(r, blocking);
      const chunks = importChunks(items, s.chunkSize);
      const mde: Record<string, unknown> = { mode: 'import', count: items.length, chunks: chunks.length, dryRun: s.dryRun };
      msg.mde = mde;
      if (s.dryRun) {
        const url = `${config.connection().cloud.apiBaseUrl}/api/indicators/import`;
        mde.requests = chunks.map((c) => ({ method: 'POST', url, body: { Indicators: c } }));
        msg.payload = null;
        status.info(t('status.dry-run'));
        return;
      }
      if (blocking) r.cap.record(blocking);
      const results: ImportResult[] = [];
      for (let i = 0; i < chunks.length; i++) {
        status.requesting(t('status.importing', { chunk: i + 1, chunks: chunks.length }));
        try {
          results.push(...(await importIndicatorBatch(config.connection().http, chunks[i], { signal })));
        } catch (err) {
          // What already went through stays visible to the Catch node; nothing is resent.
          Object.assign(mde, { results, sentChunks: i });
          if (err instanceof MdeError) {
            err.message = `${t('errors.import-chunk', { chunk: i + 1, chunks: chunks.length, sent: i })} ${err.message}`;
          }
          throw err;
        }
      }
      const failed = results.filter((x) => x.isFailed);
      Object.assign(mde, { imported: results.length - failed.length, failed: failed.length, failures: failed.map((x) => ({ indicator: x.indicator, failureReason: x.failureReason })) });
      msg.payload = results;
      if (failed.length) status.error(t('status.import-failed', { failed: failed.length, count: results.length }));
      else status.ok(t('status.imported', { count: results.length }));
    }

    async function remove(s: IndicatorSettings, config: MdeConfigNode, msg: NodeMessageInFlow, signal: AbortSignal): Promise<void> {
      const raw = await evaluateTyped(RED, node, s.indicatorId, msg);
      if (raw === undefined || raw === null || raw === '') throw new MdeInputError(t('errors.no-id', { property: describeTyped(s.indicatorId) }));
      const id = checkIndicatorId(raw, `The indicator ID (${describeTyped(s.indicatorId)})`);
      const mde: Record<string, unknown> = { mode: 'delete', indicatorId: id, dryRun: s.dryRun };
      msg.mde = mde;
      if (s.dryRun) {
        mde.request = { method: 'DELETE', url: `${config.connection().cloud.apiBaseUrl}/api/indicators/${id}` };
        msg.payload = null;
        status.info(t('status.dry-run'));
        return;
      }
      status.requesting(t('status.requesting'));
      await deleteIndicator(config.connection().http, id, { signal });
      msg.payload = { id, deleted: true };
      status.ok(t('status.deleted', { id }));
    }

    async function list(s: IndicatorSettings, config: MdeConfigNode, msg: NodeMessageInFlow, signal: AbortSignal): Promise<void> {
      const extra = (msg as Record<string, unknown>).filter;
      if (extra !== undefined && (extra === null || typeof extra !== 'object' || Array.isArray(extra))) {
        throw new MdeInputError(t('errors.filter-not-object', { got: describe(extra) }));
      }
      const query = { ...s.list, ...((extra as Record<string, unknown> | undefined) ?? {}) };
      status.requesting(t('status.requesting'));
      const result = await listIndicators(config.connection().http, query, { signal });
      msg.payload = result.indicators;
      msg.mde = { mode: 'list', count: result.indicators.length, pages: result.pages, truncated: result.truncated, filter: result.filter };
      status.ok(t('status.count', { count: result.indicators.length }));
    }

    status = wireActionNode(RED, node, {
      type: 'mde-indicators',
      configId,
      async onInput({ msg, send, config, signal }) {
        if (settingsError || !settings) throw settingsError;
        const s = settings;
        if (s.mode === 'submit') await submit(s, config, msg, signal);
        else if (s.mode === 'import') await importAll(s, config, msg, signal);
        else if (s.mode === 'delete') await remove(s, config, msg, signal);
        else await list(s, config, msg, signal);
        send(msg);
      },
    });

    if (settingsError || !settings) {
      status.error(settingsError?.code ?? 'InvalidSetting');
      node.warn(settingsError?.message ?? 'Invalid settings.');
      return;
    }
    // The connection's never-block list and cap are checked at deploy too, so a typo shows red now.
    const config = configId ? (RED.nodes.getNode(configId) as MdeConfigNode | null) : null;
    if (config && typeof config.indicatorRails === 'function') {
      try {
        config.indicatorRails();
      } catch (err) {
        status.error(err instanceof MdeError ? err.code : 'InvalidSetting');
        node.warn((err as Error).message);
      }
    }
  }

  RED.nodes.registerType('mde-indicators', MdeIndicators as never);
};
