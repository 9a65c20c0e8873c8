// `npm test`: builds, then runs jest beside lint, the type check and the package checks. Jest
// spends much of its time waiting (real HTTP windows, the browser), and lint and the type check
// use one core each: side by side they fill that time. Arguments go to jest; the other checks'
// output is printed once jest ends, so it never interleaves with jest's.
import { spawn } from 'node:child_process';

/** Runs `command`; resolves to its exit code and, unless `inherit`, its output. */
function run(command, args, inherit = false) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: inherit ? 'inherit' : ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout?.on('data', (chunk) => (output += chunk));
    child.stderr?.on('data', (chunk) => (output += chunk));
    child.on('close', (code) => resolve({ code: code ?? 1, output }));
  });
}

const npmRun = (script, inherit) => run('npm', ['run', '--silent', script], inherit);

const build = await npmRun('build', true);
if (build.code !== 0) process.exit(build.code);

const checks = ['lint', 'typecheck', 'check:package'].map(async (script) => ({
  script,
  ...(await npmRun(script)),
}));
const jest = await run(
  process.execPath,
  ['node_modules/jest/bin/jest.js', ...process.argv.slice(2)],
  true,
);
const results = await Promise.all(checks);
for (const { script, code, output } of results) {
  process.stdout.write(
    `\n> npm run ${script}${code === 0 ? '' : `  (failed, exit ${code})`}\n${output}`,
  );
}
process.exitCode = [jest, ...results].some(({ code }) => code !== 0) ? 1 : 0;
