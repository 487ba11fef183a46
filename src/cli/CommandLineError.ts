/** A command that cannot run as given (a missing argument, a server command that does not exist). */
export class CommandLineError extends Error {
  override readonly name = 'CommandLineError';
  /** @default 2, a usage error */
  readonly exitCode: number;

  constructor(message: string, exitCode = 2) {
    super(message);
    this.exitCode = exitCode;
  }
}
