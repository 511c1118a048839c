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
  /**
   * A customer tenant of the partner scenario: it gets its own devices, alerts, incidents and
   * hunting data (seeded from this number), never shared with another tenant. Without it the
   * tenant reads the demo data set (the historical single-tenant behaviour).
   */
  dataSeed?: number;
  /** Defender for Endpoint is not provisioned: no WindowsDefenderATP service principal (AADSTS650052). */
  mdeMissing?: boolean;
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
  /**
   * Multi-tenant registration ("Accounts in any organizational directory"): a tenant that has not
   * consented has no service principal for it (AADSTS7000229) instead of not knowing it (AADSTS700016).
   */
  multiTenant?: boolean;
  /** Roles an admin consented to in a given tenant (tenant id, lower case), when not the app's full set. */
  tenantGrants?: Record<string, { roles: string[]; graphRoles: string[] }>;
}

const CONTOSO = '7d3c6a52-9f14-4e8b-a0c2-5b1e9d4f6a83';
const FABRIKAM = '0c5e8b3a-7f21-4d96-b4e8-3a9f6c1d5e27';
// Customer tenants of the partner (MSSP) scenario: each has its own data set.
const NORTHWIND = '4f8a2c61-3b7d-4e19-9c52-7a1e6d3b8f04';
const TAILSPIN = '8b1d5e73-6c2a-4f80-a3d9-2e7c4b9f1a56';
const WOODGROVE = 'c3e7a9f5-1d4b-4a62-8e07-5f9b2d6c3e18';

export const DEMO = {
  tenantId: CONTOSO,
  tenantDomain: 'contoso-sim.onmicrosoft.com',
  secondTenantId: FABRIKAM,
  secondTenantDomain: 'fabrikam-sim.onmicrosoft.com',
  tenants: [
    { id: CONTOSO, domains: ['contoso-sim.onmicrosoft.com'], displayName: 'Contoso (simulator)' },
    { id: FABRIKAM, domains: ['fabrikam-sim.onmicrosoft.com'], displayName: 'Fabrikam (simulator)' },
    { id: NORTHWIND, domains: ['northwind-sim.onmicrosoft.com'], displayName: 'Northwind Traders (simulator customer)', dataSeed: 101 },
    { id: TAILSPIN, domains: ['tailspin-sim.onmicrosoft.com'], displayName: 'Tailspin Toys (simulator customer)', dataSeed: 202 },
    { id: WOODGROVE, domains: ['woodgrove-sim.onmicrosoft.com'], displayName: 'Woodgrove Bank (simulator customer)', dataSeed: 303 },
  ] as readonly SimTenant[],
  /** The partner scenario's customer tenants (each with its own data; the partner app is consented in all three). */
  customers: [
    { id: NORTHWIND, domain: 'northwind-sim.onmicrosoft.com', displayName: 'Northwind Traders' },
    { id: TAILSPIN, domain: 'tailspin-sim.onmicrosoft.com', displayName: 'Tailspin Toys' },
    { id: WOODGROVE, domain: 'woodgrove-sim.onmicrosoft.com', displayName: 'Woodgrove Bank' },
  ],
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
    partner: {
      clientId: '6d1f8a24-9b3e-4c7a-8e52-1a4d7f0b9c36',
      secret: 'SimSecret~MSSP-partner',
      displayName: 'MSSP partner automation (simulator, multi-tenant)',
      roles: [...MDE_ROLE_UNIVERSE],
      graphRoles: ['ThreatHunting.Read.All', 'SecurityAlert.ReadWrite.All', 'SecurityIncident.ReadWrite.All'],
      // Home tenant (Contoso, the partner) + the three customers, which consented.
      tenants: [CONTOSO, NORTHWIND, TAILSPIN, WOODGROVE],
      objectId: 'b5a9e3c1-7d2f-4e8b-9a64-0c3f5e7d1b28',
      multiTenant: true,
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
    ...('multiTenant' in a && a.multiTenant ? { multiTenant: true } : {}),
  }));
}
