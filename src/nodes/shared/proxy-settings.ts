// Node-RED's proxy conventions -> the client's ProxySettings: the core `http proxy` config node
// selected on the connection (url, noproxy list, username / password credentials), otherwise the
// HTTPS_PROXY / HTTP_PROXY / NO_PROXY environment variables, as the core http request node reads them.
import { MdeInputError } from '../../client/errors';
import { proxyFromEnvironment, type ProxySettings } from '../../client/transport/proxy';
import type { NodeAPI } from './node-types';

interface HttpProxyConfigNode {
  type: string;
  url?: unknown;
  noproxy?: unknown;
  credentials?: { username?: unknown; password?: unknown };
}

/**
 * `proxyId` is the connection's `proxy` property. A selected configuration that is missing or of
 * another type is an error, never a silent fallback to the environment or a direct connection.
 */
export function proxySettingsFor(RED: NodeAPI, proxyId: unknown, env: NodeJS.ProcessEnv = process.env): ProxySettings | undefined {
  if (proxyId === undefined || proxyId === null || proxyId === '') return proxyFromEnvironment(env);
  if (typeof proxyId !== 'string') {
    throw new MdeInputError(`The proxy of this Defender connection must name an http proxy configuration; got ${typeof proxyId}.`);
  }
  const node = RED.nodes.getNode(proxyId) as unknown as HttpProxyConfigNode | null;
  if (!node) {
    throw new MdeInputError('The proxy configuration selected on this Defender connection is not deployed: deploy it, or untick "Use proxy".', { code: 'ProxyNotFound' });
  }
  if (node.type !== 'http proxy') {
    throw new MdeInputError(`The proxy selected on this Defender connection is a "${node.type}" node, not an http proxy configuration.`);
  }
  const credentials = node.credentials ?? {};
  return {
    url: node.url as string,
    noProxy: (node.noproxy ?? []) as string[],
    username: credentials.username as string | undefined,
    password: credentials.password as string | undefined,
  };
}
