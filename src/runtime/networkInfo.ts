import type { ServerConfig } from '../config/index.js';
import type { NetworkInfo } from '../telemetry/index.js';

/** `network.*` facts of the connection toolscope serves agents on. */
export function downstreamNetwork(kind: 'pipe' | 'tcp' | 'inproc'): NetworkInfo {
  return kind === 'tcp'
    ? { transport: 'tcp', protocolName: 'http', protocolVersion: '1.1' }
    : { transport: kind };
}

/** `network.*` and `server.*` facts of an upstream connection (in-process when there is no config entry). */
export function upstreamNetwork(server: ServerConfig | undefined): NetworkInfo {
  if (!server) return { transport: 'inproc' };
  if (server.kind === 'stdio') return { transport: 'pipe' };
  const url = new URL(server.url);
  const port = url.port ? Number(url.port) : url.protocol === 'https:' || url.protocol === 'wss:' ? 443 : 80;
  return {
    transport: 'tcp',
    protocolName: server.transport === 'ws' ? 'websocket' : 'http',
    protocolVersion: server.transport === 'ws' ? undefined : '1.1',
    peerAddress: url.hostname,
    peerPort: port,
  };
}
