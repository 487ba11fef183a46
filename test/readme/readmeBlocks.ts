/** One fenced code block of a markdown file. */
export interface FencedBlock {
  /** The info string's first word: `bash`, `json`, … */
  readonly lang: string;
  /** 1-based line of the opening fence. */
  readonly line: number;
  readonly body: string;
  /** `<!-- smoke: skip (reason) -->` right before the block: none of it runs. */
  readonly skip: string | undefined;
  /** `<!-- smoke: skip "command" (reason) -->`: these commands of the block do not run. */
  readonly skipCommands: ReadonlyMap<string, string>;
}

/** One command of a shell block, as a person would type it (its trailing comment removed). */
export interface ShellCommand {
  readonly command: string;
  readonly line: number;
  readonly block: FencedBlock;
}

const MARKER = /^<!--\s*smoke:\s*skip\s*(?:"([^"]+)")?\s*\(([^)]+)\)\s*-->$/;

/** The fenced blocks of `markdown`, with the smoke markers (HTML comments) just above them. */
export function fencedBlocks(markdown: string): FencedBlock[] {
  const lines = markdown.split('\n');
  const blocks: FencedBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S*)/.exec(lines[i] as string);
    if (!open) continue;
    let end = i + 1;
    while (end < lines.length && !(lines[end] as string).startsWith('```')) end++;
    let skip: string | undefined;
    const skipCommands = new Map<string, string>();
    for (let j = i - 1; j >= 0 && (lines[j] as string).startsWith('<!--'); j--) {
      const marker = MARKER.exec((lines[j] as string).trim());
      if (!marker) throw new Error(`README line ${j + 1}: not a smoke marker: ${lines[j]}`);
      if (marker[1]) skipCommands.set(marker[1], marker[2] as string);
      else skip = marker[2];
    }
    blocks.push({
      lang: open[1] ?? '',
      line: i + 1,
      body: lines.slice(i + 1, end).join('\n'),
      skip,
      skipCommands,
    });
    i = end;
  }
  return blocks;
}

/** The command with a trailing `# comment` (outside quotes) removed. */
export function withoutComment(line: string): string {
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i] as string;
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === '#' && (i === 0 || /\s/.test(line[i - 1] as string))) return line.slice(0, i).trimEnd();
  }
  return line.trimEnd();
}

/** Every command of the shell blocks (`bash`, `sh`, `shell`), in order. */
export function shellCommands(blocks: readonly FencedBlock[]): ShellCommand[] {
  const commands: ShellCommand[] = [];
  for (const block of blocks) {
    if (!['bash', 'sh', 'shell'].includes(block.lang)) continue;
    block.body.split('\n').forEach((text, index) => {
      const command = withoutComment(text).trim();
      if (command) commands.push({ command, line: block.line + 1 + index, block });
    });
  }
  return commands;
}

/** Why a command does not run in the smoke test, if it does not. */
export function skipReason(command: ShellCommand): string | undefined {
  return command.block.skip ?? command.block.skipCommands.get(command.command);
}
