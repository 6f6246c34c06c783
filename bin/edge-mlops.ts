#!/usr/bin/env node
// Command dispatcher for the edge-mlops CLI (minimal: routes `quantize`; the lead adds the other commands).
import { quantizeCommand } from './commands/quantize';

const COMMANDS: Record<string, (argv: string[]) => Promise<number>> = { quantize: quantizeCommand };

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const run = command ? COMMANDS[command] : undefined;
  if (!run) {
    process.stderr.write(`usage: edge-mlops <command> [options]\ncommands: ${Object.keys(COMMANDS).join(', ')}\n`);
    return 2;
  }
  return run(rest);
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
}
