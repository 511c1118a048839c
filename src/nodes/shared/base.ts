// The one pipeline every action node uses: resolve config -> act -> status -> send -> done,
// with a single error funnel (done(err)) so Catch nodes see every failure.
import { translate } from './i18n';
import type { MdeConfigNode } from './config-handle';
import type { DoneFn, Node, NodeAPI, NodeMessageInFlow, SendFn, TypedValue } from './node-types';
import { StatusReporter } from './status';
import { MdeError, MdeInputError } from '../../client/errors';
import { describe } from '../../client/validate';
import { describeTyped, evaluateTyped } from './typed-input';
import type { PartnerTenant } from './partner-settings';

export interface InputContext {
  msg: NodeMessageInFlow;
  send: SendFn;
  status: StatusReporter;
  config: MdeConfigNode;
  /** Aborted when the node closes (redeploy, shutdown). */
  signal: AbortSignal;
}

export interface ActionNodeOptions {
  /** Node type, used for i18n keys (`<type>.status.requesting`). */
  type: string;
  configId: string | undefined;
  /**
   * Partner connections: where a message names its customer tenant (a TypedInput on the node).
   * Default `msg.tenantId`. Ignored by single-tenant connections.
   */
  tenant?: TypedValue;
  /**
   * Partner connections: run once per listed tenant from one message (fan-out) instead of the
   * message's tenant. Outputs carry msg.parts so a join node can reassemble them.
   */
  allTenants?: boolean;
  /** A settings error of the node: reported for every message before the tenant is even read. */
  settingsError?: () => Error | undefined;
  onInput(ctx: InputContext): Promise<void>;
  /** Extra close work (after in-flight messages are aborted). */
  onClose?(removed: boolean): Promise<void> | void;
}

/** Short code for the red status ring: the error code where we have one. */
function statusTextFor(err: unknown): string {
  if (err instanceof MdeError) return err.code;
  if (err instanceof Error && err.name !== 'Error') return err.name;
  return 'error';
}

function toError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

/**
 * The node's mde-config, with settings that can make a connection. A missing config node is
 * `NoConfig`; a config node whose settings are wrong (a numeric tenant ID in a hand-edited flow,
 * an http:// URL, no secret stored ...) says what is wrong, keeping that error's code.
 */
export function resolveConfig(RED: NodeAPI, type: string, configId: string | undefined): MdeConfigNode {
  const config = configId ? (RED.nodes.getNode(configId) as MdeConfigNode | null) : null;
  if (!config) throw new MdeInputError(translate(RED, `${type}.errors.no-config`), 'NoConfig');
  const invalid = (reason: string, code = 'InvalidInput', hint?: string) =>
    new MdeInputError(translate(RED, `${type}.errors.config-invalid`, { reason }), { code, hint });
  if (typeof (config as Partial<MdeConfigNode>).connection !== 'function') {
    throw invalid(`the Defender connection (mde-config) did not start; see the Node-RED log.`, 'NoConfig');
  }
  try {
    if (config.partner) config.partner.check();
    else config.connection();
  } catch (err) {
    if (err instanceof MdeError) throw invalid(err.summary, err.code, err.hint);
    throw invalid(err instanceof Error ? err.message : String(err));
  }
  return config;
}

export const DEFAULT_TENANT_INPUT: TypedValue = { type: 'msg', value: 'tenantId' };

/**
 * The tenant-scoped view of a partner connection for this message. A message without a tenant,
 * with a tenant of the wrong type or one that is not on the list is refused before any request.
 */
export async function tenantScopedConfig(RED: NodeAPI, node: Node, config: MdeConfigNode, input: TypedValue | undefined, msg: NodeMessageInFlow): Promise<MdeConfigNode> {
  const partner = config.partner;
  if (!partner) return config;
  const from = input && input.type ? input : DEFAULT_TENANT_INPUT;
  const value = await evaluateTyped(RED, node, from, msg);
  const source = describeTyped(from);
  if (value === undefined || value === null || value === '') {
    throw new MdeInputError(translate(RED, 'mde-config.partner.errors.tenant-required', { source }), 'TenantRequired');
  }
  if (typeof value !== 'string') {
    throw new MdeInputError(translate(RED, 'mde-config.partner.errors.tenant-type', { source, value: describe(value) }), 'InvalidInput');
  }
  return partner.forTenant(value);
}

/** msg.mde.tenantId = the customer tenant (as listed), keeping whatever msg.mde holds. */
export function tagTenant(msg: unknown, tenant: PartnerTenant): void {
  if (!msg || typeof msg !== 'object') return;
  const m = msg as Record<string, unknown>;
  const mde = (m.mde && typeof m.mde === 'object' ? m.mde : {}) as Record<string, unknown>;
  mde.tenantId = tenant.tenant;
  m.mde = mde;
}

function tagOutput(out: unknown, tenant: PartnerTenant): void {
  if (Array.isArray(out)) for (const o of out) tagOutput(o, tenant);
  else tagTenant(out, tenant);
}

export function wireActionNode(RED: NodeAPI, node: Node, options: ActionNodeOptions): StatusReporter {
  const status = new StatusReporter(node);
  const inFlight = new Set<AbortController>();
  let closing = false;

  // Surface a missing config node or invalid settings (malformed tenant ID, http:// URL, broken
  // certificate ...) at deploy time, not only on the first message. Builds no network connection.
  try {
    const config = resolveConfig(RED, options.type, options.configId);
    // Shared state (Redis) lost / back: say so on every node of the connection.
    const shared = typeof config.sharedState === 'function' ? config.sharedState() : undefined;
    if (shared) {
      const percent = Math.round(shared.localShare * 100);
      const off = shared.onHealth((h) => {
        if (h === 'down') status.waiting(translate(RED, 'mde-config.status.shared-down', { percent }));
        else if (h === 'up') status.info(translate(RED, 'mde-config.status.shared-up'));
      });
      node.on('close', off);
    }
  } catch (err) {
    status.error(err instanceof MdeError ? err.code : translate(RED, `${options.type}.status.error`));
    node.warn((err as Error).message);
  }

  node.on('input', (msg: NodeMessageInFlow, send: SendFn, done: DoneFn) => {
    const controller = new AbortController();
    inFlight.add(controller);
    let tenant: PartnerTenant | undefined;
    const run = async (): Promise<void> => {
      const shared = resolveConfig(RED, options.type, options.configId);
      const invalid = options.settingsError?.();
      if (invalid) throw invalid;
      if (shared.partner && options.allTenants) {
        await fanOut(RED, node, shared, options, { msg, send, status, signal: controller.signal });
        return;
      }
      const config = await tenantScopedConfig(RED, node, shared, options.tenant, msg);
      tenant = config.partnerTenant;
      if (!tenant) {
        await options.onInput({ msg, send, status, config, signal: controller.signal });
        return;
      }
      // Partner connection: every message out (and an error's msg) says which tenant it is about.
      const scoped = tenant;
      tagTenant(msg, scoped);
      const tagged: SendFn = (out) => {
        tagOutput(out, scoped);
        send(out);
      };
      await options.onInput({ msg, send: tagged, status, config, signal: controller.signal });
    };
    run().then(
      () => {
        inFlight.delete(controller);
        done();
      },
      (err: unknown) => {
        inFlight.delete(controller);
        if (closing) {
          done();
          return;
        }
        const error = toError(err);
        status.error(statusTextFor(error));
        if (error instanceof MdeError) {
          const mde = (msg.mde && typeof msg.mde === 'object' ? msg.mde : {}) as Record<string, unknown>;
          mde.error = error.toJSON();
          msg.mde = mde;
        }
        if (tenant) tagTenant(msg, tenant);
        done(error);
      },
    );
  });

  node.on('close', (removed: boolean, done: () => void) => {
    closing = true;
    for (const controller of inFlight) controller.abort();
    inFlight.clear();
    Promise.resolve()
      .then(() => options.onClose?.(removed))
      .catch((err: unknown) => node.warn(toError(err).message))
      .finally(() => {
        status.clear();
        done();
      });
  });

  return status;
}

interface FanOutContext {
  msg: NodeMessageInFlow;
  send: SendFn;
  status: StatusReporter;
  signal: AbortSignal;
}

/**
 * One message, every listed tenant, side by side (as XSOAR runs a command on several
 * instances): a tenant that fails is reported to Catch nodes with its own msg.mde.tenantId and
 * error, and never stops the others. What succeeded is sent afterwards, in list order, each
 * tenant's output carrying msg.parts (id shared, index / count among the tenants that answered)
 * nested the way a split node nests them, so a join node reassembles the tenants (and, in split
 * output, the rows of each tenant first).
 */
async function fanOut(RED: NodeAPI, node: Node, shared: MdeConfigNode, options: ActionNodeOptions, ctx: FanOutContext): Promise<void> {
  const partner = shared.partner!;
  const tenants = partner.tenants;
  const fanId = RED.util.generateId();
  const upstream = ctx.msg.parts;
  const runs = await Promise.all(
    tenants.map(async (tenant) => {
      const parts: Record<string, unknown> = { id: fanId, index: -1, count: -1, type: 'array', len: 1, ...(upstream ? { parts: upstream } : {}) };
      const msg = RED.util.cloneMessage(ctx.msg) as NodeMessageInFlow;
      msg.parts = parts as unknown as NodeMessageInFlow['parts'];
      tagTenant(msg, tenant);
      const outputs: unknown[] = [];
      const capture: SendFn = (out) => {
        tagOutput(out, tenant);
        outputs.push(out);
      };
      try {
        await options.onInput({ msg, send: capture, status: ctx.status, config: partner.forTenant(tenant.tenant), signal: ctx.signal });
        return { tenant, parts, outputs, error: undefined, msg };
      } catch (err) {
        return { tenant, parts, outputs, error: toError(err), msg };
      }
    }),
  );
  if (ctx.signal.aborted) return;
  const succeeded = runs.filter((r) => !r.error);
  const failed = runs.filter((r) => r.error);
  const summary = {
    tenants: tenants.length,
    succeeded: succeeded.length,
    failed: failed.map((r) => ({ tenantId: r.tenant.tenant, code: r.error instanceof MdeError ? r.error.code : 'error' })),
  };
  for (const r of failed) {
    const error = r.error!;
    const msg = r.msg as NodeMessageInFlow;
    delete msg.parts;
    if (upstream) msg.parts = upstream;
    const mde = (msg.mde && typeof msg.mde === 'object' ? msg.mde : {}) as Record<string, unknown>;
    if (error instanceof MdeError) mde.error = error.toJSON();
    mde.fanOut = summary;
    msg.mde = mde;
    tagTenant(msg, r.tenant);
    node.error(error, msg);
  }
  succeeded.forEach((r, index) => {
    r.parts.index = index;
    r.parts.count = succeeded.length;
  });
  for (const r of succeeded) {
    for (const out of r.outputs) {
      for (const m of Array.isArray(out) ? out : [out]) {
        if (m && typeof m === 'object' && !Array.isArray(m)) ((m as Record<string, unknown>).mde as Record<string, unknown>).fanOut = summary;
      }
      ctx.send(out as Parameters<SendFn>[0]);
    }
  }
  const text = translate(RED, 'mde-config.partner.status.fan-out', { ok: succeeded.length, total: tenants.length });
  if (failed.length) ctx.status.error(text);
  else ctx.status.ok(text);
}
