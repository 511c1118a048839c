// Token node: an app-only token for MDE or Graph, validated the way the origin document says
// (its roles claim must hold what the flow needs), handed out as a Bearer header so the core
// http request node can call any endpoint we have no node for.
import { translate } from './shared/i18n';
import { MdeAuthError } from '../client/errors';
import type { Audience } from '../client/types';
import { wireActionNode } from './shared/base';
import { tokenNodeNeeds, unmetRoleGroups } from '../client/auth/permissions';
import type { Node, NodeAPI, NodeDef } from './shared/node-types';
import { choiceSetting, listSetting, type Settings } from './shared/action-settings';

interface MdeTokenDef extends NodeDef {
  config?: string;
  audience?: string;
  requiredRoles?: string;
}

export = function register(RED: NodeAPI): void {
  function MdeToken(this: Node, def: MdeTokenDef): void {
    RED.nodes.createNode(this, def);
    // Imported or hand-edited flows carry any value: a wrong one is refused, never defaulted.
    let settingsError: Error | undefined;
    let audience: Audience = 'mde';
    let required: string[] = [];
    try {
      audience = choiceSetting(def as unknown as Settings, 'audience', ['mde', 'graph'] as const, 'mde');
      required = listSetting(def as unknown as Settings, 'requiredRoles', []);
    } catch (err) {
      settingsError = err as Error;
    }

    const status = wireActionNode(RED, this, {
      type: 'mde-token',
      configId: def.config,
      async onInput({ msg, send, status, config }) {
        if (settingsError) throw settingsError;
        status.requesting(translate(RED, 'mde-token.status.requesting'));
        const token = await config.connection().getToken(audience);
        const missing = unmetRoleGroups(token.roles, tokenNodeNeeds(required)).map((anyOf) => anyOf[0]);
        if (missing.length) {
          throw new MdeAuthError(
            translate(RED, 'mde-token.errors.missing-roles', { audience: audience === 'graph' ? 'Microsoft Graph' : 'the MDE API', roles: missing.join(', ') }),
            { code: 'MissingRoles' },
          );
        }
        const headers = (msg.headers && typeof msg.headers === 'object' ? msg.headers : {}) as Record<string, unknown>;
        headers.Authorization = `Bearer ${token.accessToken}`;
        msg.headers = headers;
        msg.token = {
          accessToken: token.accessToken,
          expiresOn: token.expiresOn.toISOString(),
          roles: token.roles,
          tenantId: token.tenantId,
          appId: token.appId,
          audience: token.audience,
        };
        status.ok(translate(RED, 'mde-token.status.ok', { roles: token.roles.length }));
        send(msg);
      },
    });
    if (settingsError) {
      status.error('InvalidSetting');
      this.warn(settingsError.message);
    }
  }

  RED.nodes.registerType('mde-token', MdeToken as never);
};
