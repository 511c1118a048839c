// Shared by `npm start` (scripts/demo.js) and the browser tests (test/e2e): build the package if
// needed, pack it and install the tarball into a Node-RED user directory the way the palette
// manager does, write settings.js, start Node-RED as a child process pointed at the simulator,
// wait until our node types are loaded, deploy flows through the admin API, and stop it again.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const net = require('node:net');
const crypto = require('node:crypto');
const { spawn, spawnSync } = require('node:child_process');

const root = path.resolve(__dirname, '..', '..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const MODULE = pkg.name;
const NODE_TYPES = Object.keys((pkg['node-red'] && pkg['node-red'].nodes) || {});

/** The fixed demo identities of the bundled simulator (src/simulator/identities.ts). */
const DEMO = {
  tenantId: '7d3c6a52-9f14-4e8b-a0c2-5b1e9d4f6a83',
  clientId: '3b9e4f27-8c1d-4a6e-b5f0-2d7a9c3e1f64',
  secret: 'SimSecret~SOC-automation',
  readOnlyClientId: '5c2a8d91-6e3f-4b7a-9d04-1f8b6e2c7a35',
  readOnlySecret: 'SimSecret~read-only',
  /** The multi-tenant partner app (examples/10: one connection, the simulator's three customer tenants). */
  partnerClientId: '6d1f8a24-9b3e-4c7a-8e52-1a4d7f0b9c36',
  partnerSecret: 'SimSecret~MSSP-partner',
};
/** The config node every example shares (same id in every file, so imports reuse one connection). */
const CONFIG_ID = 'mde-demo-connection';
const EXAMPLE_SIM_URL = 'https://127.0.0.1:8443';

class EnvError extends Error {
  constructor(message, code) {
    super(message);
    this.code = code;
  }
}

// ---------------------------------------------------------------- build

function newestMtime(target) {
  let newest = 0;
  if (!fs.existsSync(target)) return newest;
  const stat = fs.statSync(target);
  if (!stat.isDirectory()) return stat.mtimeMs;
  for (const entry of fs.readdirSync(target, { withFileTypes: true })) {
    newest = Math.max(newest, newestMtime(path.join(target, entry.name)));
  }
  return newest;
}

function oldestMtime(target) {
  let oldest = Infinity;
  if (!fs.existsSync(target)) return 0;
  const stat = fs.statSync(target);
  if (!stat.isDirectory()) return stat.mtimeMs;
  for (const entry of fs.readdirSync(target, { withFileTypes: true })) {
    oldest = Math.min(oldest, oldestMtime(path.join(target, entry.name)));
  }
  return oldest === Infinity ? 0 : oldest;
}

/** True when dist/ is missing a node or a file in it is older than src/, nodes/ or icons/. */
function needsBuild() {
  const dist = path.join(root, 'dist');
  const required = [
    ...NODE_TYPES.map((t) => pkg['node-red'].nodes[t]),
    ...NODE_TYPES.map((t) => pkg['node-red'].nodes[t].replace(/\.js$/, '.html')),
    'dist/simulator/index.js',
  ];
  if (required.some((f) => !fs.existsSync(path.join(root, f)))) return true;
  const sources = Math.max(newestMtime(path.join(root, 'src')), newestMtime(path.join(root, 'nodes')), newestMtime(path.join(root, 'icons')), newestMtime(path.join(root, 'tsconfig.json')));
  // tsc only rewrites what changed, so compare against the oldest compiled node file.
  const built = Math.min(...NODE_TYPES.map((t) => oldestMtime(path.join(root, pkg['node-red'].nodes[t]))), oldestMtime(path.join(dist, 'nodes', 'icons')) || Infinity);
  return sources > built;
}

function build(log = console.log) {
  log('Building the package (tsc + editor files) ...');
  const r = spawnSync(process.execPath, [path.join(root, 'scripts', 'build.js')], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) throw new EnvError('The build failed (see the compiler output above). Fix it, or run `npm run build` to see the errors again.', 'BuildFailed');
  // Make the stamp newer than the sources even when tsc left unchanged outputs alone.
  const now = new Date();
  for (const t of NODE_TYPES) {
    const f = path.join(root, pkg['node-red'].nodes[t]);
    if (fs.existsSync(f)) fs.utimesSync(f, now, now);
  }
}

function ensureBuilt({ force = false, log = console.log } = {}) {
  if (force || needsBuild()) {
    build(log);
    return true;
  }
  return false;
}

// ---------------------------------------------------------------- pack + install

function listFiles(target, out = []) {
  if (!fs.existsSync(target)) return out;
  const stat = fs.statSync(target);
  if (!stat.isDirectory()) {
    out.push(target);
    return out;
  }
  for (const entry of fs.readdirSync(target).sort()) listFiles(path.join(target, entry), out);
  return out;
}

/** Hash of what `npm pack` would put in the tarball (package.json `files` + package.json). */
function packageContentHash() {
  const hash = crypto.createHash('sha256');
  const entries = ['package.json', ...(pkg.files || [])];
  for (const entry of entries) {
    for (const file of listFiles(path.join(root, entry))) {
      if (file.endsWith('.map')) continue;
      hash.update(path.relative(root, file));
      hash.update('\0');
      hash.update(fs.readFileSync(file));
      hash.update('\0');
    }
  }
  return hash.digest('hex').slice(0, 16);
}

const npmCmd = process.platform === 'win32' ? 'npm.cmd' : 'npm';

function npm(args, cwd, { quiet = true } = {}) {
  const r = spawnSync(npmCmd, args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' },
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status !== 0) {
    const detail = `${r.stderr || ''}${r.stdout || ''}`.trim().split('\n').slice(-15).join('\n');
    throw new EnvError(`npm ${args.join(' ')} failed in ${cwd}:\n${detail}`, 'NpmFailed');
  }
  if (!quiet && r.stdout) process.stdout.write(r.stdout);
  return r.stdout;
}

/**
 * `npm pack` the repository into packDir (the build already ran, so scripts are skipped) and
 * `npm install` the tarball inside userDir, like Manage palette > Install does. Skipped when the
 * packed content is unchanged since the last install into this user directory.
 */
function installPackage(userDir, { packDir = path.join(userDir, '..', 'pack'), force = false, log = console.log } = {}) {
  fs.mkdirSync(userDir, { recursive: true });
  const stampFile = path.join(userDir, '.mde-installed-package');
  const hash = packageContentHash();
  const installedDir = path.join(userDir, 'node_modules', ...MODULE.split('/'));
  if (!force && fs.existsSync(installedDir) && fs.existsSync(stampFile) && fs.readFileSync(stampFile, 'utf8').trim() === hash) {
    return { installed: false, hash };
  }
  const started = Date.now();
  fs.mkdirSync(packDir, { recursive: true });
  for (const f of fs.readdirSync(packDir)) if (f.endsWith('.tgz')) fs.rmSync(path.join(packDir, f));
  const out = npm(['pack', '--ignore-scripts', '--json', '--pack-destination', packDir], root);
  let filename;
  try {
    filename = JSON.parse(out)[0].filename;
  } catch {
    filename = fs.readdirSync(packDir).find((f) => f.endsWith('.tgz'));
  }
  const tarball = path.join(packDir, path.basename(filename));
  const userPkg = path.join(userDir, 'package.json');
  if (!fs.existsSync(userPkg)) {
    fs.writeFileSync(userPkg, JSON.stringify({ name: 'node-red-project', description: 'A Node-RED Project', version: '0.0.1', private: true }, null, 2) + '\n');
  }
  // The palette manager runs: npm install --no-audit --no-update-notifier --no-fund --save
  // --save-prefix=~ --omit=dev --engine-strict <module>. Same here, with the local tarball, and
  // --prefer-offline so the dependencies come from the npm cache `npm install` just filled.
  npm(['install', '--no-audit', '--no-update-notifier', '--no-fund', '--save', '--omit=dev', '--engine-strict', '--prefer-offline', tarball], userDir);
  fs.writeFileSync(stampFile, hash + '\n');
  log(`Installed ${path.basename(tarball)} into ${path.relative(root, userDir) || userDir} (${((Date.now() - started) / 1000).toFixed(1)} s).`);
  return { installed: true, hash, tarball };
}

// ---------------------------------------------------------------- settings

/**
 * settings.js for the user directory. Credentials are encrypted with a random key kept in
 * `.credential-secret` next to it (created once per user directory, never committed): the demo
 * secret is a fake simulator secret, but someone may point the demo at a real tenant and type a
 * real secret, so plain-text credentials (`credentialSecret: false`) are not acceptable, and a key
 * fixed in the repository would be no better than plain text.
 */
function writeSettings(userDir, { port, logLevel = 'info', stateDir = 'mde-state', extra = '' } = {}) {
  fs.mkdirSync(userDir, { recursive: true });
  const keyFile = path.join(userDir, '.credential-secret');
  if (!fs.existsSync(keyFile)) fs.writeFileSync(keyFile, crypto.randomBytes(24).toString('hex') + '\n', { mode: 0o600 });
  const settingsFile = path.join(userDir, 'settings.js');
  const text = `// Written by ${path.relative(root, path.join(__dirname, 'node-red-env.js'))}; regenerated on every start.
const fs = require('node:fs');
const path = require('node:path');
module.exports = {
    uiHost: '127.0.0.1',
    uiPort: ${Number(port) || 1880},
    userDir: __dirname,
    flowFile: 'flows.json',
    flowFilePretty: true,
    credentialSecret: fs.readFileSync(path.join(__dirname, '.credential-secret'), 'utf8').trim(),
    // Where mde-config keeps the isolation journal and blast-radius counters.
    mdeConfigStateDir: path.join(__dirname, ${JSON.stringify(stateDir)}),
    logging: { console: { level: ${JSON.stringify(logLevel)}, metrics: false, audit: false } },
    diagnostics: { enabled: false, ui: false },
    telemetry: { enabled: false, updateNotification: false },
    externalModules: { autoInstall: false, palette: { allowInstall: false }, modules: { allowInstall: false } },
    functionExternalModules: false,
    debugMaxLength: 4000,
    exportGlobalContextKeys: false,
    editorTheme: {
        tours: false,
        projects: { enabled: false },
        palette: { categories: ['Microsoft Defender', 'common', 'function', 'network', 'sequence', 'parser', 'storage'] },
    },
${extra}};
`;
  fs.writeFileSync(settingsFile, text);
  return settingsFile;
}

// ---------------------------------------------------------------- ports

/** Resolves when host:port can be bound; rejects with a clear message when it cannot. */
function checkPortFree(port, host = '127.0.0.1', what = 'this service', hint = '') {
  return new Promise((resolve, reject) => {
    if (!port) return resolve();
    const srv = net.createServer();
    srv.unref();
    srv.once('error', (err) => {
      if (err.code === 'EADDRINUSE') {
        reject(new EnvError(`Port ${port} on ${host} is already in use, so ${what} cannot start there. Stop whatever uses it (\`lsof -i :${port}\` or \`ss -ltnp | grep :${port}\` shows it — often an earlier \`npm start\` or another Node-RED)${hint ? `, or ${hint}` : ''}.`, 'PortInUse'));
      } else if (err.code === 'EACCES') {
        reject(new EnvError(`Not allowed to listen on port ${port} (${what}); choose a port above 1024${hint ? `: ${hint}` : ''}.`, 'PortDenied'));
      } else reject(err);
    });
    srv.listen({ port, host, exclusive: true }, () => srv.close(() => resolve()));
  });
}

/** A free TCP port on loopback (for tests). */
function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

// ---------------------------------------------------------------- admin API

async function adminRequest(baseUrl, method, urlPath, body, headers = {}) {
  const res = await fetch(new URL(urlPath, baseUrl), {
    method,
    headers: { Accept: 'application/json', ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}), ...headers },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  let json;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  if (!res.ok) {
    const err = new EnvError(`${method} ${urlPath} answered ${res.status}: ${text.slice(0, 300)}`, 'AdminApi');
    err.status = res.status;
    throw err;
  }
  return json === undefined ? text : json;
}

/** Replace every flow with `flows` (credentials on config nodes are stored encrypted, never echoed). */
function deployFlows(baseUrl, flows) {
  return adminRequest(baseUrl, 'POST', 'flows', flows, { 'Node-RED-Deployment-Type': 'full', 'Node-RED-API-Version': 'v1' });
}

// ---------------------------------------------------------------- examples

function examplesDir() {
  return path.join(root, 'examples');
}

/** [{ file, title, nodes }] for examples/*.json, sorted by file name. */
function loadExamples() {
  const dir = examplesDir();
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => ({ file, title: file.replace(/\.json$/, ''), nodes: JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) }));
}

/**
 * All examples as one flow set with a single shared config node pointed at `simUrl`, carrying the
 * demo app's secret as a credential (Node-RED stores it encrypted in flows_cred.json).
 */
function demoFlows(simUrl, { secret = DEMO.secret, examples = loadExamples() } = {}) {
  const seen = new Set();
  const flows = [];
  for (const ex of examples) {
    for (const n of ex.nodes) {
      if (seen.has(n.id)) continue;
      seen.add(n.id);
      const copy = JSON.parse(JSON.stringify(n));
      if (copy.type === 'mde-config') {
        Object.assign(copy, { cloud: 'custom', apiBaseUrl: simUrl, authorityHost: simUrl, graphBaseUrl: simUrl });
        copy.credentials = { clientSecret: copy.mode === 'partner' ? DEMO.partnerSecret : secret };
      }
      if (copy.type === 'http request' && typeof copy.url === 'string') copy.url = copy.url.split(EXAMPLE_SIM_URL).join(simUrl);
      flows.push(copy);
    }
  }
  return flows;
}

// ---------------------------------------------------------------- Node-RED process

function nodeRedMain(which = 'node-red') {
  return require.resolve(`${which}/red.js`, { paths: [root] });
}

/**
 * Start Node-RED as a child process. Resolves once the admin API answers and every node type of
 * our package is registered. `caFile` becomes NODE_EXTRA_CA_CERTS so TLS to the simulator is
 * trusted without putting a CA certificate into the flows.
 */
async function startNodeRed({ userDir, port, caFile, logFile, onLine, env = {}, timeoutMs = 60_000, nodeRed = 'node-red' }) {
  const settingsFile = path.join(userDir, 'settings.js');
  const args = ['--require', path.join(__dirname, 'exit-with-parent.js'), nodeRedMain(nodeRed), '--userDir', userDir, '--port', String(port), '--settings', settingsFile];
  const child = spawn(process.execPath, args, {
    cwd: userDir,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    env: { ...process.env, ...(caFile ? { NODE_EXTRA_CA_CERTS: caFile } : {}), NODE_RED_ENABLE_TOURS: 'false', ...env },
  });
  const logStream = logFile ? fs.createWriteStream(logFile, { flags: 'a' }) : null;
  const recent = [];
  let exited = null;
  const exitPromise = new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      exited = { code, signal };
      resolve(exited);
    });
  });
  const relay = (stream) => {
    let buf = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk) => {
      if (logStream) logStream.write(chunk);
      buf += chunk;
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        recent.push(line);
        if (recent.length > 60) recent.shift();
        if (onLine) onLine(line);
      }
    });
  };
  relay(child.stdout);
  relay(child.stderr);

  const url = `http://127.0.0.1:${port}/`;
  const handle = {
    url,
    port,
    child,
    pid: child.pid,
    recentOutput: () => recent.join('\n'),
    exited: () => exited,
    waitForExit: () => exitPromise,
    async stop(ms = 10_000) {
      if (!exited) {
        child.kill('SIGINT');
        const t = setTimeout(() => {
          if (!exited) child.kill('SIGKILL');
        }, ms);
        await exitPromise;
        clearTimeout(t);
      }
      if (logStream) await new Promise((r) => logStream.end(r));
      return exited;
    },
  };

  const deadline = Date.now() + timeoutMs;
  let lastError;
  while (Date.now() < deadline) {
    if (exited) {
      const out = recent.join('\n');
      if (/EADDRINUSE/.test(out)) throw new EnvError(`Node-RED could not listen on port ${port}: it is already in use.`, 'PortInUse');
      throw new EnvError(`Node-RED exited during start-up (code ${exited.code}, signal ${exited.signal}). Last output:\n${out.split('\n').slice(-25).join('\n')}`, 'NodeRedExited');
    }
    try {
      const nodes = await adminRequest(url, 'GET', 'nodes');
      const ours = nodes.filter((n) => n.module === MODULE);
      const types = new Set(ours.flatMap((n) => (n.enabled !== false && n.loaded !== false ? n.types || [] : [])));
      const missing = NODE_TYPES.filter((t) => !types.has(t));
      if (!missing.length) {
        // The flows load right after the nodes: wait for the runtime to report started flows.
        const state = await adminRequest(url, 'GET', 'flows/state').catch(() => ({ state: 'start' }));
        if (!state || state.state === 'start' || state.state === undefined) return handle;
      } else if (ours.length && ours.every((n) => n.err)) {
        throw new EnvError(`Node-RED could not load ${MODULE}: ${ours.map((n) => n.err).filter(Boolean).join('; ')}`, 'NodesNotLoaded');
      }
      lastError = new Error(`node types not loaded yet: ${missing.join(', ')}`);
    } catch (err) {
      if (err instanceof EnvError && err.code === 'NodesNotLoaded') {
        await handle.stop();
        throw err;
      }
      lastError = err;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  await handle.stop();
  throw new EnvError(`Node-RED did not become ready within ${timeoutMs / 1000} s (${lastError && lastError.message}). Last output:\n${recent.slice(-25).join('\n')}`, 'NodeRedTimeout');
}

module.exports = {
  root,
  pkg,
  MODULE,
  NODE_TYPES,
  DEMO,
  CONFIG_ID,
  EXAMPLE_SIM_URL,
  EnvError,
  needsBuild,
  build,
  ensureBuilt,
  packageContentHash,
  installPackage,
  writeSettings,
  checkPortFree,
  freePort,
  adminRequest,
  deployFlows,
  loadExamples,
  demoFlows,
  startNodeRed,
};
