// The dialog's status setting of mde-alerts, mde-incidents and mde-alert-update used to be a
// property named `status`. Node-RED's editor keeps a node's status display in node.status, so
// once the node had shown a status, the next deploy sent `{ fill, shape, text }` in its place.
// The property is now `statusFilter` (filters) or `newStatus` (the update node). A flow saved
// before the rename is read like this:
//   - the new property present: it alone counts (text, else refused);
//   - absent, and `status` is text: that text (the flow was saved before any status display);
//   - absent, and `status` is anything else: refused. An object there is the editor's status
//     display, not a choice: taking it as "no status" would widen a query, or silently stop
//     setting the status an alert-update node was built to set.
import { MdeInputError } from '../../client/errors';
import { describe } from '../../client/validate';
import { translate } from './i18n';
import type { NodeAPI } from './node-types';

export interface RenamedStatusOptions {
  /** Node type, for the catalogue (`<type>.errors.legacy-status`, `<type>.errors.status-setting`). */
  type: string;
  /** The property's name now: `statusFilter` or `newStatus`. */
  property: string;
}

/** The status text the dialog holds ('' when none was chosen), or an InvalidSetting error. */
export function readRenamedStatus(RED: NodeAPI, def: Record<string, unknown>, opts: RenamedStatusOptions): string {
  const current = def[opts.property];
  if (current !== undefined) {
    if (typeof current === 'string') return current;
    throw new MdeInputError(translate(RED, `${opts.type}.errors.status-setting`, { property: opts.property, got: describe(current) }), 'InvalidSetting');
  }
  const legacy = def.status;
  if (legacy === undefined || typeof legacy === 'string') return legacy ?? '';
  throw new MdeInputError(translate(RED, `${opts.type}.errors.legacy-status`, { got: describe(legacy) }), 'InvalidSetting');
}
