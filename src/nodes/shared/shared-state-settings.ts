// Reads the opt-in shared state (Redis) of a Defender connection: the dialog's "Shared state"
// block (URL, local share; the password is a credential) or settings.js
// `mdeDefender: { redis: { url, password, username, tlsCa, localShare, leaseMs, keyPrefix } }`.
// The dialog's values win over settings.js. Nothing configured: undefined (everything stays local).
// A value of the wrong type is refused with a sentence naming it, never replaced by a default.
import { MdeInputError } from '../../client/errors';
import { describe } from '../../client/validate';
import type { SharedStateSettings } from '../../client/state/shared-state';

export interface SharedStateProperties {
  redisUrl?: unknown;
  /** Percent of each rate budget used while Redis is unreachable (1-100, default 50). */
  redisLocalShare?: unknown;
}

export interface SharedStateCredentials {
  redisPassword?: unknown;
}

function optionalText(value: unknown, what: string): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw new MdeInputError(`${what} must be text, got ${describe(value)}.`);
  return value.trim() || undefined;
}

function optionalNumber(value: unknown, what: string): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(value)) return Number(value);
  throw new MdeInputError(`${what} must be a number, got ${describe(value)}.`);
}

export function readSharedStateSettings(props: SharedStateProperties, creds: SharedStateCredentials, runtimeSettings: Record<string, unknown>): SharedStateSettings | undefined {
  const fromSettings = (runtimeSettings.mdeDefender as { redis?: unknown } | undefined)?.redis;
  if (fromSettings !== undefined && (fromSettings === null || typeof fromSettings !== 'object')) {
    throw new MdeInputError(`settings.js mdeDefender.redis must be an object ({ url, ... }), got ${describe(fromSettings)}.`);
  }
  const s = (fromSettings ?? {}) as Record<string, unknown>;
  const url = optionalText(props.redisUrl, 'The shared state URL (redisUrl) of the Defender connection') ?? optionalText(s.url, 'settings.js mdeDefender.redis.url');
  if (!url) return undefined;
  if (!/^rediss?:\/\/\S+$/i.test(url)) throw new MdeInputError('The shared state URL must start with redis:// or rediss:// (TLS).');
  if (/^rediss?:\/\/[^/@]*:[^/@]*@/i.test(url)) {
    throw new MdeInputError('Put the Redis password in the password field (or settings.js mdeDefender.redis.password), not in the URL.');
  }
  const percent = optionalNumber(props.redisLocalShare, 'The local share of the rate budget (redisLocalShare)');
  if (percent !== undefined && !(percent >= 1 && percent <= 100)) throw new MdeInputError(`The local share of the rate budget must be 1 to 100 %, got ${percent}.`);
  const settingsShare = optionalNumber(s.localShare, 'settings.js mdeDefender.redis.localShare');
  const out: SharedStateSettings = { url };
  const password = optionalText(creds.redisPassword, 'The stored Redis password') ?? optionalText(s.password, 'settings.js mdeDefender.redis.password');
  if (password) out.password = password;
  const username = optionalText(s.username, 'settings.js mdeDefender.redis.username');
  if (username) out.username = username;
  const tlsCa = optionalText(s.tlsCa, 'settings.js mdeDefender.redis.tlsCa');
  if (tlsCa) out.tlsCa = tlsCa;
  if (percent !== undefined) out.localShare = percent / 100;
  else if (settingsShare !== undefined) out.localShare = settingsShare;
  const leaseMs = optionalNumber(s.leaseMs, 'settings.js mdeDefender.redis.leaseMs');
  if (leaseMs !== undefined) out.leaseMs = leaseMs;
  const keyPrefix = optionalText(s.keyPrefix, 'settings.js mdeDefender.redis.keyPrefix');
  if (keyPrefix) out.keyPrefix = keyPrefix;
  return out;
}
