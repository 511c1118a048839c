// Turns the config node's properties + credentials into client ConnectionSettings, validating
// everything first so a typo is reported in plain words before any request is sent.
import { checkAudience, CLOUD_NAMES, type CloudName } from '../../client/clouds';
import { MdeInputError } from '../../client/errors';
import { describe } from '../../client/validate';
import { normalizePem } from '../../client/auth/pem';
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
  /** Advanced: MDE token audience instead of the cloud's default (GCC High / DoD sources disagree). */
  mdeAudience?: string;
  /** Seconds; the editor stores what the number field holds (a string), older flows have none. */
  requestTimeout?: unknown;
}

export interface ConfigCredentials {
  clientSecret?: string;
  certificatePem?: string;
  privateKeyPem?: string;
  privateKeyPassphrase?: string;
  thumbprint?: string;
  /** Shared state (Redis) password. */
  redisPassword?: string;
}

export const CREDENTIAL_TYPES = {
  clientSecret: { type: 'password' },
  certificatePem: { type: 'password' },
  privateKeyPem: { type: 'password' },
  privateKeyPassphrase: { type: 'password' },
  thumbprint: { type: 'text' },
  redisPassword: { type: 'password' },
} as const;

export const PASSWORD_PLACEHOLDER = '__PWRD__';

/**
 * A stored property must be text (or absent: an older flow). A hand-edited or imported flow may
 * carry a number or an object: say so in plain words, never crash on `.trim()`.
 */
const PROPERTY_TEXT: Record<keyof ConfigProperties, string> = {
  tenantId: 'The tenant ID must be text (a GUID or a verified domain)',
  clientId: 'The client ID must be text (the application (client) ID GUID)',
  authMethod: 'The authentication method must be "secret" or "certificate"',
  cloud: `The cloud must be one of ${CLOUD_NAMES.join(', ')}`,
  region: 'The region must be text (empty for the global host)',
  apiBaseUrl: 'The API base URL must be text (an https:// URL)',
  authorityHost: 'The authority host must be text (an https:// URL)',
  graphBaseUrl: 'The Graph base URL must be text (an https:// URL)',
  caCertificate: 'The CA certificate must be PEM text',
  mdeAudience: 'The MDE token audience must be text (an https URL or an app ID URI)',
  requestTimeout: 'The request timeout must be a number of seconds',
};

function text(props: ConfigProperties, key: keyof ConfigProperties): string {
  const v = (props as Record<string, unknown>)[key];
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') throw new MdeInputError(`${PROPERTY_TEXT[key]}, got ${describe(v)}.`);
  return v.trim();
}

function secretText(creds: ConfigCredentials, key: keyof ConfigCredentials, label: string): string | undefined {
  const v = (creds as Record<string, unknown>)[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new MdeInputError(`The stored ${label} is not text: enter it again in the Defender connection (mde-config).`);
  return v;
}

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
  else throw new MdeInputError(`The request timeout (requestTimeout) of the Defender connection must be ${allowed}; got ${describe(value)}.`);
  if (!Number.isFinite(n) || n < min || n > max) {
    throw new MdeInputError(`The request timeout (requestTimeout) of the Defender connection must be ${allowed}; got ${n}.`);
  }
  return Math.round(n * 1000);
}

export function buildConnectionSettings(props: ConfigProperties, creds: ConfigCredentials): ConnectionSettings {
  if (!props || typeof props !== 'object') throw new MdeInputError('The connection settings are missing.');
  creds = creds && typeof creds === 'object' ? creds : {};
  const tenantId = text(props, 'tenantId');
  const clientId = text(props, 'clientId');
  const cloud = (text(props, 'cloud') || 'commercial') as CloudName;
  if (!CLOUD_NAMES.includes(cloud)) throw new MdeInputError(`${PROPERTY_TEXT.cloud}, got ${describe(props.cloud)}.`);
  const authMethod = text(props, 'authMethod') || 'secret';
  if (authMethod !== 'secret' && authMethod !== 'certificate') throw new MdeInputError(`${PROPERTY_TEXT.authMethod}, got ${describe(props.authMethod)}.`);
  const region = text(props, 'region');
  const custom = { apiBaseUrl: text(props, 'apiBaseUrl'), authorityHost: text(props, 'authorityHost'), graphBaseUrl: text(props, 'graphBaseUrl') };
  const caCertificate = text(props, 'caCertificate');
  const mdeAudience = text(props, 'mdeAudience');
  const privateKeyPem = secretText(creds, 'privateKeyPem', 'private key');
  const certificatePem = secretText(creds, 'certificatePem', 'certificate');
  const thumbprint = secretText(creds, 'thumbprint', 'thumbprint');
  const passphrase = secretText(creds, 'privateKeyPassphrase', 'key passphrase');
  const clientSecret = secretText(creds, 'clientSecret', 'client secret');
  const settings: ConnectionSettings = {
    tenantId,
    clientId,
    cloud: {
      cloud,
      region: cloud === 'commercial' ? region : undefined,
      apiBaseUrl: cloud === 'custom' ? custom.apiBaseUrl : undefined,
      authorityHost: cloud === 'custom' ? custom.authorityHost : undefined,
      graphBaseUrl: cloud === 'custom' ? custom.graphBaseUrl : undefined,
      mdeAudience: mdeAudience ? checkedAudience(mdeAudience) : undefined,
    },
    caCertificatePem: cloud === 'custom' ? normalizePem(caCertificate, 'CERTIFICATE') || undefined : undefined,
    timeoutMs: parseRequestTimeout(props.requestTimeout),
    credential:
      authMethod === 'certificate'
        ? {
            kind: 'certificate',
            privateKeyPem: normalizePem(privateKeyPem, 'PRIVATE KEY'),
            certificatePem: normalizePem(certificatePem, 'CERTIFICATE') || undefined,
            thumbprint: thumbprint?.trim() || undefined,
            passphrase: passphrase || undefined,
            sendX5c: Boolean(certificatePem),
          }
        : { kind: 'secret', clientSecret: clientSecret ?? '' },
  };
  if (settings.credential.kind === 'secret' && !settings.credential.clientSecret) {
    throw new MdeInputError('No client secret is stored for this connection: paste the secret value in the Defender connection (mde-config).');
  }
  if (settings.credential.kind === 'certificate' && !settings.credential.privateKeyPem) {
    throw new MdeInputError('No certificate private key is stored for this connection: load the PEM private key in the Defender connection (mde-config).');
  }
  return settings;
}

function checkedAudience(value: string): string {
  try {
    return checkAudience(value);
  } catch (err) {
    throw new MdeInputError((err as Error).message, { hint: 'leave the audience empty to use the cloud\'s default.' });
  }
}

/** Every secret value of a credentials object, to scrub from anything we send back or log. */
export function secretValues(creds: ConfigCredentials): string[] {
  return [creds.clientSecret, creds.privateKeyPem, creds.privateKeyPassphrase, creds.certificatePem, creds.redisPassword]
    .filter((v): v is string => typeof v === 'string' && v.length >= 4 && v !== PASSWORD_PLACEHOLDER);
}
