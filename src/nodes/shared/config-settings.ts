// Turns the config node's properties + credentials into client ConnectionSettings, validating
// everything first so a typo is reported in plain words before any request is sent.
import { CLOUD_NAMES, type CloudName } from '../../client/clouds';
import { MdeInputError } from '../../client/errors';
import { normalizePem } from '../../client/pem';
import type { ConnectionSettings } from '../../client/types';

export interface ConfigProperties {
  tenantId?: string;
  clientId?: string;
  authMethod?: string;
  cloud?: string;
  region?: string;
  apiBaseUrl?: string;
  authorityHost?: string;
  graphBaseUrl?: string;
  caCertificate?: string;
  /** Seconds; the editor stores what the number field holds (a string), older flows have none. */
  requestTimeout?: unknown;
}

export interface ConfigCredentials {
  clientSecret?: string;
  certificatePem?: string;
  privateKeyPem?: string;
  privateKeyPassphrase?: string;
  thumbprint?: string;
}

export const CREDENTIAL_TYPES = {
  clientSecret: { type: 'password' },
  certificatePem: { type: 'password' },
  privateKeyPem: { type: 'password' },
  privateKeyPassphrase: { type: 'password' },
  thumbprint: { type: 'text' },
} as const;

export const PASSWORD_PLACEHOLDER = '__PWRD__';

export const REQUEST_TIMEOUT_RANGE_S = { min: 1, max: 900, default: 30 } as const;

/**
 * The request timeout in ms, or undefined for the client's default. A number of seconds (or the
 * text of one, as the editor saves it) in range; anything else is refused, never replaced.
 */
export function parseRequestTimeout(value: unknown): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const { min, max } = REQUEST_TIMEOUT_RANGE_S;
  const allowed = `a number of seconds from ${min} to ${max}`;
  let n: number;
  if (typeof value === 'number') n = value;
  else if (typeof value === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(value)) n = Number(value);
  else {
    const shown = typeof value === 'string' ? JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value) : Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value === 'object' ? 'an object' : `${typeof value} ${String(value)}`;
    throw new MdeInputError(`The request timeout (requestTimeout) of the Defender connection must be ${allowed}; got ${shown}.`);
  }
  if (!Number.isFinite(n) || n < min || n > max) {
    throw new MdeInputError(`The request timeout (requestTimeout) of the Defender connection must be ${allowed}; got ${n}.`);
  }
  return Math.round(n * 1000);
}

export function buildConnectionSettings(props: ConfigProperties, creds: ConfigCredentials): ConnectionSettings {
  const tenantId = (props.tenantId ?? '').trim();
  const clientId = (props.clientId ?? '').trim();
  const cloud = (props.cloud || 'commercial') as CloudName;
  if (!CLOUD_NAMES.includes(cloud)) throw new MdeInputError(`Unknown cloud "${props.cloud}".`);
  const settings: ConnectionSettings = {
    tenantId,
    clientId,
    cloud: {
      cloud,
      region: cloud === 'commercial' ? props.region ?? '' : undefined,
      apiBaseUrl: cloud === 'custom' ? props.apiBaseUrl : undefined,
      authorityHost: cloud === 'custom' ? props.authorityHost : undefined,
      graphBaseUrl: cloud === 'custom' ? props.graphBaseUrl : undefined,
    },
    caCertificatePem: cloud === 'custom' ? normalizePem(props.caCertificate, 'CERTIFICATE') || undefined : undefined,
    timeoutMs: parseRequestTimeout(props.requestTimeout),
    credential:
      props.authMethod === 'certificate'
        ? {
            kind: 'certificate',
            privateKeyPem: normalizePem(creds.privateKeyPem, 'PRIVATE KEY'),
            certificatePem: normalizePem(creds.certificatePem, 'CERTIFICATE') || undefined,
            thumbprint: creds.thumbprint?.trim() || undefined,
            passphrase: creds.privateKeyPassphrase || undefined,
            sendX5c: Boolean(creds.certificatePem),
          }
        : { kind: 'secret', clientSecret: creds.clientSecret ?? '' },
  };
  if (settings.credential.kind === 'secret' && !settings.credential.clientSecret) {
    throw new MdeInputError('No client secret is stored for this connection: paste the secret value in the Defender connection (mde-config).');
  }
  if (settings.credential.kind === 'certificate' && !settings.credential.privateKeyPem) {
    throw new MdeInputError('No certificate private key is stored for this connection: load the PEM private key in the Defender connection (mde-config).');
  }
  return settings;
}

/** Every secret value of a credentials object, to scrub from anything we send back or log. */
export function secretValues(creds: ConfigCredentials): string[] {
  return [creds.clientSecret, creds.privateKeyPem, creds.privateKeyPassphrase, creds.certificatePem]
    .filter((v): v is string => typeof v === 'string' && v.length >= 4 && v !== PASSWORD_PLACEHOLDER);
}
