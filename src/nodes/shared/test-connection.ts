// Admin endpoint behind the config dialog's "Test connection" button: gets a token for each
// audience with the values typed in the dialog (before deploy), and reports the granted roles
// against what each node needs. Secrets never leave: responses are scrubbed of every credential.
import type { Request, Response } from 'express';
import { MdeConnection } from '../../client/connection';
import { MdeError } from '../../client/errors';
import type { Audience } from '../../client/types';
import {
  buildConnectionSettings,
  PASSWORD_PLACEHOLDER,
  secretValues,
  type ConfigCredentials,
  type ConfigProperties,
} from './config-settings';
import { unmetRoleGroups } from '../../client/permissions';
import { NODE_REQUIREMENTS } from './node-permissions';
import type { NodeAPI } from './node-types';
import { proxySettingsFor } from './proxy-settings';

type Body = ConfigProperties & ConfigCredentials & { id?: string; authMethod?: string; proxy?: unknown };

const CREDENTIAL_KEYS: (keyof ConfigCredentials)[] = ['clientSecret', 'certificatePem', 'privateKeyPem', 'privateKeyPassphrase', 'thumbprint'];

function errorJson(err: unknown): Record<string, unknown> {
  if (err instanceof MdeError) {
    const { code, summary, hint, aadsts, status } = err;
    return { code, message: summary, hint, aadsts, status };
  }
  return { code: 'Error', message: err instanceof Error ? err.message : String(err) };
}

function scrub(value: unknown, secrets: string[]): unknown {
  let text = JSON.stringify(value);
  for (const secret of secrets) text = text.split(JSON.stringify(secret).slice(1, -1)).join('***');
  return JSON.parse(text);
}

export function registerTestConnectionRoute(RED: NodeAPI): void {
  RED.httpAdmin.post('/mde-config/test-connection', RED.auth.needsPermission('mde-config.write'), (req: Request, res: Response) => {
    const body = (req.body ?? {}) as Body;
    const stored = (body.id ? (RED.nodes.getCredentials(body.id) as ConfigCredentials | undefined) : undefined) ?? {};
    const creds: ConfigCredentials = {};
    for (const key of CREDENTIAL_KEYS) {
      const posted = body[key];
      // The dialog posts the placeholder for a password it never saw; use the stored one.
      creds[key] = posted === undefined || posted === PASSWORD_PLACEHOLDER ? stored[key] : posted;
    }
    const secrets = secretValues(creds);
    void runTest(body, creds, RED).then(
      (result) => res.json(scrub(result, secrets)),
      (err: unknown) => res.json(scrub({ ok: false, error: errorJson(err) }, secrets)),
    );
  });
}

async function runTest(props: Body, creds: ConfigCredentials, RED: NodeAPI): Promise<Record<string, unknown>> {
  const connection = new MdeConnection({ ...buildConnectionSettings(props, creds), proxy: proxySettingsFor(RED, props.proxy), rateLimits: false });
  try {
    const audiences: Record<string, Record<string, unknown>> = {};
    const roles: Partial<Record<Audience, string[]>> = {};
    for (const audience of ['mde', 'graph'] as const) {
      try {
        const token = await connection.getToken(audience);
        roles[audience] = token.roles;
        audiences[audience] = { ok: true, roles: token.roles, appId: token.appId, tenantId: token.tenantId, expiresOn: token.expiresOn.toISOString() };
      } catch (err) {
        audiences[audience] = { ok: false, error: errorJson(err) };
      }
    }
    // A credential problem shows on both audiences: report it once, plainly.
    if (!audiences.mde.ok && !audiences.graph.ok) return { ok: false, error: audiences.mde.error, audiences };
    const nodes = NODE_REQUIREMENTS.map((req) => {
      const granted = roles[req.audience];
      const missing = granted ? unmetRoleGroups(granted, req.needs).map((anyOf) => anyOf.join('|')) : req.needs.map((anyOf) => anyOf.join('|'));
      return { type: req.type, label: req.label, audience: req.audience, needs: req.needs.map((a) => a.join('|')), missing, ok: missing.length === 0 };
    });
    return { ok: true, audiences, nodes };
  } finally {
    await connection.close();
  }
}
