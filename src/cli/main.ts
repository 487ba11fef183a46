import { diag } from '@opentelemetry/api';
import { Command, InvalidArgumentError } from 'commander';
import { ConfigError } from '../config/index.js';
import { PinoDiagLogger } from '../logging/index.js';
import { diagLevelFrom } from '../telemetry/StderrDiagLogger.js';
import { VERSION } from '../version.js';
import { CommandLineError } from './CommandLineError.js';
import { cliLogging, fail } from './cliOutput.js';

function positiveNumber(value: string): number {
  const number = Number(value);
  if (!Number.isFinite(number) || number <= 0) throw new InvalidArgumentError('expected a positive number');
  return number;
}

function port(value: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 0 || number > 65535)
    throw new InvalidArgumentError('expected a port (0-65535)');
  return number;
}

function exportFormat(value: string): 'json' | 'csv' {
  if (value !== 'json' && value !== 'csv') throw new InvalidArgumentError('expected json or csv');
  return value;
}

/** Build the command-line program. Commands load their modules lazily, after parsing. */
export function buildProgram(): Command {
  const program = new Command('toolscope')
    .description('Observability-first OpenTelemetry agent for MCP tool execution')
    .version(VERSION)
    .enablePositionalOptions()
    .showHelpAfterError();

  program
    .command('demo')
    .description('run the gateway with bundled demo services and a synthetic agent workload, then summarise')
    .option('--duration <seconds>', 'how long the workload runs', positiveNumber, 30)
    .option('--no-incident', 'skip the scripted incident (one tool regressing mid-run)')
    .option('--no-tuning', 'keep every pool at its configured limit (compare with the tuner on)')
    .option('--port <port>', 'port of the HTTP listener (default 8765, or any free port when taken)', port)
    .option('--rate <callsPerSecond>', 'offered load', positiveNumber, 40)
    .option('--open', 'open the dashboard in a browser, and keep serving it after the summary until Ctrl-C')
    .action(
      async (options: {
        duration: number;
        incident: boolean;
        tuning: boolean;
        port?: number;
        rate: number;
        open?: boolean;
      }) => {
        const { runDemo } = await import('../demo/index.js');
        await runDemo({
          durationMs: options.duration * 1000,
          incident: options.incident,
          tuning: options.tuning,
          port: options.port,
          ratePerSecond: options.rate,
          open: options.open ?? false,
        });
      },
    );

  program
    .command('gateway')
    .description('serve many MCP servers behind one instrumented endpoint (stdio by default)')
    .argument('[config]', 'config file (or -c/--config, or TOOLSCOPE_CONFIG)')
    .option('-c, --config <file>', 'config file: mcpServers (+ a toolscope section)')
    .option('--http', 'serve Streamable HTTP instead of stdio')
    .option('--host <host>', 'HTTP bind address (default 127.0.0.1)')
    .option('--port <port>', 'HTTP port (default 8765)', port)
    .action(
      async (
        positional: string | undefined,
        options: { config?: string; http?: boolean; host?: string; port?: number },
      ) => {
        const config = options.config ?? positional ?? process.env.TOOLSCOPE_CONFIG;
        if (!config)
          throw new CommandLineError(
            'a config file is required: toolscope gateway <config.json> (or -c <file>, or TOOLSCOPE_CONFIG)',
          );
        const { runGateway } = await import('./runGateway.js');
        await runGateway({ ...options, config });
      },
    );

  program
    .command('proxy')
    .description('wrap one stdio MCP server: toolscope proxy -- <command> [args…]')
    .option('-c, --config <file>', 'config file for the toolscope section (telemetry, policies)')
    .option('--name <service>', 'service name in telemetry (default: derived from the command)')
    .argument('<command>', 'server executable')
    .argument('[args...]', 'server arguments')
    .passThroughOptions()
    .action(async (command: string, args: string[], options: { config?: string; name?: string }) => {
      const { runProxy } = await import('./runProxy.js');
      await runProxy({ command, args, config: options.config, name: options.name });
    });

  const instance = (command: Command) =>
    command
      .option(
        '--url <url>',
        'base URL of a running toolscope (default: TOOLSCOPE_URL, else the newest running instance)',
      )
      .option('--token <token>', 'bearer token, when the instance requires one (default: TOOLSCOPE_TOKEN)');

  instance(
    program
      .command('status')
      .description('show services, tools, alerts and recent events of a running toolscope')
      .option('--json', 'print the /status JSON instead of tables'),
  ).action(async (options: { url?: string; token?: string; json?: boolean }) => {
    const { runStatus } = await import('./runStatus.js');
    await runStatus(options);
  });

  instance(
    program
      .command('top')
      .description('live view of a running toolscope (q to quit)')
      .option('--interval <seconds>', 'refresh interval', positiveNumber, 1)
      .option('--once', 'print one frame and exit'),
  ).action(async (options: { url?: string; token?: string; interval: number; once?: boolean }) => {
    const { runTop } = await import('./runTop.js');
    await runTop(options);
  });

  instance(
    program
      .command('export')
      .description('export tool summaries, alerts, anomalies and tuning decisions of a running toolscope')
      .option('--format <format>', 'json or csv', exportFormat, 'json')
      .option('--since <when>', 'only what happened since: a duration (10m, 2h), an ISO date or epoch ms')
      .option('-o, --output <file>', 'write to a file instead of stdout'),
  ).action(
    async (options: {
      url?: string;
      token?: string;
      format: 'json' | 'csv';
      since?: string;
      output?: string;
    }) => {
      const { runExport } = await import('./runExport.js');
      await runExport(options);
    },
  );

  instance(
    program
      .command('profile')
      .description(
        'capture a CPU profile of a running toolscope while a tool runs, and show its hottest functions',
      )
      .argument('<tool>', 'tool name as agents call it (e.g. storage_fetch_record) or service/tool')
      .option('--seconds <n>', 'capture length', positiveNumber, 10)
      .option('--json', 'print the capture result as JSON'),
  ).action(
    async (tool: string, options: { url?: string; token?: string; seconds: number; json?: boolean }) => {
      const { runProfile } = await import('./runProfile.js');
      await runProfile({ ...options, tool });
    },
  );

  return program;
}

/**
 * Run the CLI; resolves with the exit code. Only the bin calls `process.exit`.
 * Everything it says on stderr, and OpenTelemetry's diagnostics, use toolscope's
 * one log format (see `cliOutput.ts`); a failure is said there and gives a non-zero code.
 */
export async function main(argv: readonly string[]): Promise<number> {
  diag.setLogger(new PinoDiagLogger(cliLogging(argv).logger), {
    logLevel: diagLevelFrom(process.env.TOOLSCOPE_LOG_LEVEL ?? process.env.OTEL_LOG_LEVEL),
    suppressOverrideMessage: true,
  });
  const program = buildProgram().exitOverride();
  try {
    await program.parseAsync([...argv]);
    return 0;
  } catch (error) {
    if (error instanceof ConfigError) {
      fail(error.message, { source: error.source, issues: error.issues });
      return 2;
    }
    if (error instanceof CommandLineError) {
      fail(error.message);
      return error.exitCode;
    }
    // commander has printed its own usage errors already; one thrown from an action has not.
    const code = (error as { code?: string; exitCode?: number }).code;
    if (typeof code === 'string' && code.startsWith('commander.'))
      return (error as { exitCode: number }).exitCode;
    fail(error instanceof Error ? error.message : String(error));
    return 1;
  }
}
