// The fixed demo tenants and app registrations. Other parts of the project (examples, flow tests,
// the demo script) hard-code these values, so they must never change.

/** Every WindowsDefenderATP application role seen in a real token (mde-api.md §3). */
export const MDE_ROLE_UNIVERSE: readonly string[] = [
  'Machine.Isolate', 'Event.Write', 'SecurityConfiguration.ReadWrite.All', 'IntegrationConfiguration.ReadWrite',
  'Machine.Scan', 'Url.Read.All', 'Ip.Read.All', 'Ti.ReadWrite', 'Ti.Read.All', 'User.Read.All',
  'Machine.ReadWrite.All', 'Ti.ReadWrite.All', 'Machine.LiveResponse', 'SecurityRecommendation.Read.All',
  'Machine.RestrictExecution', 'Machine.StopAndQuarantine', 'Alert.Read.All', 'Software.Read.All',
  'SecurityConfiguration.Read.All', 'File.Read.All', 'Machine.CollectForensics', 'Machine.Offboard',
  'Vulnerability.Read.All', 'Library.Manage', 'Machine.Read.All', 'Score.Read.All', 'RemediationTasks.Read.All',
  'Alert.ReadWrite.All', 'AdvancedQuery.Read.All',
];

export interface SimTenant {
  id: string;
  /** Verified domains that address the same tenant on the token endpoint. */
  domains: string[];
  displayName: string;
}

export interface SimApp {
  clientId: string;
  displayName: string;
  /** Shared secret value; undefined = secret auth not possible. */
  secret?: string;
  /** Registered certificate (PEM) for client assertions. */
  certificatePem?: string;
  /** WindowsDefenderATP application roles granted (consented). */
  roles: string[];
  /** Microsoft Graph application roles granted. */
  graphRoles: string[];
  /** Tenants where the app has a service principal. */
  tenants: string[];
  /** Service principal object id (token `oid`/`sub`). */
  objectId: string;
}

const CONTOSO = '7d3c6a52-9f14-4e8b-a0c2-5b1e9d4f6a83';
const FABRIKAM = '0c5e8b3a-7f21-4d96-b4e8-3a9f6c1d5e27';

export const DEMO = {
  tenantId: CONTOSO,
  tenantDomain: 'contoso-sim.onmicrosoft.com',
  secondTenantId: FABRIKAM,
  secondTenantDomain: 'fabrikam-sim.onmicrosoft.com',
  tenants: [
    { id: CONTOSO, domains: ['contoso-sim.onmicrosoft.com'], displayName: 'Contoso (simulator)' },
    { id: FABRIKAM, domains: ['fabrikam-sim.onmicrosoft.com'], displayName: 'Fabrikam (simulator)' },
  ] as readonly SimTenant[],
  apps: {
    socAutomation: {
      clientId: '3b9e4f27-8c1d-4a6e-b5f0-2d7a9c3e1f64',
      secret: 'SimSecret~SOC-automation',
      displayName: 'SOC Automation (simulator)',
      roles: [...MDE_ROLE_UNIVERSE],
      graphRoles: ['ThreatHunting.Read.All', 'SecurityAlert.ReadWrite.All', 'SecurityIncident.ReadWrite.All'],
      tenants: [CONTOSO, FABRIKAM],
      objectId: 'e4b1c7d2-5a3f-4c8e-9d16-0f2a7b3c5e91',
    },
    readOnly: {
      clientId: '5c2a8d91-6e3f-4b7a-9d04-1f8b6e2c7a35',
      secret: 'SimSecret~read-only',
      displayName: 'Read-only reporting (simulator)',
      roles: ['Alert.Read.All', 'Machine.Read.All', 'AdvancedQuery.Read.All'],
      graphRoles: ['ThreatHunting.Read.All', 'SecurityAlert.Read.All', 'SecurityIncident.Read.All'],
      tenants: [CONTOSO],
      objectId: 'a7f3d9e1-2b4c-4e6a-8f05-3c1d9b7e2a64',
    },
    noRoles: {
      clientId: '9a4f1c63-2d8e-4f5b-8c17-6e3b9a0d2f48',
      secret: 'SimSecret~no-roles',
      displayName: 'Not consented (simulator)',
      roles: [] as string[],
      graphRoles: [] as string[],
      tenants: [CONTOSO],
      objectId: 'c2e8a4f6-9b1d-4d3e-a7c5-8e0f2b6d4a19',
    },
    certificate: {
      clientId: '2e7b5d18-4a9c-4e3f-b621-8d0f3c5a9e72',
      secret: undefined as string | undefined,
      displayName: 'SOC Automation certificate (simulator)',
      roles: [...MDE_ROLE_UNIVERSE],
      graphRoles: ['ThreatHunting.Read.All', 'SecurityAlert.ReadWrite.All', 'SecurityIncident.ReadWrite.All'],
      tenants: [CONTOSO],
      objectId: 'f9d2b6a8-3e5c-4a7f-b1d4-6a8c0e2f4b37',
    },
  },
} as const;

export type DemoAppName = keyof typeof DEMO.apps;

/** MDE API audiences (token `aud` values the MDE API accepts). */
export const MDE_AUDIENCES: readonly string[] = [
  'https://api.securitycenter.microsoft.com',
  'https://securitycenter.onmicrosoft.com/windowsatpservice',
  'https://api.securitycenter.windows.com',
  'https://securitycenter.onmicrosoft.us/windowsatpservice',
  'https://api-gov.securitycenter.microsoft.us',
];

export const GRAPH_AUDIENCES: readonly string[] = ['https://graph.microsoft.com', 'https://graph.microsoft.us', 'https://dod-graph.microsoft.us'];

/** Apps as registered at start: demo apps (the certificate app gets the generated cert). */
export function demoApps(certificatePem: string): SimApp[] {
  return Object.entries(DEMO.apps).map(([name, a]) => ({
    clientId: a.clientId,
    displayName: a.displayName,
    secret: a.secret,
    certificatePem: name === 'certificate' ? certificatePem : undefined,
    roles: [...a.roles],
    graphRoles: [...a.graphRoles],
    tenants: [...a.tenants],
    objectId: a.objectId,
  }));
}
