// Machines: list/get (id or name), find by IP / tag, tags, logged-on users (mde-api.md §4.2).
import * as net from 'node:net';
import { mdeError, odata } from '../http-util';
import { applyOData, nextLink, type EntitySetSpec } from '../odata';
import { machineSoftware, machineVulnerabilities } from '../machine-inventory';
import type { SimMachine } from '../types';
import { pagedCollection } from './paged';
import { MACHINE_READ, MACHINE_WRITE, findMachine, missing, notFound, odataError, readBody, type Route, type RouteCtx } from './route';

export const MACHINE_SPEC: EntitySetSpec = {
  typeName: 'microsoft.windowsDefenderATP.api.PublicMachine',
  // Learn, get-machines.md: "$filter query is supported on: computerDnsName, id, version, deviceValue,
  // aadDeviceId, machineTags, lastSeen, exposureLevel, onboardingStatus, lastIpAddress, healthStatus,
  // osPlatform, riskScore and rbacGroupId".
  filterable: ['computerDnsName', 'id', 'version', 'deviceValue', 'aadDeviceId', 'machineTags', 'lastSeen', 'exposureLevel', 'onboardingStatus', 'lastIpAddress', 'healthStatus', 'osPlatform', 'riskScore', 'rbacGroupId'],
  dateProps: ['lastSeen', 'firstSeen'],
};

const DAY = 86_400_000;

function collection(rc: RouteCtx, items: SimMachine[]) {
  return odata(200, { '@odata.context': `${rc.base}/$metadata#Machines`, value: items });
}

function entity(rc: RouteCtx, m: SimMachine) {
  return odata(200, { '@odata.context': `${rc.base}/$metadata#Machines/$entity`, ...m });
}

function listMachines(rc: RouteCtx) {
  try {
    const r = applyOData(rc.sim.state.machines, rc.req.query, MACHINE_SPEC, rc.sim.options.pageSize);
    if (r.items.length === 0 && rc.sim.options.emptyMachinesAs404) return notFound('No machines found');
    const body: Record<string, unknown> = { '@odata.context': `${rc.base}/$metadata#Machines`, value: r.items };
    if (r.nextSkip !== undefined) body['@odata.nextLink'] = nextLink(rc.req.origin, rc.req.path, rc.req.query, r.nextSkip);
    return odata(200, body);
  } catch (e) {
    return odataError(e);
  }
}

function findByIp(rc: RouteCtx, args: string) {
  const ip = /ip\s*=\s*'([^']*)'/i.exec(args)?.[1];
  const tsText = /timestamp\s*=\s*'?([0-9T:.\-+Z]+)'?/i.exec(args)?.[1];
  if (!ip) return missing('ip');
  if (!tsText) return missing('timestamp');
  if (!net.isIP(ip)) return mdeError(400, 'InvalidIpAddress', `Invalid IP address: ${ip}`);
  const ts = Date.parse(tsText);
  if (Number.isNaN(ts)) return mdeError(400, 'InvalidInput', `Invalid input timestamp: ${tsText}`);
  if (ts < Date.now() - 30 * DAY) return mdeError(400, 'InvalidInput', 'Timestamp must be within the last 30 days.');
  const window = 15 * 60_000;
  // A device reports its address from first sight until now, so any time in that span matches.
  const hits = rc.sim.state.machines.filter(
    (m) => m.ipAddresses.some((a) => a.ipAddress === ip) && ts >= Date.parse(m.firstSeen) - window && ts <= Date.now() + window,
  );
  return collection(rc, hits);
}

function findByTag(rc: RouteCtx) {
  const tag = rc.req.query.get('tag');
  if (!tag) return missing('tag');
  const prefix = /^true$/i.test(rc.req.query.get('useStartsWithFilter') ?? 'false');
  const lower = tag.toLowerCase();
  return collection(
    rc,
    rc.sim.state.machines.filter((m) => m.machineTags.some((t) => (prefix ? t.toLowerCase().startsWith(lower) : t.toLowerCase() === lower))),
  );
}

const ID = '([^/]+)';

export const machineRoutes: Route[] = [
  { method: 'GET', pattern: /^\/machines$/i, family: 'machines', roles: MACHINE_READ, handler: listMachines },
  { method: 'GET', pattern: /^\/machines\/findbyip\((.*)\)$/i, family: 'machines', roles: MACHINE_READ, handler: (rc, [args]) => findByIp(rc, args) },
  { method: 'GET', pattern: /^\/machines\/findbytag$/i, family: 'machines', roles: MACHINE_READ, handler: findByTag },
  {
    method: 'GET', pattern: new RegExp(`^/machines/${ID}$`, 'i'), family: 'machines', roles: MACHINE_READ,
    handler: (rc, [id]) => {
      const m = findMachine(rc.sim, id);
      return m ? entity(rc, m) : notFound(`Machine ${id} was not found`);
    },
  },
  {
    method: 'GET', pattern: new RegExp(`^/machines/${ID}/logonusers$`, 'i'), family: 'machines', roles: ['User.Read.All'],
    handler: (rc, [id]) => {
      const m = findMachine(rc.sim, id);
      if (!m) return notFound(`Machine ${id} was not found`);
      const users = rc.sim.state.machineInternal.get(m.id)?.loggedOnUsers ?? [];
      // Server-sized pages with @odata.nextLink: the page documents no $top / $skip.
      return pagedCollection(rc, users.map((u) => ({ id: `${u.domainName.toLowerCase()}\\${u.accountName}`, accountName: u.accountName, accountDomain: u.domainName, firstSeen: m.firstSeen, lastSeen: m.lastSeen, logonTypes: 'Interactive', isDomainAdmin: false, isOnlyNetworkUser: false })), 'Users', 'microsoft.windowsDefenderATP.api.User');
    },
  },
  {
    // add-or-remove-multiple-machine-tags.md: {Value, Action, MachineIds}, at most 500 machines,
    // 200 with the updated machines. IDs the tenant does not have are left out of the answer.
    method: 'POST', pattern: /^\/machines\/AddOrRemoveTagForMultipleMachines$/i, family: 'machines', roles: MACHINE_WRITE,
    handler: (rc) => {
      const b = readBody(rc.req, ['Value', 'Action', 'MachineIds']);
      if (!b.ok) return b.response;
      const { Value, Action, MachineIds } = b.body;
      if (typeof Value !== 'string' || Value === '') return missing('Value');
      if (Action === undefined) return missing('Action');
      if (Action !== 'Add' && Action !== 'Remove') return mdeError(400, 'InvalidInput', `Invalid input Action: ${String(Action)}. Allowed values: Add, Remove.`);
      if (MachineIds === undefined) return missing('MachineIds');
      if (!Array.isArray(MachineIds) || MachineIds.length === 0 || !MachineIds.every((x) => typeof x === 'string')) return mdeError(400, 'InvalidInput', 'Invalid input MachineIds: a list of machine IDs is expected.');
      if (MachineIds.length > 500) return mdeError(400, 'InvalidInput', `Invalid input MachineIds: at most 500 machines per request, got ${MachineIds.length}.`);
      const updated: SimMachine[] = [];
      for (const id of new Set(MachineIds.map((x) => x.toLowerCase()))) {
        const m = rc.sim.state.machines.find((x) => x.id === id);
        if (!m) continue;
        if (Action === 'Add' && !m.machineTags.includes(Value)) m.machineTags.push(Value);
        if (Action === 'Remove') m.machineTags = m.machineTags.filter((t) => t !== Value);
        updated.push(m);
      }
      return collection(rc, updated);
    },
  },
  {
    // get-installed-software.md: Software.Read.All only.
    method: 'GET', pattern: new RegExp(`^/machines/${ID}/software$`, 'i'), family: 'machines', roles: ['Software.Read.All'],
    handler: (rc, [id]) => {
      const m = findMachine(rc.sim, id);
      if (!m) return notFound(`Machine ${id} was not found`);
      return pagedCollection(rc, machineSoftware(rc.sim.state.machines, m) as unknown as Record<string, unknown>[], 'Software', 'microsoft.windowsDefenderATP.api.Software');
    },
  },
  {
    // get-discovered-vulnerabilities.md: Vulnerability.Read.All only.
    method: 'GET', pattern: new RegExp(`^/machines/${ID}/vulnerabilities$`, 'i'), family: 'machines', roles: ['Vulnerability.Read.All'],
    handler: (rc, [id]) => {
      const m = findMachine(rc.sim, id);
      if (!m) return notFound(`Machine ${id} was not found`);
      return pagedCollection(rc, machineVulnerabilities(rc.sim.state.machines, m) as unknown as Record<string, unknown>[], 'Collection(Analytics.Contracts.PublicAPI.PublicVulnerabilityDto)', 'Analytics.Contracts.PublicAPI.PublicVulnerabilityDto');
    },
  },
  {
    method: 'POST', pattern: new RegExp(`^/machines/${ID}/tags$`, 'i'), family: 'machines', roles: MACHINE_WRITE,
    handler: (rc, [id]) => {
      const m = findMachine(rc.sim, id);
      if (!m) return notFound(`Machine ${id} was not found`);
      const b = readBody(rc.req, ['Value', 'Action']);
      if (!b.ok) return b.response;
      const { Value, Action } = b.body;
      if (typeof Value !== 'string' || Value === '') return missing('Value');
      if (Action === undefined) return missing('Action');
      if (Action !== 'Add' && Action !== 'Remove') return mdeError(400, 'InvalidInput', `Invalid input Action: ${String(Action)}. Allowed values: Add, Remove.`);
      if (Action === 'Add' && !m.machineTags.includes(Value)) m.machineTags.push(Value);
      if (Action === 'Remove') m.machineTags = m.machineTags.filter((t) => t !== Value);
      return entity(rc, m);
    },
  },
];
