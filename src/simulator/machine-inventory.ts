// Installed software and discovered vulnerabilities per device, derived from the device itself
// (platform + id) so every run and every request agrees. Shapes: get-installed-software.md
// (Software) and get-discovered-vulnerabilities.md (PublicVulnerabilityDto).
import type { SimMachine } from './types';

export interface SimSoftware {
  id: string;
  name: string;
  vendor: string;
  weaknesses: number;
  publicExploit: boolean;
  activeAlert: boolean;
  exposedMachines: number;
  impactScore: number;
}

export interface SimVulnerability {
  id: string;
  name: string;
  description: string;
  severity: 'Low' | 'Medium' | 'High' | 'Critical';
  cvssV3: number;
  exposedMachines: number;
  publishedOn: string;
  updatedOn: string;
  publicExploit: boolean;
  exploitVerified: boolean;
  exploitInKit: boolean;
  exploitTypes: string[];
  exploitUris: string[];
}

type Catalogue = { software: Omit<SimSoftware, 'exposedMachines'>; cves: Omit<SimVulnerability, 'exposedMachines'>[] };

const cve = (id: string, severity: SimVulnerability['severity'], cvssV3: number, publishedOn: string, description: string, publicExploit = false): Omit<SimVulnerability, 'exposedMachines'> => ({
  id, name: id, description, severity, cvssV3, publishedOn, updatedOn: publishedOn, publicExploit, exploitVerified: false, exploitInKit: false, exploitTypes: [], exploitUris: [],
});

const sw = (vendor: string, name: string, weaknesses: number, impactScore: number, publicExploit = false): Omit<SimSoftware, 'exposedMachines'> => ({
  id: `${vendor}-_-${name}`, name, vendor, weaknesses, publicExploit, activeAlert: false, impactScore,
});

const WINDOWS: Catalogue[] = [
  { software: sw('microsoft', 'edge_chromium-based', 0, 0), cves: [] },
  { software: sw('microsoft', 'office', 1, 3.1), cves: [cve('CVE-2024-21413', 'Critical', 9.8, '2024-02-13T00:00:00Z', 'Microsoft Outlook remote code execution vulnerability.', true)] },
  { software: sw('git', 'git', 1, 1.2), cves: [cve('CVE-2019-1348', 'Medium', 4.3, '2019-12-13T00:00:00Z', 'Git fast-import --export-marks could overwrite arbitrary paths.')] },
  { software: sw('7-zip', '7-zip', 1, 2.4), cves: [cve('CVE-2024-11477', 'High', 7.8, '2024-11-22T00:00:00Z', '7-Zip Zstandard decompression integer underflow.')] },
  { software: sw('google', 'chrome', 0, 0), cves: [] },
];
const LINUX: Catalogue[] = [
  { software: sw('openssl', 'openssl', 1, 2.0), cves: [cve('CVE-2023-0286', 'High', 7.4, '2023-02-08T00:00:00Z', 'OpenSSL X.400 address type confusion in X.509 GeneralName.')] },
  { software: sw('gnu', 'bash', 0, 0), cves: [] },
  { software: sw('sudo_project', 'sudo', 1, 2.2), cves: [cve('CVE-2021-3156', 'High', 7.8, '2021-01-26T00:00:00Z', 'Sudo heap-based buffer overflow (Baron Samedit).', true)] },
];
const MAC: Catalogue[] = [
  { software: sw('google', 'chrome', 0, 0), cves: [] },
  { software: sw('microsoft', 'office', 1, 3.1), cves: [cve('CVE-2024-21413', 'Critical', 9.8, '2024-02-13T00:00:00Z', 'Microsoft Outlook remote code execution vulnerability.', true)] },
];

function catalogueFor(m: SimMachine): Catalogue[] {
  if (m.osPlatform === 'Linux') return LINUX;
  if (/^mac/i.test(m.osPlatform)) return MAC;
  return WINDOWS;
}

/** The entries this device has: the first always, the others by the bits of its id. */
function installed(m: SimMachine): Catalogue[] {
  const bits = parseInt(m.id.slice(-4), 16) || 0;
  return catalogueFor(m).filter((_, i) => i === 0 || (bits >> i) & 1);
}

export function machineSoftware(all: SimMachine[], m: SimMachine): SimSoftware[] {
  return installed(m).map(({ software }) => ({ ...software, exposedMachines: software.weaknesses ? all.filter((x) => installed(x).some((c) => c.software.id === software.id)).length : 0 }));
}

export function machineVulnerabilities(all: SimMachine[], m: SimMachine): SimVulnerability[] {
  const cves = installed(m).flatMap((c) => c.cves);
  return cves.map((v) => ({ ...v, exposedMachines: all.filter((x) => installed(x).some((c) => c.cves.some((y) => y.id === v.id))).length }));
}
