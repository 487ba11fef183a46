import {
  JSONRPCErrorResponseSchema,
  JSONRPCNotificationSchema,
  JSONRPCRequestSchema,
  JSONRPCResultResponseSchema,
} from '@modelcontextprotocol/sdk/types.js';
import type { ClassifiedMessage } from './messages.js';

type MessageKind = Exclude<ClassifiedMessage['kind'], 'invalid'>;

const SCHEMAS = {
  request: JSONRPCRequestSchema,
  notification: JSONRPCNotificationSchema,
  result: JSONRPCResultResponseSchema,
  error: JSONRPCErrorResponseSchema,
} as const;

/**
 * Why the SDK's transports would refuse a (canonical) message of this kind, or
 * undefined when they accept it. The SDK's Streamable HTTP transport answers such
 * a message with -32700 "Parse error" although it is valid JSON; checking first
 * lets the front answer -32600 Invalid Request, as JSON-RPC prescribes, naming
 * the field. The SDK is stricter than our classifier: ids and error codes must be
 * safe integers, a progress token an integer or a string.
 */
export function sdkRefusal(kind: MessageKind, message: unknown): string | undefined {
  const parsed = SCHEMAS[kind].safeParse(message);
  if (parsed.success) return undefined;
  const issue = parsed.error.issues[0];
  if (!issue) return 'not a JSON-RPC message';
  const path = issue.path.map(String).join('.');
  return path ? `"${path}": ${issue.message}` : issue.message;
}
