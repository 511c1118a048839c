// Loaded with --import in the cold-start children: records every module URL that goes through
// the ESM loader (import / import()), so lazily imported ESM packages (got) can be seen.
import { register } from 'node:module';
import { MessageChannel } from 'node:worker_threads';

const { port1, port2 } = new MessageChannel();
globalThis.__benchEsmLoaded = [];
port1.on('message', (url) => globalThis.__benchEsmLoaded.push(url));
port1.unref();
register('./esm-hooks.mjs', { parentURL: import.meta.url, data: { port: port2 }, transferList: [port2] });
