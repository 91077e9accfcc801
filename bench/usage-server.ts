// The usage bench's server in a process of its own, so the load and the measurements never share
// its event loop. argv[2]: its configuration environment as JSON. Prints one JSON line when it
// listens; reads commands on stdin: `mark` resets its heap peak, `report` prints it (the parent
// reads the exact RSS peak from /proc), `stop` closes the app and exits.
import { createInterface } from 'node:readline';
import pino from 'pino';
import { createApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';

const config = loadConfig(JSON.parse(process.argv[2] ?? '{}') as Record<string, string>);
const app = await createApp(config, { logger: pino({ level: config.logLevel }) });
await app.http.listen({ port: config.port, host: '127.0.0.1' });
const say = (message: Record<string, unknown>): void => void process.stdout.write(`${JSON.stringify(message)}\n`);

let heapPeak = 0;
const sample = (): void => {
  heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
};
setInterval(sample, 20).unref();
createInterface({ input: process.stdin }).on('line', (command) => {
  if (command === 'mark') {
    heapPeak = process.memoryUsage().heapUsed;
    say({ heapUsed: heapPeak });
  } else if (command === 'report') {
    sample();
    say({ heapPeak });
  } else if (command === 'stop') {
    void app.close().then(() => process.exit(0));
  }
});
say({ listening: true });
