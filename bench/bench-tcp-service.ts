/**
 * One address in front of several backends, as a Kubernetes Service puts one address in front of
 * a Deployment's pods: each new TCP connection goes to the next backend that accepts it (a dead
 * backend is skipped), and the bytes are piped both ways.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

export interface TcpService {
  readonly address: string;
  close(): Promise<void>;
}

export async function startTcpService(listenPort: number, backends: () => string[]): Promise<TcpService> {
  let next = 0;
  const open = new Set<Socket>();
  const dial = (targets: string[], attempt: number, client: Socket) => {
    if (attempt >= targets.length) {
      client.destroy();
      return;
    }
    const [host, port] = targets[(next + attempt) % targets.length]!.split(':');
    const remote = connect(Number(port), host);
    remote.once('error', () => {
      remote.destroy();
      if (!client.destroyed) dial(targets, attempt + 1, client);
    });
    remote.once('connect', () => {
      next++;
      open.add(remote);
      remote.on('close', () => {
        open.delete(remote);
        client.destroy();
      });
      remote.on('error', () => client.destroy());
      client.on('error', () => remote.destroy());
      client.on('close', () => remote.destroy());
      client.pipe(remote);
      remote.pipe(client);
      client.resume();
    });
  };
  const server: Server = createServer({ pauseOnConnect: true }, (client) => {
    open.add(client);
    client.on('close', () => open.delete(client));
    dial(backends(), 0, client);
  });
  await new Promise<void>((resolve) => server.listen(listenPort, '127.0.0.1', resolve));
  return {
    address: `127.0.0.1:${listenPort}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of open) s.destroy();
        server.close(() => resolve());
      }),
  };
}
