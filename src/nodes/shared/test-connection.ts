// Admin endpoint behind the config dialog's "Test connection" button: gets a token for each
// audience with the values typed in the dialog (before deploy), and reports the granted roles
// against what each node needs. Secrets never leave: responses are scrubbed of every credential.
//
// A stored credential (the dialog posts the placeholder for a password it never saw) is only
// ever used by a deployed mde-config node and only towards that node's deployed cloud, hosts and
// CA: otherwise anyone allowed to open the dialog could point the test at a host of theirs and
// receive the secret, or name another node and borrow its credentials.
import type { Request, Response } from 'express';
import { resolveCloud } from '../../client/clouds';
import { MdeConnection } from '../../client/connection';
import { MdeError, MdeInputError } from '../../client/errors';
import type { Audience, ConnectionSettings } from '../../client/types';
import {
  buildConnectionSettings,
  PASSWORD_PLACEHOLDER,
  secretValues,
  type ConfigCredentials,
  type ConfigProperties,
} from './config-settings';
import type { MdeConfigNode } from './config-handle';
import { translate } from './i18n';
import { unmetRoleGroups } from '../../client/auth/permissions';
import { NODE_REQUIREMENTS } from './node-permissions';
import type { NodeAPI } from './node-types';
import { proxySettingsFor } from './proxy-settings';
import { adminConsentUrl, readConnectionMode, readPartnerTenants, type PartnerTenant } from './partner-settings';

type Body = ConfigProperties & ConfigCredentials & { id?: unknown; proxy?: unknown; mode?: unknown; tenants?: unknown };

const CREDENTIAL_KEYS: (keyof ConfigCredentials)[] = ['clientSecret', 'certificatePem', 'privateKeyPem', 'privateKeyPassphrase', 'thumbprint'];

/** The dialog has to be given the secret again (code the dialog reacts to). */
const RETYPE_SECRET = 'RetypeSecret';

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

/** What the dialog changed, compared with the deployed connection, that decides where a credential goes. */
function changedNetworkSettings(RED: NodeAPI, typed: ConnectionSettings, deployed: MdeConnection): string[] {
  let cloud;
  try {
    cloud = resolveCloud(typed.cloud);
  } catch (e) {
    throw new MdeInputError((e as Error).message);
  }
  const was = deployed.cloud;
  const changed: string[] = [];
  if (cloud.name !== was.name) changed.push('cloud');
  if (cloud.authorityHost !== was.authorityHost) changed.push('authority-host');
  if (cloud.apiBaseUrl !== was.apiBaseUrl) changed.push(cloud.name === 'commercial' && was.name === 'commercial' ? 'region' : 'api-host');
  if (cloud.graphBaseUrl !== was.graphBaseUrl) changed.push('graph-host');
  if ((typed.caCertificatePem ?? '') !== (deployed.settings.caCertificatePem ?? '')) changed.push('ca');
  return changed.map((field) => translate(RED, `mde-config.test.field-${field}`));
}

/**
 * Settings for a test that uses stored credentials: the deployed node's network settings, the
 * IDs and any credential typed in the dialog. Throws a RetypeSecret error when that is not allowed.
 */
function storedCredentialSettings(RED: NodeAPI, body: Body, secrets: string[]): ConnectionSettings {
  const id = typeof body.id === 'string' ? body.id : '';
  const node = id ? (RED.nodes.getNode(id) as Partial<MdeConfigNode> | null) : null;
  // Checked before any credential is read: another node type's credentials are never touched.
  if (!node || node.type !== 'mde-config' || typeof node.connection !== 'function') {
    throw new MdeInputError(translate(RED, 'mde-config.test.retype-not-deployed'), RETYPE_SECRET);
  }
  // A partner connection serves no tenant by itself: compare with the app's own (first tenant's) settings.
  const deployed = node.partner ? node.partner.appConnection() : node.connection();
  const stored = (RED.nodes.getCredentials(id) as ConfigCredentials | undefined) ?? {};
  secrets.push(...secretValues(stored));
  const creds: ConfigCredentials = {};
  for (const key of CREDENTIAL_KEYS) {
    const posted = body[key];
    creds[key] = posted === PASSWORD_PLACEHOLDER ? stored[key] : typeof posted === 'string' ? posted : undefined;
  }
  const typed = buildConnectionSettings(body, creds);
  const changed = changedNetworkSettings(RED, typed, deployed);
  if (changed.length) {
    throw new MdeInputError(translate(RED, 'mde-config.test.retype-changed', { fields: changed.join(', ') }), RETYPE_SECRET);
  }
  // The audience and the timeout decide nothing about where the credential goes: the dialog's values apply.
  return {
    ...deployed.settings,
    cloud: { ...deployed.settings.cloud, mdeAudience: typed.cloud.mdeAudience },
    timeoutMs: typed.timeoutMs,
    tenantId: typed.tenantId,
    clientId: typed.clientId,
    credential: typed.credential,
    rateLimits: false,
  };
}

/** Settings for a test with credentials typed in the dialog: everything as posted, the proxy chosen there included. */
function typedSettings(RED: NodeAPI, body: Body): ConnectionSettings {
  const creds: ConfigCredentials = {};
  for (const key of CREDENTIAL_KEYS) {
    const posted = body[key];
    if (typeof posted === 'string') creds[key] = posted;
  }
  const props = partnerMode(body) ? { ...body, tenantId: body.tenantId || PARTNER_PLACEHOLDER_TENANT } : body;
  return { ...buildConnectionSettings(props, creds), proxy: proxySettingsFor(RED, body.proxy), rateLimits: false };
}

/** Partner mode leaves the home tenant optional; the tests use each customer tenant instead. */
const PARTNER_PLACEHOLDER_TENANT = 'partner.invalid';

function partnerMode(body: Body): boolean {
  return readConnectionMode(body.mode) === 'partner';
}

export function registerTestConnectionRoute(RED: NodeAPI): void {
  RED.httpAdmin.post('/mde-config/test-connection', RED.auth.needsPermission('mde-config.write'), (req: Request, res: Response) => {
    const body = (req.body && typeof req.body === 'object' ? req.body : {}) as Body;
    const secrets: string[] = [];
    for (const key of CREDENTIAL_KEYS) {
      if (typeof body[key] === 'string' && body[key] !== PASSWORD_PLACEHOLDER) secrets.push(...secretValues({ [key]: body[key] }));
    }
    const usesStored = CREDENTIAL_KEYS.some((key) => body[key] === PASSWORD_PLACEHOLDER);
    void Promise.resolve()
      .then(() => {
        const settings = usesStored ? storedCredentialSettings(RED, body, secrets) : typedSettings(RED, body);
        return partnerMode(body) ? runPartnerTest(settings, readPartnerTenants(body.tenants, settings.cloud.cloud)) : runTest(settings);
      })
      .then(
        (result) => res.json(scrub(result, secrets)),
        (err: unknown) => res.json(scrub({ ok: false, error: errorJson(err) }, secrets)),
      );
  });
}

async function runTest(settings: ConnectionSettings): Promise<Record<string, unknown>> {
  const connection = new MdeConnection(settings);
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

/** AADSTS codes that mean "an administrator of this tenant has to consent (again)". */
const CONSENT_CODES = new Set([7000229, 65001, 650052, 700016]);

/** The connection settings of one customer tenant: its ID, and its own cloud / region when it has one. */
export function tenantSettings(settings: ConnectionSettings, tenant: PartnerTenant): ConnectionSettings {
  const cloudName = tenant.cloud ?? settings.cloud.cloud;
  const region = cloudName === 'commercial' ? (tenant.region ?? (settings.cloud.cloud === 'commercial' ? settings.cloud.region : '')) : undefined;
  return { ...settings, tenantId: tenant.tenant, cloud: { ...settings.cloud, cloud: cloudName, region } };
}

/**
 * Test connection of a partner connection: every customer tenant, side by side. Per tenant: a
 * token or the AADSTS reason, the roles against what the nodes need, and the admin consent link
 * for a tenant that has not consented (or lacks roles). One tenant's failure never hides another's.
 */
async function runPartnerTest(settings: ConnectionSettings, tenants: PartnerTenant[]): Promise<Record<string, unknown>> {
  const results = await Promise.all(
    tenants.map(async (tenant) => {
      const scoped = tenantSettings(settings, tenant);
      let result: Record<string, unknown>;
      try {
        result = await runTest(scoped);
      } catch (err) {
        result = { ok: false, error: errorJson(err) };
      }
      const error = result.error as { aadsts?: number; code?: string } | undefined;
      const nodes = (result.nodes as { ok: boolean }[] | undefined) ?? [];
      const rolesMissing = result.ok === true && nodes.some((n) => !n.ok);
      const notConsented = error?.aadsts !== undefined && CONSENT_CODES.has(error.aadsts);
      const consent = notConsented ? 'missing' : result.ok === true ? (rolesMissing ? 'partial' : 'granted') : 'unknown';
      let consentUrl: string | undefined;
      if (consent === 'missing' || consent === 'partial') {
        try {
          consentUrl = adminConsentUrl(resolveCloud(scoped.cloud).authorityHost, tenant.tenant, settings.clientId);
        } catch {
          consentUrl = undefined;
        }
      }
      return { tenant: tenant.tenant, name: tenant.name, consent, ...(consentUrl ? { consentUrl } : {}), ...result } as Record<string, unknown>;
    }),
  );
  return { ok: results.every((r) => r.ok === true && r.consent === 'granted'), partner: true, tenants: results };
}
