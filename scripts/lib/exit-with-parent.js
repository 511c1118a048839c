// Preloaded (`node --require`) into the Node-RED child of `npm start` and of the browser tests:
// when the parent goes away without stopping us (killed, crashed), the IPC channel closes and
// this process stops too, so no orphan Node-RED keeps the port.
'use strict';
if (process.channel) {
  process.on('disconnect', () => {
    // SIGINT runs Node-RED's own graceful stop; exit anyway if it takes too long.
    setTimeout(() => process.exit(0), 5000).unref();
    process.kill(process.pid, 'SIGINT');
  });
  process.channel.unref();
}
