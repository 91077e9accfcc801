// A loopback URL where nothing listens: the port was just bound and released, so a connection to it
// is refused at once — how tests stand in for a provider that cannot be reached.
import { createServer, type AddressInfo } from 'node:net';

export async function closedLoopbackUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}
