// Users: the machines a user is related to (get-user-related-machines.md) and the user's alerts
// (get-user-related-alerts.md). Both pages: "The ID is not the full UPN, but only the user name
// (for example, to retrieve alerts for user1@contoso.com use /api/users/user1/alerts)".
import type { MdeHttp } from '../transport/http';
import type { Alert, Machine } from '../types';
import { MdeInputError } from '../errors';
import { describe } from '../validate';
import type { RequestOptions } from './alerts';
import { readCollection, type CollectionResult } from './collection';
import { segment } from './look-back';

/** Characters a Windows account name (sAMAccountName) cannot hold, plus control characters. */
const FORBIDDEN = /["/\\[\]:;|=,+*?<>@\u0000-\u001f\u007f]/;
const MAX_USER_NAME = 104;

/**
 * The user name as the API wants it: `user1`, never `user1@contoso.com` nor `CONTOSO\user1`
 * (those are refused with the name to send instead, not rewritten).
 */
export function userName(v: unknown): string {
  if (typeof v !== 'string' || !v.trim()) throw new MdeInputError(`The user must be a user name as text, such as jdoe, got ${describe(v)}.`, 'InvalidUser');
  // Checked before trimming: a line break is refused, not cut off.
  if (/[\u0000-\u001f\u007f]/.test(v)) throw new MdeInputError(`The user ${describe(v)} contains a control character (line break, tab ...), which is not allowed.`, 'InvalidUser');
  const u = v.trim();
  const upn = /^([^@\s]+)@[^@\s]+$/.exec(u);
  if (upn && !FORBIDDEN.test(upn[1]!)) {
    throw new MdeInputError(`The user ${describe(v)} is a UPN; Defender takes the user name only: "${upn[1]}".`, { code: 'InvalidUser', hint: 'the user-related APIs want the account name without the domain (user1, not user1@contoso.com).' });
  }
  const down = /^([^\\\s]+)\\([^\\]+)$/.exec(u);
  if (down && !FORBIDDEN.test(down[2]!)) {
    throw new MdeInputError(`The user ${describe(v)} carries a domain; Defender takes the user name only: "${down[2]}".`, { code: 'InvalidUser', hint: 'the user-related APIs want the account name without the domain (user1, not CONTOSO\\user1).' });
  }
  if (FORBIDDEN.test(u) || u.length > MAX_USER_NAME || /^\.+$/.test(u) || u.endsWith('.')) {
    throw new MdeInputError(`The user ${describe(v)} is not a user name: at most ${MAX_USER_NAME} characters, none of " / \\ [ ] : ; | = , + * ? < > @, not ending with a dot.`, 'InvalidUser');
  }
  return u;
}

/** GET /api/users/{id}/machines (documented with Machine.ReadWrite.All only; unknown user → empty). */
export async function listUserMachines(http: MdeHttp, user: unknown, maxResults: number, opts: RequestOptions = {}): Promise<CollectionResult<Machine>> {
  return readCollection<Machine>(http, 'other', `/api/users/${segment(userName(user))}/machines`, maxResults, opts);
}

/** GET /api/users/{id}/alerts (Alert.Read.All; unknown user → empty). */
export async function listUserAlerts(http: MdeHttp, user: unknown, maxResults: number, opts: RequestOptions = {}): Promise<CollectionResult<Alert>> {
  return readCollection<Alert>(http, 'other', `/api/users/${segment(userName(user))}/alerts`, maxResults, opts);
}
