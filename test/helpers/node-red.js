// Loads node-red-node-test-helper against Node-RED 4.x (Node 20) or 5.x (Node 22):
// MDE_NODE_RED=4|5 chooses; default follows the running Node major.
'use strict';
const path = require('node:path');
const fs = require('node:fs');
const os = require('node:os');
const helper = require('node-red-node-test-helper');

const major = Number(process.versions.node.split('.')[0]);
const which = process.env.MDE_NODE_RED || (major >= 22 ? '5' : '4');
const redPath = require.resolve(which === '5' ? 'node-red-5' : 'node-red');
const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mde-nr-test-'));
helper.init(redPath, { userDir });

const dist = path.resolve(__dirname, '..', '..', 'dist', 'nodes');
const nodes = {
  config: require(path.join(dist, 'mde-config.js')),
  token: require(path.join(dist, 'mde-token.js')),
  alerts: require(path.join(dist, 'mde-alerts.js')),
  hunting: require(path.join(dist, 'mde-hunting.js')),
  isolate: require(path.join(dist, 'mde-isolate.js')),
  alertUpdate: require(path.join(dist, 'mde-alert-update.js')),
  incidents: require(path.join(dist, 'mde-incidents.js')),
  alertTrigger: require(path.join(dist, 'mde-alert-trigger.js')),
  request: require(path.join(dist, 'mde-request.js')),
  machines: require(path.join(dist, 'mde-machines.js')),
  indicators: require(path.join(dist, 'mde-indicators.js')),
  machineAction: require(path.join(dist, 'mde-machine-action.js')),
  entities: require(path.join(dist, 'mde-entities.js')),
};
const allNodes = Object.values(nodes);

/** Core nodes of the Node-RED under test (inject, function, switch, debug ...), for playbook tests. */
function coreNode(file) {
  return require(require.resolve(`@node-red/nodes/core/${file}`, { paths: [path.dirname(redPath)] }));
}

/** Node-RED's own `http proxy` config node, from the runtime under test. */
const httpProxyNode = coreNode('network/06-httpproxy.js');

function nodeRedVersion() {
  return require(path.join(path.dirname(redPath), '..', 'package.json')).version;
}

/** A fresh state directory per test so pending actions of one test never leak into another. */
function useFreshStateDir() {
  const dir = fs.mkdtempSync(path.join(userDir, 'state-'));
  helper.settings({ userDir, mdeConfigStateDir: dir });
  return dir;
}

module.exports = { helper, nodes, allNodes, coreNode, httpProxyNode, nodeRedVersion, useFreshStateDir, userDir, which };
