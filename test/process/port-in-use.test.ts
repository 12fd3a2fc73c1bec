// An app that crashes at start because its port is taken: devsup names who holds it (pid and command, from /proc),
// beside the crash line. The app's own error handling is untouched: with no listener of its own it still crashes.
import { spawn } from 'node:child_process';
import { describe, expect, it, onTestFinished } from 'vitest';
import { freePort, kill, Project, until } from '../helpers/harness.js';

describe.skipIf(process.platform !== 'linux')('a port in use at start', () => {
  it('is named with the process that holds it, and the app crashes as it would without devsup', async () => {
    const port = await freePort();
    // The holder: a process of its own, with a command line to recognize.
    const holder = spawn(process.execPath, ['-e', `require('node:net').createServer().listen(${port}, '127.0.0.1', () => console.log('held'))`, 'port-holder'], { stdio: ['ignore', 'pipe', 'ignore'] });
    onTestFinished(() => kill(holder.pid!));
    await new Promise<void>((resolve) => holder.stdout!.once('data', () => resolve()));

    const project = new Project('plain-sigterm.mjs');
    const devsup = project.run([project.entry], { env: { PORT: String(port) } });
    await devsup.waitForLine(/app crashed while starting \(exit 1\)/);
    const line = await devsup.waitForLine(new RegExp(`port ${port} is in use`));
    expect(line).toBe(`[devsup] port ${port} is in use, held by pid ${holder.pid} (${process.execPath} -e ${`require('node:net').createServer().listen(${port}, '127.0.0.1', () => console.log('held'))`} port-holder): the app could not listen on it (stop that process, or use another port)`);
    // A fixed port freed, then the next save: the app starts.
    kill(holder.pid!);
    await until('the holder gone', () => holder.exitCode !== null || holder.signalCode !== null || undefined);
    project.setVersion(2);
    await project.waitFor('listening');
  });
});
