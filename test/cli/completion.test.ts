/** `winha version` and `winha completion bash|zsh|powershell` (issue 18 item 4): generated from the command tree. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runWinha } from '../support/cli.js';
import { ROOT } from '../support/paths.js';
import { buildProgram } from '../../src/cli/main.js';
import { processIO } from '../../src/cli/io.js';

const topLevel = buildProgram(processIO(), () => undefined)
  .commands.map((c) => c.name())
  .filter((n) => n !== 'help');

/** Run the bash completion for a command line (the last word is the one being completed). */
function complete(script: string, words: string[]): string[] {
  const line = words.map((w) => `'${w}'`).join(' ');
  const r = spawnSync(
    'bash',
    ['-c', `${script}\nCOMP_WORDS=(${line}); COMP_CWORD=${words.length - 1}; _winha; printf '%s\\n' "\${COMPREPLY[@]}"`],
    {
      encoding: 'utf8',
    },
  );
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.split('\n').filter(Boolean);
}

test('winha version prints the version of package.json', () => {
  const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  const r = runWinha(['version']);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out, `Client Version: ${version}\n`);
});

test('winha completion bash: parses (bash -n), names every top-level command, and completes subcommands and options', () => {
  const r = runWinha(['completion', 'bash']);
  assert.equal(r.code, 0, r.err);
  const parsed = spawnSync('bash', ['-n'], { input: r.out, encoding: 'utf8' });
  assert.equal(parsed.status, 0, parsed.stderr);
  assert.ok(topLevel.length >= 15, topLevel.join(' '));
  for (const name of topLevel) assert.match(r.out, new RegExp(`words="[^"]*\\b${name}\\b`), `top-level command ${name}`);
  assert.deepEqual(complete(r.out, ['winha', 'sw']), ['switchover']);
  assert.deepEqual(complete(r.out, ['winha', 'sim', 'w']), ['world']);
  assert.deepEqual(complete(r.out, ['winha', 'maintenance', 'on', '--no']), ['--node']);
  // A flag's value is not taken for a command: after --store URL, still the options of get.
  assert.deepEqual(complete(r.out, ['winha', 'get', '--store', 'sim', 'groups', '--all']), ['--all-namespaces']);
  assert.deepEqual(complete(r.out, ['winha', 'agent', '--clu']), ['--cluster']);
});

test('winha completion zsh and powershell name every top-level command; an unknown shell is a usage error', () => {
  const zsh = runWinha(['completion', 'zsh']);
  assert.equal(zsh.code, 0, zsh.err);
  assert.match(zsh.out, /^#compdef winha\n/);
  assert.equal(spawnSync('bash', ['-n'], { input: zsh.out }).status, 0, 'the zsh script is also valid bash syntax');
  const ps = runWinha(['completion', 'powershell']);
  assert.equal(ps.code, 0, ps.err);
  assert.match(ps.out, /Register-ArgumentCompleter -Native -CommandName winha/);
  for (const name of topLevel) {
    assert.ok(zsh.out.includes(` ${name} `) || zsh.out.includes(`"${name}"`), `zsh: ${name}`);
    assert.ok(ps.out.includes(`'${name}'`), `powershell: ${name}`);
  }
  const fish = runWinha(['completion', 'fish']);
  assert.equal(fish.code, 2);
  assert.match(fish.err, /'fish' is invalid .*bash, zsh, powershell/);
});
