export { Cancellation } from './Cancellation.js';
export { estimateJsonBytes } from './estimateJsonBytes.js';
export {
  type IncomingRequestContext,
  JsonRpcPeer,
  type MessageExtra,
  type OutgoingRequestOptions,
  type PeerHandler,
  toErrorResponse,
} from './JsonRpcPeer.js';
export {
  type ClassifiedMessage,
  canonicalMessage,
  classifyMessage,
  errorResponse,
  type JsonRpcErrorResponse,
  type JsonRpcId,
  type JsonRpcMessage,
  type JsonRpcNotification,
  type JsonRpcRequest,
  type JsonRpcResultResponse,
} from './messages.js';
export { sdkRefusal } from './sdkMessageCheck.js';
