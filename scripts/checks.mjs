// The checks `npm test` runs before jest, side by side: lint and the type check use one core
// each, so running them one after the other left a core idle for half a minute. Each group's
// scripts run in order; output is printed per group once it ends, so it never interleaves.
import { spawn } from 'node:child_process';

const groups = [['lint'], ['typecheck'], ['build', 'check:package']];

function run(script) {
  return new Promise((resolve) => {
    const child = spawn('npm', ['run', '--silent', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('close', (code) => resolve({ script, code: code ?? 1, output }));
  });
}

async function runGroup(scripts) {
  const results = [];
  for (const script of scripts) {
    const result = await run(script);
    results.push(result);
    if (result.code !== 0) break;
  }
  return results;
}

const results = (await Promise.all(groups.map(runGroup))).flat();
for (const { script, code, output } of results) {
  process.stdout.write(`\n> npm run ${script}${code === 0 ? '' : `  (failed, exit ${code})`}\n`);
  process.stdout.write(output);
}
process.exitCode = results.some(({ code }) => code !== 0) ? 1 : 0;
