// A TCP connection with a deadline: a frozen server's kernel still completes the handshake, so
// only a timeout on every request tells a client to go elsewhere; this one is for the connect.
import net from 'node:net';
import { ConnectFailure } from './reconnecting-loop';

export function connectTcp(address: string, port: number, timeoutMs: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: address, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new ConnectFailure(`connect to ${address}:${port} timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      socket.setNoDelay(true);
      resolve(socket);
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      socket.destroy();
      reject(new ConnectFailure(`connect to ${address}:${port}: ${err.message}`));
    });
  });
}
