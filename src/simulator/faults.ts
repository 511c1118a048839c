// Injected failures: deterministic (failNext, tokenEndpointDown) and random (errorRate,
// resetRate, from the seeded RNG so a seed reproduces a run).
import type { SimContext } from './context';
import { aadError } from './entra';
import { graphError, mdeError } from './http-util';
import type { FailNextRule, RequestKind, SimRequest, SimResponse, SlowRule } from './types';

const CODES: Record<number, string> = {
  400: 'BadRequest', 401: 'Unauthorized', 403: 'Forbidden', 404: 'NotFound', 408: 'RequestTimeout', 409: 'Conflict',
  429: 'TooManyRequests', 500: 'InternalServerError', 502: 'BadGateway', 503: 'ServiceUnavailable', 504: 'GatewayTimeout',
};

export type FaultDecision = { kind: 'reset'; label: string } | { kind: 'respond'; response: SimResponse; label: string } | undefined;

function failureResponse(status: number, kind: RequestKind, req: SimRequest, retryAfter?: number, body?: unknown): SimResponse {
  const extra: Record<string, string | number> = {};
  const ra = retryAfter ?? (status === 429 || status === 503 ? 1 : undefined);
  if (ra !== undefined) extra['Retry-After'] = ra;
  if (body !== undefined) {
    return { status, headers: { 'Content-Type': 'application/json; charset=utf-8', ...extra }, body: typeof body === 'string' ? body : JSON.stringify(body) };
  }
  const code = CODES[status] ?? 'Error';
  const message = `Simulated failure (HTTP ${status}).`;
  if (kind === 'token' || kind === 'discovery') {
    const r = aadError(status, status === 429 || status >= 500 ? 'temporarily_unavailable' : 'invalid_request', status === 429 ? 50196 : 90033, status === 429 ? 'The server temporarily throttled your request. Try again later.' : 'A transient error has occurred. Please try again.');
    r.headers = { ...r.headers, ...extra };
    return r;
  }
  if (kind === 'graph') return graphError(status, code, message, undefined, extra);
  return mdeError(status, code, status === 500 ? '' : message, extra);
}

function matches(rule: FailNextRule | SlowRule, req: SimRequest, kind: RequestKind): boolean {
  if (rule.pathIncludes !== undefined) return req.path.toLowerCase().includes(rule.pathIncludes.toLowerCase());
  return kind === 'api' || kind === 'graph';
}

/** Decides whether this request fails before reaching its handler. Control calls never do. */
export function decideFault(ctx: SimContext, req: SimRequest, kind: RequestKind): FaultDecision {
  if (kind === 'control') return undefined;
  const f = ctx.faults;
  const rules = f.failNext ?? [];
  const idx = rules.findIndex((r) => matches(r, req, kind));
  if (idx >= 0) {
    const rule = rules[idx];
    const left = (rule.count ?? 1) - 1;
    if (left <= 0) rules.splice(idx, 1);
    else rules[idx] = { ...rule, count: left };
    // status 0 means "drop the connection" rather than answer.
    if (rule.status === 0) return { kind: 'reset', label: 'failNext:reset' };
    return { kind: 'respond', response: failureResponse(rule.status, kind, req, rule.retryAfter, rule.body), label: `failNext:${rule.status}` };
  }
  if (kind === 'token' && f.tokenEndpointDown) {
    return { kind: 'respond', response: failureResponse(503, kind, req), label: 'tokenEndpointDown' };
  }
  if (kind === 'api' || kind === 'graph') {
    if (f.resetRate && ctx.rng.next() < f.resetRate) return { kind: 'reset', label: 'resetRate' };
    if (f.errorRate && ctx.rng.next() < f.errorRate) {
      const status = ctx.rng.chance(0.5) ? 500 : 503;
      return { kind: 'respond', response: failureResponse(status, kind, req, status === 503 ? 1 : undefined), label: `errorRate:${status}` };
    }
  }
  return undefined;
}

/** How long to hold this request's answer: `latencyMs` (API and Graph calls) plus the first matching `slow` rule. */
export function responseDelay(ctx: SimContext, req: SimRequest, kind: RequestKind): number {
  if (kind === 'control') return 0;
  const f = ctx.faults;
  let ms = (kind === 'api' || kind === 'graph') && f.latencyMs ? f.latencyMs : 0;
  const rules = f.slow ?? [];
  const idx = rules.findIndex((r) => matches(r, req, kind));
  if (idx >= 0) {
    const rule = rules[idx]!;
    ms += Math.max(0, Number(rule.delayMs) || 0);
    if (rule.count !== undefined) {
      // A new array: the rules given to setFaults stay as they were.
      const left = rule.count - 1;
      f.slow = left <= 0 ? rules.filter((_, i) => i !== idx) : rules.map((r, i) => (i === idx ? { ...r, count: left } : r));
    }
  }
  return ms;
}
