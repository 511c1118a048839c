// Route table plumbing shared by the MDE route modules.
import type { Principal } from '../auth';
import type { SimContext } from '../context';
import { mdeError, parseJsonBody } from '../http-util';
import { ODataError } from '../odata';
import type { ApiFamily, SimMachine, SimRequest, SimResponse } from '../types';

export interface RouteCtx {
  sim: SimContext;
  req: SimRequest;
  principal: Principal;
  /** `https://host/api` or `https://host/api/v1.0`, for @odata.context and nextLink. */
  base: string;
  /** Path prefix actually used (`/api` or `/api/v1.0`). */
  prefix: string;
}

export interface Route {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** Matched against the path below the prefix, case-insensitively. */
  pattern: RegExp;
  family: ApiFamily;
  /** Any one of these roles suffices (mde-api.md §3). */
  roles: readonly string[];
  handler: (rc: RouteCtx, params: string[]) => SimResponse;
}

export const ALERT_READ = ['Alert.Read.All', 'Alert.ReadWrite.All'];
export const ALERT_WRITE = ['Alert.ReadWrite.All'];
export const MACHINE_READ = ['Machine.Read.All', 'Machine.ReadWrite.All'];
export const MACHINE_WRITE = ['Machine.ReadWrite.All'];

export function notFound(what: string): SimResponse {
  return mdeError(404, 'ResourceNotFound', what);
}

export function odataError(e: unknown): SimResponse {
  if (e instanceof ODataError) return mdeError(400, 'ODataError', e.message);
  throw e;
}

/** Device lookup by id or by exact computer DNS name (case-insensitive), as GET /machines/{id} does. */
export function findMachine(sim: SimContext, idOrName: string): SimMachine | undefined {
  const lower = idOrName.toLowerCase();
  return sim.state.machines.find((m) => m.id === lower) ?? sim.state.machines.find((m) => m.computerDnsName.toLowerCase() === lower);
}

export type BodyResult = { ok: true; body: Record<string, unknown> } | { ok: false; response: SimResponse };

/**
 * Parses a JSON object body whose property names are case-sensitive: a known name in the wrong
 * case is `InvalidRequestBody`, as the real API answers.
 */
export function readBody(req: SimRequest, allowed: readonly string[]): BodyResult {
  const parsed = parseJsonBody(req.body);
  if (parsed === undefined) return { ok: true, body: {} };
  if (parsed instanceof Error || typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return { ok: false, response: mdeError(400, 'InvalidRequestBody', 'Request body is incorrect') };
  }
  const body = parsed as Record<string, unknown>;
  for (const key of Object.keys(body)) {
    if (allowed.includes(key)) continue;
    const near = allowed.find((a) => a.toLowerCase() === key.toLowerCase());
    if (near) return { ok: false, response: mdeError(400, 'InvalidRequestBody', `Request body is incorrect: property '${key}' should be '${near}'`) };
  }
  return { ok: true, body };
}

export function missing(name: string): SimResponse {
  return mdeError(400, 'MissingRequiredParameter', `Parameter ${name} is missing.`);
}
