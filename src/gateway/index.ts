export { backoffDelay } from './backoff.js';
export { closestNames, editDistance } from './closestNames.js';
export { DownstreamSession, type SessionHost } from './DownstreamSession.js';
export {
  Gateway,
  type GatewayListener,
  type GatewayOptions,
  type InProcessService,
  type PipelineStages,
} from './Gateway.js';
export { HttpFront, type HttpFrontOptions, type HttpRoute } from './HttpFront.js';
export { answerIfRefused, sendJsonError } from './httpGuard.js';
export {
  checkRequest,
  type HttpSecurityPolicy,
  hostnameOf,
  isLoopback,
  TOKEN_COOKIE,
  tokenLogin,
} from './httpSecurity.js';
export { type CatalogEntry, NamedCatalog, type NamingMode } from './NamedCatalog.js';
export { quietSignalFetch } from './quietSignalFetch.js';
export { Scope, type ScopeMember, type ToolEntry } from './Scope.js';
export {
  type Handshake,
  Upstream,
  type UpstreamListener,
  type UpstreamOptions,
  type UpstreamState,
} from './Upstream.js';
export { UpstreamToolExecutor } from './UpstreamToolExecutor.js';
export { emptyLists, type ListedItem, type ListKind, type UpstreamLists } from './upstreamLists.js';
