// --socket and `sockets`: what is accepted, how it is read, and the words devsup says when the app listens (pure).
import { describe, expect, it } from 'vitest';
import { parseArgs } from '../../src/cli/args.js';
import { normalize, parseSocket } from '../../src/config/normalize.js';
import { DevsupError } from '../../src/core/errors.js';
import { parseChildMessage } from '../../src/protocol/parse.js';
import { ListenHints } from '../../src/supervisor/listen-hints.js';

describe('sockets', () => {
  it('reads a port, "host:port" and "[v6]:port"', () => {
    expect(parseSocket(3000)).toEqual({ host: undefined, port: 3000 });
    expect(parseSocket('3000')).toEqual({ host: undefined, port: 3000 });
    expect(parseSocket('127.0.0.1:3000')).toEqual({ host: '127.0.0.1', port: 3000 });
    expect(parseSocket('localhost:8080')).toEqual({ host: 'localhost', port: 8080 });
    expect(parseSocket('[::1]:3000')).toEqual({ host: '::1', port: 3000 });
    expect(parseSocket('0.0.0.0:1')).toEqual({ host: '0.0.0.0', port: 1 });
    for (const bad of [0, 65536, '3000:', ':3000', 'x', '::1:3000', '127.0.0.1:70000', 3000.5, null, {}]) expect(parseSocket(bad)).toBeUndefined();
  });

  it('takes --socket (repeated) and `sockets`, each once, the command line over the file', () => {
    const { values } = parseArgs(['run', 'a.js', '--socket', '3000', '--socket=127.0.0.1:3001']);
    expect(values.sockets).toEqual([3000, '127.0.0.1:3001']);
    const options = normalize([{ source: 'command line', values, base: '/p' }], '/p');
    expect(options.sockets).toEqual([{ host: undefined, port: 3000 }, { host: '127.0.0.1', port: 3001 }]);
    expect(normalize([{ source: 'x', values: { sockets: [3000, '3000', 3000] }, base: '/p' }], '/p').sockets).toEqual([{ host: undefined, port: 3000 }]);
    expect(normalize([], '/p').sockets).toEqual([]);
    expect(parseArgs(['run', 'a.js']).values.sockets).toBeUndefined();
  });

  it('rejects what is not a socket, naming what is expected', () => {
    const error = (() => {
      try {
        normalize([{ source: 'supervisor.config.ts', values: { sockets: ['web'] }, base: '/p' }], '/p');
      } catch (e) {
        return e as DevsupError;
      }
    })();
    expect(error?.message).toBe('supervisor.config.ts: sockets must be an array of ports (3000) or "host:port" strings ("127.0.0.1:3000", "[::1]:3000"), got an array');
    expect(() => normalize([{ source: 'x', values: { sockets: 3000 }, base: '/p' }], '/p')).toThrow(/sockets must be/);
  });

  it('parses the preload\'s listen report', () => {
    expect(parseChildMessage({ devsup: 1, type: 'listen', port: 3000, host: '127.0.0.1', held: true })).toEqual({
      ok: true,
      message: { devsup: 1, type: 'listen', port: 3000, host: '127.0.0.1', held: true },
    });
    expect(parseChildMessage({ devsup: 1, type: 'listen', port: 3000, held: false }).ok).toBe(true);
    expect(parseChildMessage({ devsup: 1, type: 'listen', port: 0, held: false }).ok).toBe(false);
    expect(parseChildMessage({ devsup: 1, type: 'listen', port: 3000 }).ok).toBe(false);
  });

  it('hints at --socket once, and warns once per port for another host', () => {
    const hints = new ListenHints();
    const held = [{ host: undefined, port: 3000 }, { host: '127.0.0.1', port: 3001 }];
    expect(hints.line({ port: 4000, held: false }, held)?.text).toBe(
      'the app listens on port 4000: with --socket 4000 devsup holds it, and no request is refused while the app restarts',
    );
    expect(hints.line({ port: 4001, held: false }, held)).toBeUndefined();
    expect(hints.line({ port: 3000, held: true }, held)).toBeUndefined();
    expect(hints.line({ port: 3000, host: '::', held: true }, held)).toBeUndefined();
    expect(hints.line({ port: 3001, host: 'localhost', held: true }, held)).toBeUndefined();
    expect(hints.line({ port: 3000, host: '127.0.0.1', held: true }, held)).toEqual({
      level: 'warn',
      text: 'the app asked to listen on 127.0.0.1:3000, devsup holds port 3000 (all interfaces): it serves on the held socket (--socket 127.0.0.1:3000 to match)',
    });
    expect(hints.line({ port: 3000, host: '127.0.0.1', held: true }, held)).toBeUndefined();
    expect(hints.line({ port: 3001, held: true }, held)?.text).toBe(
      'the app asked to listen on port 3001 (all interfaces), devsup holds 127.0.0.1:3001: it serves on the held socket (--socket 3001 to match)',
    );
  });
});
