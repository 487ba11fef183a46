import type { NetworkInfo } from '../telemetry/index.js';

/**
 * What `network.*` and peer attributes a transport gets, read from the SDK's
 * transport classes (their names are stable across SDK 1.x and 2.x bundles):
 * stdio → `pipe`; Streamable HTTP and SSE → `tcp`/`http`; WebSocket →
 * `tcp`/`websocket`; InMemory → `inproc`. Client transports that keep their URL
 * (`_url`, SDK 1.x and 2.x) also give `server.address`/`server.port`. Anything
 * else is reported as `pipe` (custom transports are mostly IPC); pass `network`
 * to `instrumentClient`/`instrumentServer` to say otherwise.
 */
export function networkOf(transport: object, role: 'client' | 'server'): NetworkInfo {
  const name = (transport as { constructor?: { name?: unknown } }).constructor?.name;
  const kind = typeof name === 'string' ? name : '';
  if (kind.includes('InMemory')) return { transport: 'inproc' };
  if (kind.includes('Stdio') || kind.includes('ChildProcess')) return { transport: 'pipe' };
  if (kind.includes('WebSocket'))
    return { transport: 'tcp', protocolName: 'websocket', ...peer(transport, role) };
  if (kind.includes('HTTP') || kind.includes('Http') || kind.includes('SSE')) {
    return { transport: 'tcp', protocolName: 'http', ...peer(transport, role) };
  }
  return { transport: 'pipe' };
}

function peer(transport: object, role: 'client' | 'server'): Pick<NetworkInfo, 'peerAddress' | 'peerPort'> {
  if (role !== 'client') return {};
  const url = (transport as { _url?: unknown })._url;
  if (!(url instanceof URL)) return {};
  const secure = url.protocol === 'https:' || url.protocol === 'wss:';
  return { peerAddress: url.hostname, peerPort: url.port ? Number(url.port) : secure ? 443 : 80 };
}
