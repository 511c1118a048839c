// One Node-RED runtime in its own process, for the shared-state tests: `startInstance()` in
// ./instances.js forks this file. Flows, credentials and settings arrive over IPC. Every message
// reaching a probe node (an inactive debug node) is appended to <recordDir>/<name>.<probe>.jsonl
// with a synchronous write, so what was handed on survives a SIGKILL; `killAfter` makes the
// process kill itself right after the n-th message on a probe (a holder dying mid-batch).
'use strict';
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..');
const PKG = require(path.join(ROOT, 'package.json')).name;

function nodeRedPath() {
  const major = Number(process.versions.node.split('.')[0]);
  const which = process.env.MDE_NODE_RED || (major >= 22 ? '5' : '4');
  return path.dirname(require.resolve(`${which === '5' ? 'node-red-5' : 'node-red'}/package.json`, { paths: [ROOT] }));
}

function summary(msg) {
  const mde = msg.mde && typeof msg.mde === 'object' ? msg.mde : {};
  const error = msg.error ? { message: msg.error.message, code: mde.error && mde.error.code, status: mde.error && mde.error.status } : undefined;
  const payload = msg.payload && typeof msg.payload === 'object' ? msg.payload : {};
  return { topic: msg.topic, id: payload.id, status: payload.status, mde: { joined: mde.joined, actionId: mde.actionId, machineId: mde.machineId }, tag: msg.tag, error };
}

process.once('message', async ({ name, userDir, recordDir, flows, credentials, settings, probes, killAfter }) => {
  fs.mkdirSync(path.join(userDir, 'node_modules'), { recursive: true });
  fs.symlinkSync(ROOT, path.join(userDir, 'node_modules', PKG), 'dir');
  fs.writeFileSync(path.join(userDir, 'package.json'), JSON.stringify({ name: 'node-red-project', private: true, dependencies: { [PKG]: `file:${ROOT}` } }));
  const positioned = flows.map((n, i) => (n.z && n.x === undefined ? { x: 120 + 10 * i, y: 40 + 40 * i, ...n } : n));
  fs.writeFileSync(path.join(userDir, 'flows.json'), JSON.stringify(positioned));
  fs.writeFileSync(path.join(userDir, 'flows_cred.json'), JSON.stringify(credentials));
  const RED = require(nodeRedPath());
  const flowsStarted = new Promise((resolve) => RED.events.once('flows:started', resolve));
  RED.init(http.createServer(), {
    userDir,
    flowFile: 'flows.json',
    credentialSecret: false,
    uiPort: 0,
    httpNodeRoot: false,
    logging: { console: { level: process.env.MDE_INSTANCE_LOG || 'fatal', metrics: false, audit: false } },
    editorTheme: { tours: false, projects: { enabled: false } },
    externalModules: { autoInstall: false, palette: { allowInstall: false } },
    diagnostics: { enabled: false },
    telemetry: { enabled: false },
    mdeConfigStateDir: userDir,
    ...settings,
  });
  await RED.start();
  await flowsStarted;

  const statuses = {};
  const counts = {};
  for (const id of probes) {
    const node = RED.nodes.getNode(id);
    const file = path.join(recordDir, `${name}.${id}.jsonl`);
    counts[id] = 0;
    node.on('input', (msg) => {
      fs.appendFileSync(file, `${JSON.stringify(summary(msg))}\n`);
      counts[id]++;
      if (killAfter && killAfter.probe === id && counts[id] >= killAfter.count) process.kill(process.pid, 'SIGKILL');
    });
  }
  // Every node's last status, for the parent to read.
  RED.events.on('node-status', () => undefined);
  const hookStatus = (id) => {
    const node = RED.nodes.getNode(id);
    if (!node || node.__statusHooked) return;
    const original = node.status.bind(node);
    node.status = (s) => {
      statuses[id] = s;
      return original(s);
    };
    node.__statusHooked = true;
  };
  for (const n of flows) if (n.z) hookStatus(n.id);

  process.on('message', async (m) => {
    if (m.cmd === 'inject') {
      RED.nodes.getNode(m.node).receive(m.msg);
      process.send({ reply: m.seq });
    } else if (m.cmd === 'status') {
      process.send({ reply: m.seq, value: statuses[m.node] || null });
    } else if (m.cmd === 'eval') {
      // Tests only: read a value from a node (counts of the governor, the lease holder ...).
      const node = RED.nodes.getNode(m.node);
      let value = null;
      try {
        value = await new Function('node', `return (async () => (${m.expr}))()`)(node);
      } catch (e) {
        value = { error: String(e && e.message) };
      }
      process.send({ reply: m.seq, value });
    } else if (m.cmd === 'stop') {
      await RED.stop().catch(() => undefined);
      process.send({ reply: m.seq }, () => process.exit(0));
    }
  });
  process.send({ ready: true });
});
