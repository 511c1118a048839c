// HTTP plumbing: classify each request (token, discovery, MDE API, Graph, control), apply
// faults, authenticate, rate-limit, dispatch, add latency, and log it.
import type * as http from 'node:http';
import * as crypto from 'node:crypto';
import { authenticate, checkRoles, header } from './auth';
import type { SimContext } from './context';
import { handleControl, type ControlHooks } from './control';
import { handleEntra } from './entra';
import { decideDropAnswer, decideFault, loseAnswer, responseDelay } from './faults';
import { empty, graphError, json, mdeError } from './http-util';
import { formatWindow } from './rate-limit';
import { alertRoutes } from './routes/alerts';
import { graphAlertRoutes } from './routes/graph-alerts';
import { graphIncidentRoutes } from './routes/graph-incidents';
import type { GraphRoute } from './routes/graph-route';
import { huntingRoutes, graphHunting } from './routes/hunting';
import { machineActionRoutes } from './routes/machine-actions';
import { machineRoutes } from './routes/machines';
import { indicatorRoutes } from './routes/indicators';
import { entityRoutes } from './routes/entities';
import type { Route } from './routes/route';
import { contextForTenant } from './tenant-data';
import type { RequestKind, RequestLogEntry, SimRequest, SimResponse } from './types';

const ROUTES: Route[] = [...huntingRoutes, ...machineActionRoutes, ...alertRoutes, ...machineRoutes, ...indicatorRoutes, ...entityRoutes];
const GRAPH_ROUTES: GraphRoute[] = [...graphAlertRoutes, ...graphIncidentRoutes];
const GRAPH_SECURITY = /^\/v1\.0(\/security\/(?:alerts_v2|incidents)(?:\/.*)?)$/i;
const MAX_BODY = 16 * 1024 * 1024;

function classify(path: string): RequestKind {
  const p = path.toLowerCase();
  if (p === '/_simulator' || p.startsWith('/_simulator/')) return 'control';
  if (p.startsWith('/api/') || p === '/api') return 'api';
  if (p.startsWith('/v1.0/') || p.startsWith('/beta/')) return 'graph';
  if (/^\/[^/]+\/oauth2\/(v2\.0\/)?token\/?$/.test(p)) return 'token';
  if (/^\/[^/]+\/((v2\.0\/)?\.well-known\/openid-configuration|discovery\/(v2\.0\/)?keys|discovery\/instance)$/.test(p)) return 'discovery';
  return 'api';
}

function dispatchApi(sim: SimContext, req: SimRequest): SimResponse {
  const m = /^\/api(\/v1\.0)?(?=\/|$)/i.exec(req.path);
  if (!m) return empty(404);
  const prefix = m[0];
  const sub = req.path.slice(prefix.length).replace(/(.)\/+$/, '$1') || '/';
  const candidates: { route: Route; params: string[] }[] = [];
  for (const route of ROUTES) {
    const hit = route.pattern.exec(sub);
    if (hit) candidates.push({ route, params: hit.slice(1) });
  }
  if (!candidates.length) return empty(404);
  const chosen = candidates.find((c) => c.route.method === req.method);
  if (!chosen) return empty(405, { Allow: [...new Set(candidates.map((c) => c.route.method))].join(', ') });
  const { route, params } = chosen;
  req.log.family = route.family;

  const auth = authenticate(sim, req, 'mde');
  if (!auth.ok) return auth.response;
  const decision = sim.rateLimiter.take(auth.principal.tenantId, route.family);
  if (!decision.ok) {
    const retry = { 'Retry-After': decision.retryAfterSec };
    if (route.family === 'hunting') {
      return json(429, { error: { code: '429', message: `API calls quota exceeded! maximum allowed ${decision.window.limit} per ${formatWindow(decision.window.windowMs)}`, target: crypto.randomUUID() } }, undefined, retry);
    }
    return mdeError(429, 'TooManyRequests', `Rate limit is exceeded. Maximum allowed ${decision.window.limit} per ${formatWindow(decision.window.windowMs)}. Try again in ${decision.retryAfterSec} seconds.`, retry);
  }
  const denied = checkRoles(auth.principal, route.roles, 'mde', req);
  if (denied) return denied;
  const origin = req.origin;
  return route.handler({ sim: contextForTenant(sim, auth.principal.tenantId), req, principal: auth.principal, base: `${origin}${prefix}`, prefix }, params);
}

/** Graph alerts_v2 and incidents: route, authenticate, rate-limit, check the role, handle. */
function dispatchGraphSecurity(sim: SimContext, req: SimRequest, sub: string, crid: string | undefined): SimResponse {
  const path = sub.replace(/(.)\/+$/, '$1');
  const candidates: { route: GraphRoute; params: string[] }[] = [];
  for (const route of GRAPH_ROUTES) {
    const hit = route.pattern.exec(path);
    if (hit) candidates.push({ route, params: hit.slice(1) });
  }
  if (!candidates.length) return graphError(400, 'BadRequest', `Resource not found for the segment '${path.split('/').filter(Boolean).pop() ?? ''}'.`, crid);
  req.log.family = candidates[0]!.route.family;
  const chosen = candidates.find((c) => c.route.method === req.method);
  if (!chosen) return graphError(405, 'BadRequest', `The HTTP method '${req.method}' is not supported for this resource.`, crid, { Allow: [...new Set(candidates.map((c) => c.route.method))].join(', ') });
  const auth = authenticate(sim, req, 'graph');
  if (!auth.ok) return auth.response;
  const decision = sim.rateLimiter.take(auth.principal.tenantId, chosen.route.family);
  if (!decision.ok) {
    return graphError(429, 'TooManyRequests', `Too many requests. Maximum allowed ${decision.window.limit} per ${formatWindow(decision.window.windowMs)}.`, crid, { 'Retry-After': decision.retryAfterSec });
  }
  const denied = checkRoles(auth.principal, chosen.route.roles, 'graph', req);
  if (denied) return denied;
  return chosen.route.handler({ sim: contextForTenant(sim, auth.principal.tenantId), req, principal: auth.principal, crid, base: `${req.origin}/v1.0` }, chosen.params);
}

function dispatchGraph(sim: SimContext, req: SimRequest): SimResponse {
  const crid = header(req, 'client-request-id');
  const security = GRAPH_SECURITY.exec(req.path);
  if (security) return dispatchGraphSecurity(sim, req, security[1]!, crid);
  const m = /^\/(v1\.0|beta)\/security\/runHuntingQuery\/?$/i.exec(req.path);
  if (!m) {
    const seg = req.path.split('/').filter(Boolean).slice(1).join('/');
    return graphError(400, 'BadRequest', `Resource not found for the segment '${seg}'.`, crid);
  }
  req.log.family = 'graph-hunting';
  if (req.method !== 'POST') return graphError(405, 'BadRequest', `The HTTP method '${req.method}' is not supported for this resource.`, crid, { Allow: 'POST' });
  const auth = authenticate(sim, req, 'graph');
  if (!auth.ok) return auth.response;
  const decision = sim.rateLimiter.take(auth.principal.tenantId, 'graph-hunting');
  if (!decision.ok) {
    return graphError(429, 'TooManyRequests', `Too many requests. Maximum allowed ${decision.window.limit} per ${formatWindow(decision.window.windowMs)}.`, crid, { 'Retry-After': decision.retryAfterSec });
  }
  const denied = checkRoles(auth.principal, ['ThreatHunting.Read.All'], 'graph', req);
  if (denied) return denied;
  return graphHunting(contextForTenant(sim, auth.principal.tenantId), req, crid);
}

function route(sim: SimContext, req: SimRequest, kind: RequestKind, hooks: ControlHooks): SimResponse {
  switch (kind) {
    case 'control':
      return handleControl(sim, req, hooks);
    case 'graph':
      return dispatchGraph(sim, req);
    case 'token':
    case 'discovery':
      return handleEntra(sim.entra, req) ?? empty(404);
    default:
      return dispatchApi(sim, req);
  }
}

export function pushLog(sim: SimContext, entry: RequestLogEntry): void {
  sim.log.push(entry);
  const excess = sim.log.length - sim.options.maxLogEntries;
  if (excess > 0) sim.log.splice(0, excess);
}

export function createRequestHandler(sim: SimContext, hooks: ControlHooks): http.RequestListener {
  return (req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY) chunks.push(c);
    });
    req.on('error', () => res.destroy());
    req.on('end', () => {
      const started = Date.now();
      const hostHeader = req.headers.host ?? `${sim.options.host ?? '127.0.0.1'}`;
      const url = new URL(req.url ?? '/', `https://${hostHeader}`);
      let path = url.pathname;
      try {
        path = decodeURIComponent(path);
      } catch {
        /* keep the raw path: a malformed escape simply will not match a route */
      }
      const kind = classify(path);
      const log: RequestLogEntry = { time: new Date(started).toISOString(), method: req.method ?? 'GET', host: hostHeader, path, query: url.search.replace(/^\?/, ''), status: 0, kind };
      const simReq: SimRequest = { method: (req.method ?? 'GET').toUpperCase(), path, query: url.searchParams, rawQuery: url.search, headers: req.headers, body: Buffer.concat(chunks), origin: `https://${hostHeader}`, log };

      const finish = (r: SimResponse) => {
        log.status = r.status;
        log.durationMs = Date.now() - started;
        pushLog(sim, log);
        if (res.destroyed) return;
        const body = r.body ?? '';
        const headers: Record<string, string | number> = { 'Strict-Transport-Security': 'max-age=31536000; includeSubDomains', ...r.headers };
        if (!('Content-Length' in headers)) headers['Content-Length'] = Buffer.byteLength(body);
        res.writeHead(r.status, headers);
        res.end(body);
      };

      if (size > MAX_BODY) return finish(kind === 'api' ? mdeError(413, 'BadRequest', 'Request body too large') : json(413, { error: 'request body too large' }));

      const fault = decideFault(sim, simReq, kind);
      if (fault?.kind === 'reset') {
        log.reset = true;
        log.fault = fault.label;
        log.durationMs = 0;
        pushLog(sim, log);
        res.socket?.destroy();
        res.destroy();
        return;
      }
      let response: SimResponse;
      if (fault) {
        log.fault = fault.label;
        response = fault.response;
        // Still attribute the call to a family when the path says which one.
        if (kind === 'api') log.family = ROUTES.find((r) => r.pattern.test(path.replace(/^\/api(\/v1\.0)?/i, '')))?.family;
        if (kind === 'graph' && GRAPH_SECURITY.test(path)) log.family = GRAPH_ROUTES.find((r) => r.pattern.test(path.replace(/^\/v1\.0/i, '')))?.family;
      } else {
        try {
          response = route(sim, simReq, kind, hooks);
        } catch (e) {
          response = kind === 'graph' ? graphError(500, 'InternalServerError', 'Simulator error.') : mdeError(500, 'InternalServerError', '');
          log.fault = `exception:${e instanceof Error ? e.message : String(e)}`;
        }
      }
      const dropped = fault ? undefined : decideDropAnswer(sim, simReq, kind);
      if (dropped) {
        log.status = response.status;
        log.reset = dropped.mode !== 'invalid-json' && dropped.mode !== 'server-error';
        log.fault = dropped.label;
        log.durationMs = Date.now() - started;
        pushLog(sim, log);
        loseAnswer(sim, dropped, response, res);
        return;
      }
      const latency = responseDelay(sim, simReq, kind);
      if (latency > 0) {
        const t = setTimeout(() => {
          sim.timers.delete(t);
          if (!sim.closed) finish(response);
        }, latency);
        sim.timers.add(t);
      } else {
        finish(response);
      }
    });
  };
}
