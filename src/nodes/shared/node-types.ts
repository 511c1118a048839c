// Node-RED shapes used by our node files, narrowed to what we touch.
import type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow } from 'node-red';

export type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow };

export type SendFn = (msg: NodeMessage | Array<NodeMessage | NodeMessage[] | null>) => void;
export type DoneFn = (err?: Error) => void;

/** A TypedInput value as stored by the editor: the value and its type (msg, flow, str, env ...). */
export interface TypedValue {
  value: string;
  type: string;
}
