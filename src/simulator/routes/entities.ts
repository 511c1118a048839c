// Files, IPs, domains and users (mde-api.md §4.6; files.md, get-file-information.md,
// get-file-statistics.md, get-file-related-machines.md, get-file-related-alerts.md,
// get-ip-statistics.md, get-ip-related-alerts.md, get-domain-statistics.md,
// get-domain-related-machines.md, get-domain-related-alerts.md, get-user-related-machines.md,
// get-user-related-alerts.md). Roles are each page's own table, including the two odd ones:
// domain alerts list only Alert.ReadWrite.All, user machines only Machine.ReadWrite.All.
import * as net from 'node:net';
import { mdeError, odata } from '../http-util';
import { domainAlerts, domainMachines, domainStats, fileAlerts, fileEntity, fileMachines, fileStats, ipAlerts, ipStats, userAlerts, userMachines } from '../entities';
import { listAlerts } from './alerts';
import { pagedCollection } from './paged';
import { ALERT_READ, ALERT_WRITE, MACHINE_READ, MACHINE_WRITE, notFound, type Route, type RouteCtx } from './route';

const ID = '([^/]+)';
const MACHINE_TYPE = 'microsoft.windowsDefenderATP.api.PublicMachine';
/** "The maximum value for lookbackhours is 720 Hours (30 days)"; absent: "Defaults to 30 days". */
const MAX_LOOK_BACK = 720;

type LookBack = { ok: true; hours: number } | { ok: false; response: ReturnType<typeof mdeError> };

function lookBack(rc: RouteCtx): LookBack {
  const raw = [...rc.req.query].find(([k]) => k.toLowerCase() === 'lookbackhours')?.[1];
  if (raw === undefined) return { ok: true, hours: MAX_LOOK_BACK };
  const n = /^\s*\d+\s*$/.test(raw) ? Number(raw) : NaN;
  // Int32 in the reference; 0 and anything above 720 are outside what the pages allow.
  if (!Number.isInteger(n) || n < 1 || n > MAX_LOOK_BACK) return { ok: false, response: mdeError(400, 'InvalidInput', `Invalid input lookBackHours: ${raw}. The value must be between 1 and ${MAX_LOOK_BACK}.`) };
  return { ok: true, hours: n };
}

const HEX40 = /^[0-9a-f]{40}$/i;
const HEX64 = /^[0-9a-f]{64}$/i;

function stats(rc: RouteCtx, type: string, body: Record<string, unknown>) {
  return odata(200, { '@odata.context': `${rc.base}/$metadata#microsoft.windowsDefenderATP.api.${type}`, ...body });
}

function badIp(ip: string) {
  return mdeError(400, 'InvalidIpAddress', `Invalid IP address: ${ip}`);
}

export const entityRoutes: Route[] = [
  {
    // get-file-information.md: by Sha1 or Sha256; 404 when the file does not exist.
    method: 'GET', pattern: new RegExp(`^/files/${ID}$`, 'i'), family: 'entities', roles: ['File.Read.All'],
    handler: (rc, [id]) => {
      const file = HEX40.test(id) || HEX64.test(id) ? fileEntity(rc.sim.state, id) : undefined;
      return file ? odata(200, { '@odata.context': `${rc.base}/$metadata#Files/$entity`, ...file }) : notFound(`File ${id} was not found`);
    },
  },
  {
    // get-file-statistics.md: lookBackHours ≤ 720, 404 when the file does not exist.
    method: 'GET', pattern: new RegExp(`^/files/${ID}/stats$`, 'i'), family: 'entities', roles: ['File.Read.All'],
    handler: (rc, [id]) => {
      const look = lookBack(rc);
      if (!look.ok) return look.response;
      const s = HEX40.test(id) ? fileStats(rc.sim.state, id, look.hours) : undefined;
      return s ? stats(rc, 'InOrgFileStats', s) : notFound(`File ${id} was not found`);
    },
  },
  {
    // get-file-related-machines.md: SHA-1 only; an unknown file is 200 with an empty set.
    method: 'GET', pattern: new RegExp(`^/files/${ID}/machines$`, 'i'), family: 'entities', roles: MACHINE_READ,
    handler: (rc, [id]) => pagedCollection(rc, HEX40.test(id) ? fileMachines(rc.sim.state, id) : [], 'Machines', MACHINE_TYPE),
  },
  {
    method: 'GET', pattern: new RegExp(`^/files/${ID}/alerts$`, 'i'), family: 'entities', roles: ALERT_READ,
    handler: (rc, [id]) => listAlerts(rc, HEX40.test(id) ? fileAlerts(rc.sim.state, id) : []),
  },
  {
    // get-ip-statistics.md: a valid unseen IP has prevalence 0; an invalid IP is 400.
    method: 'GET', pattern: new RegExp(`^/ips/${ID}/stats$`, 'i'), family: 'entities', roles: ['Ip.Read.All'],
    handler: (rc, [ip]) => {
      if (!net.isIP(ip)) return badIp(ip);
      const look = lookBack(rc);
      if (!look.ok) return look.response;
      return stats(rc, 'InOrgIPStats', ipStats(rc.sim.state, ip, look.hours));
    },
  },
  {
    method: 'GET', pattern: new RegExp(`^/ips/${ID}/alerts$`, 'i'), family: 'entities', roles: ALERT_READ,
    handler: (rc, [ip]) => (net.isIP(ip) ? listAlerts(rc, ipAlerts(rc.sim.state, ip)) : badIp(ip)),
  },
  {
    // get-domain-statistics.md: an unknown domain is 200 with prevalence 0.
    method: 'GET', pattern: new RegExp(`^/domains/${ID}/stats$`, 'i'), family: 'entities', roles: ['URL.Read.All'],
    handler: (rc, [domain]) => {
      const look = lookBack(rc);
      if (!look.ok) return look.response;
      return stats(rc, 'InOrgDomainStats', domainStats(rc.sim.state, domain, look.hours));
    },
  },
  {
    // get-domain-related-machines.md: "Responses are limited to 500 devices in results".
    method: 'GET', pattern: new RegExp(`^/domains/${ID}/machines$`, 'i'), family: 'entities', roles: MACHINE_READ,
    handler: (rc, [domain]) => pagedCollection(rc, domainMachines(rc.sim.state, domain).slice(0, 500), 'Machines', MACHINE_TYPE),
  },
  {
    method: 'GET', pattern: new RegExp(`^/domains/${ID}/alerts$`, 'i'), family: 'entities', roles: ALERT_WRITE,
    handler: (rc, [domain]) => listAlerts(rc, domainAlerts(rc.sim.state, domain)),
  },
  {
    // get-user-related-machines.md: the user name only (user1, not user1@contoso.com); an unknown user is an empty set.
    method: 'GET', pattern: new RegExp(`^/users/${ID}/machines$`, 'i'), family: 'entities', roles: MACHINE_WRITE,
    handler: (rc, [user]) => pagedCollection(rc, userMachines(rc.sim.state, user), 'Machines', MACHINE_TYPE),
  },
  {
    method: 'GET', pattern: new RegExp(`^/users/${ID}/alerts$`, 'i'), family: 'entities', roles: ALERT_READ,
    handler: (rc, [user]) => listAlerts(rc, userAlerts(rc.sim.state, user)),
  },
];
