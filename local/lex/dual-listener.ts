/**
 * The one port of a local Lex region, shared by both protocols: HTTP/1.1 (the REST runtime APIs and the admin
 * routes) and cleartext HTTP/2 with prior knowledge (StartConversation, and the SDK's default handler).
 */
import type { Server as HttpServer } from 'node:http';
import type { Http2Server } from 'node:http2';
import type { Server as NetServer, Socket } from 'node:net';
import { createServer as createNetServer } from 'node:net';

/** The HTTP/2 connection preface every prior-knowledge client sends first (RFC 9113 §3.4). */
const H2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

/** The one listener of a region: both protocols on one port. */
export interface DualListener {
  server: NetServer;
  /** Destroys every connection (HTTP/1.1 keep-alive, HTTP/2 sessions, ones still being sniffed). */
  destroyConnections(): void;
}

/**
 * Listens on one port for both protocols: a connection that opens with the HTTP/2 preface goes to the HTTP/2
 * server, any other to the HTTP/1.1 server. The bytes read to decide are put back before the hand-over.
 */
export function listenBoth(http1: HttpServer, h2: Http2Server, port: number, host: string): Promise<DualListener> {
  const sockets = new Set<Socket>();
  const server = createNetServer((socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    let seen = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      seen = Buffer.concat([seen, chunk]);
      const n = Math.min(seen.length, H2_PREFACE.length);
      const isH2 = seen.subarray(0, n).equals(H2_PREFACE.subarray(0, n));
      if (isH2 && seen.length < H2_PREFACE.length) return;
      socket.off('data', onData);
      socket.pause();
      socket.unshift(seen);
      if (isH2) {
        // No resume(): the HTTP/2 session reads the unshifted preface itself; resuming would emit it again.
        h2.emit('connection', socket);
      } else {
        http1.emit('connection', socket);
        socket.resume();
      }
    };
    socket.on('data', onData);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve({
        server,
        destroyConnections: () => {
          for (const s of [...sockets]) s.destroy();
        },
      });
    });
  });
}
