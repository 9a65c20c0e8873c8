// Lints the package as users get it: packs dist/ (already built) into a tarball, then runs
// Are the Types Wrong and publint --strict on exactly what the tarball holds.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const bin = (name) => join('node_modules', '.bin', name);
const run = (command, args, options = {}) =>
  execFileSync(command, args, { encoding: 'utf8', ...options });

const scratch = mkdtempSync(join(tmpdir(), 'miniapp-jssdk-pack-'));
try {
  const [{ filename }] = JSON.parse(
    run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', scratch]),
  );
  const tarball = join(scratch, filename);
  run('tar', ['-xzf', tarball, '-C', scratch]);
  execFileSync(bin('attw'), [tarball, '--format', 'table-flipped'], { stdio: 'inherit' });
  execFileSync(bin('publint'), ['--strict', '--pack', 'false', join(scratch, 'package')], {
    stdio: 'inherit',
  });
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
