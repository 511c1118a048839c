// The one pipeline every action node uses: resolve config -> act -> status -> send -> done,
// with a single error funnel (done(err)) so Catch nodes see every failure.
import { translate } from './i18n';
import type { MdeConfigNode } from './config-handle';
import type { DoneFn, Node, NodeAPI, NodeMessageInFlow, SendFn } from './node-types';
import { StatusReporter } from './status';
import { MdeError, MdeInputError } from '../../client/errors';

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
    config.connection();
  } catch (err) {
    if (err instanceof MdeError) throw invalid(err.summary, err.code, err.hint);
    throw invalid(err instanceof Error ? err.message : String(err));
  }
  return config;
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
    const run = async (): Promise<void> => {
      const config = resolveConfig(RED, options.type, options.configId);
      await options.onInput({ msg, send, status, config, signal: controller.signal });
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
