// devsup's end of the IPC channel, read and written by devsup itself instead of Node's built-in `ipc` stdio: Node's
// parser throws (and takes the whole supervisor down) on a line that is not JSON, and has no size limit. Here a
// malformed line is reported and skipped, and a line over MAX_LINE bytes is dropped without being buffered.
// The child side is Node's own IPC (NODE_CHANNEL_FD, JSON serialization), so process.send() works as usual.
import type { Duplex } from 'node:stream';

const MAX_LINE = 1024 * 1024;

export interface ChannelHandlers {
  message(value: unknown): void;
  invalid(why: string): void;
  /** The child's end is gone: it exited, or closed the channel on purpose. */
  closed(): void;
}

export class JsonLineChannel {
  readonly #socket: Duplex;
  #buffered: Buffer[] = [];
  #bufferedBytes = 0;
  /** True while skipping the rest of an over-long line. */
  #skipping = false;
  #open = true;

  constructor(socket: Duplex, handlers: ChannelHandlers) {
    this.#socket = socket;
    socket.on('data', (chunk: Buffer) => this.#read(chunk, handlers));
    socket.on('error', () => {}); // EPIPE/ECONNRESET when the child is gone: its exit is reported elsewhere
    socket.on('close', () => {
      this.#open = false;
      handlers.closed();
    });
  }

  get connected(): boolean {
    return this.#open && this.#socket.writable;
  }

  send(message: unknown): boolean {
    if (!this.connected) return false;
    this.#socket.write(`${JSON.stringify(message)}\n`);
    return true;
  }

  /** Resolves once the child's end is closed and all it wrote was read, or after `ms` (a grandchild may hold it). */
  drained(ms: number): Promise<void> {
    if (!this.#open) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.#socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Stops reading (and lets the child's end see EOF). */
  close(): void {
    this.#socket.destroy();
  }

  #read(chunk: Buffer, handlers: ChannelHandlers): void {
    let start = 0;
    for (let nl = chunk.indexOf(10, start); nl !== -1; nl = chunk.indexOf(10, start)) {
      const piece = chunk.subarray(start, nl);
      start = nl + 1;
      if (this.#skipping) {
        this.#skipping = false;
        continue;
      }
      const line = this.#bufferedBytes === 0 ? piece : Buffer.concat([...this.#buffered, piece]);
      this.#buffered = [];
      this.#bufferedBytes = 0;
      this.#parse(line, handlers);
    }
    const rest = chunk.subarray(start);
    if (rest.length === 0 || this.#skipping) return;
    if (this.#bufferedBytes + rest.length > MAX_LINE) {
      this.#buffered = [];
      this.#bufferedBytes = 0;
      this.#skipping = true;
      handlers.invalid(`a message over ${MAX_LINE} bytes was dropped`);
      return;
    }
    this.#buffered.push(Buffer.from(rest));
    this.#bufferedBytes += rest.length;
  }

  #parse(line: Buffer, handlers: ChannelHandlers): void {
    if (line.length > MAX_LINE) return handlers.invalid(`a message over ${MAX_LINE} bytes was dropped`);
    if (line.length === 0) return;
    let value: unknown;
    try {
      value = JSON.parse(line.toString('utf8'));
    } catch {
      return handlers.invalid(`a line that is not JSON (${line.length} bytes) was ignored`);
    }
    // Node's own bookkeeping on the channel (NODE_HANDLE_ACK, …), not the app's.
    const cmd = (value as { cmd?: unknown } | null)?.cmd;
    if (typeof cmd === 'string' && cmd.startsWith('NODE_')) return;
    handlers.message(value);
  }
}
