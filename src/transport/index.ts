export { type ChildExit, type ChildProcessSpec, ChildProcessTransport } from './ChildProcessTransport.js';
export { LineReader, peekMessageId } from './LineReader.js';
export { ModernHttpTransport, type ModernHttpTransportOptions } from './ModernHttpTransport.js';
export { StderrTail } from './StderrTail.js';
export { StdioServerTransport, type StdioServerTransportOptions } from './StdioServerTransport.js';
export { MCP_SUBPROTOCOL, WsClientTransport, type WsClientTransportOptions } from './WsClientTransport.js';
