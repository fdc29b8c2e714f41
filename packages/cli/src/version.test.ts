import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { main } from './command.js';
import { CLI_VERSION } from './version.js';

const packageVersion = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

describe('kubeloop --version', () => {
  it("prints @kubeloop/cli's package version on stdout and exits 0", async () => {
    let stdout = '';
    let stderr = '';
    const code = await main(['--version'], { stdout: { write: (s: string) => void (stdout += s) }, stderr: { write: (s: string) => void (stderr += s) } });
    expect(code).toBe(0);
    expect(stdout).toBe(`${packageVersion}\n`);
    expect(stderr).toBe('');
  });

  it('is a 0.x semantic version while the API may still break in a minor release', () => {
    expect(CLI_VERSION).toBe(packageVersion);
    expect(CLI_VERSION).toMatch(/^0\.\d+\.\d+$/);
  });
});
