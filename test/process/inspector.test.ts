// Which apps are debugged (and so never start from a standby), and which wait for a debugger at each start. Pure.
import { describe, expect, it } from 'vitest';
import { normalize } from '../../src/config/normalize.js';
import { debugging } from '../../src/process/inspector.js';
import { canStandby } from '../../src/process/standby.js';

const options = (values: Record<string, unknown>) => normalize([{ source: 'command line', values, base: '/project' }], '/project');

describe('debugging', () => {
  it.each([
    ['--inspect', { nodeArgs: ['--inspect'] }, {}, { waits: false }],
    ['--inspect=127.0.0.1:9230', { nodeArgs: ['--inspect=127.0.0.1:9230'] }, {}, { waits: false }],
    ['--inspect-brk', { nodeArgs: ['--inspect-brk'] }, {}, { waits: true }],
    ['--inspect-wait=9230', { nodeArgs: ['--enable-source-maps', '--inspect-wait=9230'] }, {}, { waits: true }],
    ['NODE_OPTIONS=--inspect-brk', {}, { NODE_OPTIONS: '--max-old-space-size=4096 --inspect-brk' }, { waits: true }],
    ["VS Code's auto attach", {}, { NODE_OPTIONS: '--require /vscode/bootloader.js', VSCODE_INSPECTOR_OPTIONS: '{}' }, { waits: false }],
    ['no inspector flag', { nodeArgs: ['--inspect-port=9230', '--enable-source-maps'] }, {}, undefined],
    ['an exec command (devsup does not start node itself)', { exec: 'node --inspect app.js', nodeArgs: ['--inspect'] }, {}, undefined],
  ])('%s', (_name, values, env, expected) => {
    const opts = options({ entry: 'app.mjs', ...values });
    expect(debugging(opts, env)).toEqual(expected);
    if (expected) expect(canStandby(opts, env)).toBe(false);
  });

  it('the app gets a standby when it is not debugged', () => {
    expect(canStandby(options({ entry: 'app.mjs', nodeArgs: ['--enable-source-maps'] }), {})).toBe(true);
  });
});
