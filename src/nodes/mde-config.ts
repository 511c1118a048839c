// Config node: one tenant + one app registration. Owns the shared connection (token cache,
// HTTP agent, rate governor) and the isolation safety ledger; action nodes borrow them.
import * as os from 'node:os';
import * as path from 'node:path';
import { MdeConnection } from '../client/connection';
import { MdeError, MdeInputError } from '../client/errors';
import { describe } from '../client/validate';
import { ActionJournal } from '../client/safety/action-journal';
import { IsolationGuard, type GuardSnapshot } from '../client/safety/isolation-guard';
import { LocalActionLedger, SharedActionLedger, type ActionLedger } from '../client/safety/action-ledger';
import { redactedUrl, type SharedState } from '../client/state/shared-state';
import { readSharedStateSettings, type SharedStateProperties } from './shared/shared-state-settings';
import type { MdeConfigNode } from './shared/config-handle';
import { buildConnectionSettings, CREDENTIAL_TYPES, type ConfigCredentials, type ConfigProperties } from './shared/config-settings';
import type { NodeAPI, NodeDef } from './shared/node-types';
import type { ConnectionSettings } from '../client/types';
import { registerTestConnectionRoute } from './shared/test-connection';
import { proxySettingsFor } from './shared/proxy-settings';
import { indicatorRailsFor, type IndicatorRailSettings } from './shared/indicator-rails';
import { partnerConnectionFor } from './shared/partner-connection';

interface MdeConfigDef extends NodeDef, ConfigProperties, IndicatorRailSettings, SharedStateProperties {
  /** "tenant" (one tenant, the default) or "partner" (one multi-tenant app, the customer tenants below). */
  mode?: unknown;
  /** Partner mode: [{ tenant, name, cloud?, region? }]. */
  tenants?: unknown;
  isolationCap?: number | string;
  isolationWindowMinutes?: number | string;
  /** Id of the core `http proxy` config node; empty: the proxy environment variables apply. */
  proxy?: string;
}

const journals = new Map<string, ActionJournal>();

/** One journal per state directory, shared by all config nodes, so writes never race. */
function journalFor(dir: string): ActionJournal {
  let journal = journals.get(dir);
  if (!journal) {
    journal = new ActionJournal(path.join(dir, 'mde-action-journal.json'));
    journals.set(dir, journal);
    // Opened at once: a journal written by an older version (whole messages, tokens included)
    // is rewritten without them even if no isolate node runs.
    void journal.open();
  }
  return journal;
}

/**
 * A number of the isolation rail as the dialog stores it (a number or its digits); absent or empty
 * → the default. Anything else is refused, never replaced by the default: a hand-edited flow with
 * `isolationCap: "lots"` must not quietly get a cap of 5.
 */
function railNumber(value: unknown, prop: string, fallback: number, integer: boolean): number {
  if (value === undefined || value === null || value === '') return fallback;
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(value) ? Number(value) : NaN;
  if (Number.isFinite(n) && n >= 1 && (!integer || Number.isInteger(n))) return n;
  const allowed = integer ? 'a whole number, at least 1' : 'a number of minutes, at least 1';
  throw new MdeInputError(`The Defender connection setting "${prop}" is ${describe(value)}; allowed: ${allowed}. Open the connection and correct it.`, 'InvalidSetting');
}

export = function register(RED: NodeAPI): void {
  const stateDir = String(
    (RED.settings as unknown as Record<string, unknown>).mdeConfigStateDir ??
      (RED.settings as unknown as Record<string, unknown>).userDir ??
      path.join(os.homedir(), '.node-red'),
  );

  // settings.js `mdeConfigRateLimits`: per-family budgets ({ alerts: [{ limit, windowMs }] ...})
  // or false to lift the governor (benchmarks, private test endpoints). Default: MDE's budgets.
  const rateLimits = (RED.settings as unknown as Record<string, unknown>).mdeConfigRateLimits as ConnectionSettings['rateLimits'] | undefined;

  function MdeConfig(this: MdeConfigNode & { credentials: ConfigCredentials }, def: MdeConfigDef): void {
    RED.nodes.createNode(this, def);
    const node = this as MdeConfigNode & { credentials: ConfigCredentials };
    let connection: MdeConnection | undefined;
    let guard: Promise<IsolationGuard> | undefined;
    let sharedLedger: SharedActionLedger | undefined;
    let isolationCap = 5;
    let isolationWindowMs = 10 * 60_000;
    let railError: MdeError | undefined;
    try {
      isolationCap = railNumber(def.isolationCap, 'isolationCap', 5, true);
      isolationWindowMs = railNumber(def.isolationWindowMinutes, 'isolationWindowMinutes', 10, false) * 60_000;
    } catch (err) {
      // Every node of this connection then reports it (red InvalidSetting) at deploy and per message.
      railError = err as MdeError;
    }
    const journal = journalFor(stateDir);

    Object.assign(node, {
      // Never trust the stored type: a hand-edited flow with a numeric tenant must not stop this
      // node (the action nodes then report the setting through connection()).
      tenantId: typeof def.tenantId === 'string' ? def.tenantId.trim() : '',
      isolationCap,
      isolationWindowMs,
      journal,
      connection(): MdeConnection {
        if (railError) throw railError;
        if (!connection) {
          const sharedState = readSharedStateSettings(def, node.credentials ?? {}, RED.settings as unknown as Record<string, unknown>);
          connection = new MdeConnection({
            ...buildConnectionSettings(def, node.credentials ?? {}),
            proxy: proxySettingsFor(RED, def.proxy),
            ...(rateLimits === undefined ? {} : { rateLimits }),
            ...(sharedState ? { sharedState } : {}),
          });
          const shared = connection.shared;
          if (shared && sharedState) {
            const where = redactedUrl(sharedState.url);
            // Told once per change, without the password (never in the URL: refused there).
            shared.onHealth((h) => {
              if (h === 'down') node.warn(`Shared state (Redis at ${where}) is unreachable: reads continue on this instance's share of the rate budget; isolate, release and the other response actions are refused until it is back.`);
              else if (h === 'up') node.log(`Shared state (Redis at ${where}) connected.`);
            });
          }
        }
        return connection;
      },
      sharedState(): SharedState | undefined {
        return node.connection().shared;
      },
      async actionLedger(): Promise<ActionLedger> {
        const shared = node.connection().shared;
        if (shared) {
          sharedLedger ??= new SharedActionLedger(shared, { cap: isolationCap, capWindowMs: isolationWindowMs });
          return sharedLedger;
        }
        return new LocalActionLedger(await node.isolationGuard(), () => node.saveIsolationGuard());
      },
      isolationGuard(): Promise<IsolationGuard> {
        guard ??= journal.guardState(node.id).then((state) => {
          const g = new IsolationGuard(isolationCap, isolationWindowMs);
          g.restore(state as Partial<GuardSnapshot> | undefined);
          return g;
        });
        return guard;
      },
      async saveIsolationGuard(): Promise<void> {
        if (!guard) return;
        await journal.saveGuardState(node.id, (await guard).snapshot());
      },
      // Never-block list and blocking cap of the indicator nodes (built once, checked strictly).
      indicatorRails: indicatorRailsFor(def),
    });

    // ---- Partner (MSSP) mode: one app, a connection per customer tenant (own block: see partner-connection.ts).
    const partner = partnerConnectionFor(node, def, () => node.credentials ?? {}, {
      journal,
      isolationCap,
      isolationWindowMs,
      ...(railError ? { settingsError: railError } : {}),
      extraSettings: () => {
        // Shared state (Redis) as on a single-tenant connection; each tenant gets its own key namespace.
        const sharedState = readSharedStateSettings(def, node.credentials ?? {}, RED.settings as unknown as Record<string, unknown>);
        return { proxy: proxySettingsFor(RED, def.proxy), ...(rateLimits === undefined ? {} : { rateLimits }), ...(sharedState ? { sharedState } : {}) };
      },
    });
    if (partner) Object.assign(node, { partner: partner.handle, connection: partner.unscopedConnection });

    node.on('close', (_removed: boolean, done: () => void) => {
      const closing = Promise.all([connection?.close(), partner?.close()]);
      connection = undefined;
      sharedLedger = undefined;
      Promise.resolve(closing)
        .catch((err: unknown) => node.warn(err instanceof Error ? err.message : String(err)))
        .finally(() => done());
    });
  }

  RED.nodes.registerType('mde-config', MdeConfig as never, { credentials: CREDENTIAL_TYPES as never });
  registerTestConnectionRoute(RED);
};
