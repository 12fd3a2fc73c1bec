// The standby's runner: devsup starts it with everything that does not depend on the app (node, its flags, devsup's
// preload, tsx's loader) while the old app tears down, and it runs nothing until devsup says `run`. Then it becomes
// the app: the entry runs as the main module, with the argv a direct start would have. Node built-ins only.
import Module from 'node:module';

interface RunMessage {
  devsup: 1;
  type: 'run';
  entry: string;
  args: string[];
}

const isRun = (m: unknown): m is RunMessage =>
  typeof m === 'object' && m !== null && (m as RunMessage).devsup === 1 && (m as RunMessage).type === 'run' && typeof (m as RunMessage).entry === 'string';

// The preload unrefs the channel (an app must be able to exit on its own), so the wait needs a handle of its own.
const waiting = setInterval(() => {}, 2 ** 30);

function run(message: unknown): void {
  if (!isRun(message)) return;
  clearInterval(waiting);
  process.off('message', run);
  delete process.env.DEVSUP_STANDBY;
  process.argv = [process.argv[0]!, message.entry, ...message.args];
  // As `node entry` does: CommonJS entries get require.main, ES modules their import.meta, through the same loaders.
  (Module as unknown as { runMain(): void }).runMain();
}

process.on('message', run);
