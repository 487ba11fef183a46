/**
 * `node --import toolscope/register app.js`: instruments every MCP SDK Client and
 * McpServer in the app. (Filled in by the telemetry step.)
 */
export {};
