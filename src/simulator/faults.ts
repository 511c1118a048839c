// Injected failures: deterministic (failNext, tokenEndpointDown) and random (errorRate,
// resetRate, from the seeded RNG so a seed reproduces a run); and answers lost after the request
// was carried out (dropAnswerNext), the case where a client cannot know whether MDE acted.
import * as crypto from 'node:crypto';
import type * as http from 'node:http';
import { schedule, type SimContext } from './context';
import { aadError } from './entra';
import { graphError, mdeError } from './http-util';
import type { DropAnswerRule, FailNextRule, RequestKind, SimRequest, SimResponse, SlowRule } from './types';

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

export type DropAnswerDecision = { mode: DropAnswerRule['mode']; holdMs: number; label: string } | undefined;

/** Decides whether the answer to this (already handled) request is lost. Control calls never are. */
export function decideDropAnswer(ctx: SimContext, req: SimRequest, kind: RequestKind): DropAnswerDecision {
  if (kind === 'control') return undefined;
  const rules = ctx.faults.dropAnswerNext ?? [];
  const idx = rules.findIndex((r) => (r.method === undefined || r.method.toUpperCase() === req.method) && matches({ status: 0, pathIncludes: r.pathIncludes }, req, kind));
  if (idx < 0) return undefined;
  const rule = rules[idx];
  const left = (rule.count ?? 1) - 1;
  if (left <= 0) rules.splice(idx, 1);
  else rules[idx] = { ...rule, count: left };
  return { mode: rule.mode, holdMs: rule.holdMs ?? 60_000, label: `dropAnswer:${rule.mode}` };
}

/** Delivers `response` spoiled as decided: the handler has run, the client never gets a usable answer. */
export function loseAnswer(ctx: SimContext, drop: NonNullable<DropAnswerDecision>, response: SimResponse, res: http.ServerResponse): void {
  const body = Buffer.from(response.body ?? '');
  const half = body.subarray(0, Math.floor(body.length / 2));
  const dropConnection = () => {
    res.socket?.destroy();
    res.destroy();
  };
  if (res.destroyed) return;
  switch (drop.mode) {
    case 'reset':
      dropConnection();
      return;
    case 'cut':
      res.writeHead(response.status, { ...response.headers, 'Content-Length': body.length });
      res.write(half, () => dropConnection());
      return;
    case 'invalid-json':
      res.writeHead(response.status, { ...response.headers, 'Content-Length': half.length });
      res.end(half);
      return;
    case 'hold':
      schedule(ctx, drop.holdMs, dropConnection);
      return;
    case 'server-error': {
      const error = Buffer.from(JSON.stringify({ error: { code: 'InternalServerError', message: 'An error occurred while processing the request.', target: crypto.randomUUID() } }));
      res.writeHead(500, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': error.length });
      res.end(error);
      return;
    }
  }
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
