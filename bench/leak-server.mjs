// In-process echo server for the leak check. Spawned by run.mjs as
//   node --expose-gc bench/leak-server.mjs <mcpd|sdk>   (with an IPC channel)
// The load comes from run.mjs (autocannon in another process), so this heap holds only the server.
// IPC: -> {type:'ready', url}; <- {cmd:'heap'} -> {type:'heap', mem, sessions}; <- {cmd:'stop'}
import { fullGc } from './lib.mjs';
import { startInProcess } from './inproc.mjs';

if (!process.send) throw new Error('leak-server.mjs must be spawned with an IPC channel');
const server = await startInProcess(process.argv[2]);
process.on('disconnect', () => process.exit(0)); // parent gone -> go too
process.on('message', async (msg) => {
  if (msg?.cmd === 'heap') {
    const mem = await fullGc();
    process.send({ type: 'heap', mem, sessions: server.sessionCount() });
  } else if (msg?.cmd === 'stop') {
    await server.close();
    process.exit(0);
  }
});
process.send({ type: 'ready', url: server.url });
