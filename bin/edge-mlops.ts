#!/usr/bin/env node
// edge-mlops: the command-line parts of the package. Each command lives in bin/commands/<name>.
type Command = (argv: string[]) => Promise<number>;

const commands: Record<string, { summary: string; load: () => Command }> = {
  start: {
    summary: 'Node-RED with the VQI example flow and the bundled samples (--once: inspect them and exit)',
    load: () => (require('./commands/start') as typeof import('./commands/start')).startCommand,
  },
  'generate-data': {
    summary: 'write a split of the synthetic power-line inspection data set',
    load: () => (require('./commands/generate-data') as typeof import('./commands/generate-data')).generateDataCommand,
  },
  'generate-aps': {
    summary: 'write the seeded APS-shaped sensor data set (171 attributes, 60 000 train / 16 000 test)',
    load: () => (require('./commands/generate-aps') as typeof import('./commands/generate-aps')).generateApsCommand,
  },
  quantize: {
    summary: 'int8-quantize an ONNX model (static QDQ with calibration images, or dynamic)',
    load: () => (require('./commands/quantize') as typeof import('./commands/quantize')).quantizeCommand,
  },
  'sm-plugin': {
    summary: 'thin-edge software-management plugin for ONNX models in the model store (sm-plugin --help)',
    load: () => (require('./commands/sm-plugin') as typeof import('./commands/sm-plugin')).smPluginCommand,
  },
  flow: {
    summary: 'pack a Node-RED flow export for thin-edge software management (flow pack --help)',
    load: () => (require('./commands/flow') as typeof import('./commands/flow')).flowCommand,
  },
  'flows-plugin': {
    summary: 'thin-edge software plugin for flows as modules (type mlops-flows; flows-plugin --help)',
    load: () => (require('./commands/flows-plugin') as typeof import('./commands/flows-plugin')).flowsPluginCommand,
  },
  dataset: {
    summary: 'turn mlops-collect samples into a training data set (dataset export --help)',
    load: () => (require('./commands/dataset') as typeof import('./commands/dataset')).datasetCommand,
  },
  c8y: {
    summary: 'publish models and flows to the Cumulocity software repository, deploy them to devices (c8y --help)',
    load: () => (require('./commands/c8y') as typeof import('./commands/c8y')).c8yCommand,
  },
};

function usage(): string {
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(16)}${c.summary}`);
  return ['usage: edge-mlops <command> [options]', '', 'commands:', ...lines, '', 'edge-mlops <command> --help for its options'].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h') {
    console.log(usage());
    return name ? 0 : 2;
  }
  const command = commands[name];
  if (!command) {
    console.error(`edge-mlops: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  return command.load()(rest);
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err: Error) => {
    console.error(`edge-mlops: ${err.message}`);
    process.exitCode = 1;
  },
);
