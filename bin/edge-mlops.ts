#!/usr/bin/env node
// Minimal command dispatcher (the lead's version replaces this on merge).
import { generateDataCommand } from './commands/generate-data';

const commands: Record<string, (argv: string[]) => Promise<number>> = {
  'generate-data': generateDataCommand,
};

async function main(): Promise<number> {
  const [name, ...rest] = process.argv.slice(2);
  const command = name ? commands[name] : undefined;
  if (!command) {
    process.stderr.write(`usage: edge-mlops <${Object.keys(commands).join('|')}> [options]\n`);
    return 2;
  }
  return command(rest);
}

main().then((code) => { process.exitCode = code; });
