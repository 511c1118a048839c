// Any MDE or Graph path and method with the connection's token, governor, retries and paging: the
// long tail of the API that no dedicated node covers. Settings are read strictly at deploy (an
// unknown value is refused, never defaulted); the path is a template whose values each become one
// encoded segment; a POST / PATCH is sent once unless the node says resending is safe.
import { translate } from './shared/i18n';
import { MdeError, MdeInputError } from '../client/errors';
import { compilePathTemplate, familyForPath, renderPath, type PathPart } from '../client/request/path';
import { REQUEST_METHODS, checkBody, checkQuery, sendGenericRequest, type Paging, type QueryValues, type RequestMethod } from '../client/request/send';
import type { Audience } from '../client/types';
import { describe } from '../client/validate';
import { booleanSetting, choiceSetting, textSetting, type Settings } from './shared/action-settings';
import { wireActionNode } from './shared/base';
import { sendSplit } from './shared/emit';
import type { Node, NodeAPI, NodeDef } from './shared/node-types';

interface RequestSettings {
  audience: Audience;
  method: RequestMethod;
  path: PathPart[];
  query: QueryValues;
  paging: Paging;
  split: boolean;
  safeToResend: boolean;
}

function invalid(prop: string, value: unknown, allowed: string): never {
  throw new MdeInputError(`The node setting "${prop}" is ${describe(value)}; allowed: ${allowed}. Open the node and choose a value.`, 'InvalidSetting');
}

/** A whole number in [min, max]; the editor stores numbers or their text. Absent: `fallback`. */
function wholeNumberSetting(def: Settings, prop: string, min: number, max: number, fallback: number): number {
  const v = def[prop];
  if (v === undefined || v === null) return fallback;
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*\d+\s*$/.test(v) ? Number(v) : NaN;
  if (Number.isSafeInteger(n) && n >= min && n <= max) return n;
  return invalid(prop, v, `a whole number from ${min} to ${max}`);
}

function querySetting(def: Settings): QueryValues {
  const text = textSetting(def, 'query', '');
  if (!text.trim()) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return invalid('query', text, 'a JSON object such as {"$filter": "healthStatus eq \'Active\'"}');
  }
  try {
    return checkQuery(parsed, 'The node setting "query"');
  } catch (e) {
    throw new MdeInputError((e as Error).message, 'InvalidSetting');
  }
}

function readSettings(def: Settings): RequestSettings {
  const audience = choiceSetting(def, 'api', ['mde', 'graph'] as const);
  const method = choiceSetting(def, 'method', REQUEST_METHODS);
  let path: PathPart[];
  try {
    path = compilePathTemplate(def.path, audience);
  } catch (e) {
    throw new MdeInputError(`The node setting "path": ${(e as Error).message}`, 'InvalidSetting');
  }
  const mode = choiceSetting(def, 'paging', ['none', 'nextLink', 'skip'] as const, 'none');
  if (mode !== 'none' && method !== 'GET') invalid('paging', mode, `"none" for a ${method} request (only GET reads pages)`);
  const maxItems = wholeNumberSetting(def, 'maxItems', 1, 1_000_000, 10_000);
  const paging: Paging = mode === 'none' ? { mode } : mode === 'nextLink' ? { mode, maxItems } : { mode, maxItems, pageSize: wholeNumberSetting(def, 'pageSize', 1, 10_000, 100) };
  const output = choiceSetting(def, 'output', ['array', 'split'] as const, 'array');
  if (output === 'split' && mode === 'none') invalid('output', output, '"array" without paging (split sends one message per collected item)');
  const query = querySetting(def);
  const safeToResend = booleanSetting(def, 'safeToResend', false);
  return { audience, method, path, query, paging, split: output === 'split', safeToResend };
}

/** $top / $skip belong to the node in $skip paging: a caller's own would page wrongly. */
function checkPagingQuery(query: QueryValues, paging: Paging): void {
  if (paging.mode !== 'skip') return;
  const own = Object.keys(query).find((k) => ['$top', '$skip'].includes(k.toLowerCase()));
  if (own) throw new MdeInputError(`The query sets ${own}, which $skip paging sets itself; use the page size and max items settings instead.`);
}

export = function register(RED: NodeAPI): void {
  function MdeRequest(this: Node, def: NodeDef & Settings): void {
    RED.nodes.createNode(this, def);
    const node = this;
    let settings: RequestSettings | undefined;
    let settingsError: MdeError | undefined;
    try {
      settings = readSettings(def);
      checkPagingQuery(settings.query, settings.paging);
    } catch (err) {
      settingsError = err instanceof MdeError ? err : new MdeInputError(String(err), 'InvalidSetting');
      if (settingsError.code === 'InvalidInput') settingsError = new MdeInputError(settingsError.message, 'InvalidSetting');
    }

    const status = wireActionNode(RED, node, {
      type: 'mde-request',
      configId: typeof def.config === 'string' ? def.config : undefined,
      async onInput({ msg, send, status, config, signal }) {
        if (settingsError || !settings) throw settingsError;
        const s = settings;
        const path = renderPath(s.path, msg);
        const query = { ...s.query, ...checkQuery((msg as Record<string, unknown>).query, 'msg.query') };
        checkPagingQuery(query, s.paging);
        const writes = s.method === 'POST' || s.method === 'PATCH';
        const body = writes ? checkBody(msg.payload, s.method) : undefined;
        const request = `${s.method} ${path}`;
        msg.mde = { request };
        status.requesting(translate(RED, 'mde-request.status.requesting', { method: s.method }));
        const result = await sendGenericRequest(config.connection().http, {
          audience: s.audience,
          family: familyForPath(s.audience, path),
          method: s.method,
          path,
          query,
          body,
          safeToResend: s.safeToResend,
          paging: s.paging,
          signal,
          onWait: (info) => status.waiting(translate(RED, 'mde-request.status.waiting', { seconds: Math.ceil(info.waitMs / 1000) })),
          onPage: ({ pages, count }) => status.requesting(translate(RED, 'mde-request.status.page', { pages, count })),
        });
        msg.mde = { request, status: result.status, pages: result.pages, count: result.count, ...(s.paging.mode === 'none' ? {} : { truncated: result.truncated }) };
        status.ok(
          s.paging.mode === 'none'
            ? translate(RED, 'mde-request.status.done', { status: result.status })
            : translate(RED, 'mde-request.status.count', { count: result.count ?? 0 }),
        );
        if (s.split && Array.isArray(result.payload)) {
          await sendSplit(send, msg, result.payload, signal);
        } else {
          msg.payload = result.payload;
          send(msg);
        }
      },
    });

    if (settingsError || !settings) {
      // Refused at deploy (and for every message): the flow carries a value this node does not know.
      status.error(settingsError?.code ?? 'InvalidSetting');
      node.warn(settingsError?.message ?? 'Invalid settings.');
    }
  }

  RED.nodes.registerType('mde-request', MdeRequest as never);
};
