/**
 * Docs that cannot rot. Every TypeScript block (```ts or ```typescript) of README.md and
 * docs/*.md, and every `@example` of src/, is type-checked against the BUILT package, imported
 * by its name as users do: the blocks are compiled next to the repository's package.json, so
 * `@aspro-cloud/miniapp-jssdk` and `…/platform` resolve through its "exports" (a self-reference,
 * moduleResolution bundler, import conditions) to dist/*.d.mts. `dist/` must be built first, as
 * `npm test` does.
 *
 * Each block is its own module, named after where it is (`README.md_L9.ts`, the line of its
 * opening fence), compiled strictly with ES2022 and DOM. The free names snippets use (the
 * reader's own tokens, iframe, backend…) are declared once, in `prelude` below. A markdown block
 * must import what it uses; an `@example` that imports nothing gets the package exports and
 * axios it names imported for it, as TSDoc examples leave out the import of what they document.
 * An `@example` must hold a ```ts fence, so that none escapes the check.
 *
 * The `createPlatformHost` examples also run, against the built package and the stand-in windows
 * of `helpers/fake-windows.ts`: each must answer the handshake and a refresh with the tokens.
 */
import axios, { type AxiosAdapter } from 'axios';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative, sep } from 'node:path';
import * as ts from 'typescript';
import { sampleContext } from './helpers/context';
import { connectedWindows } from './helpers/fake-windows';
import { until } from './helpers/setup';

const root = join(__dirname, '..');
const packageName = '@aspro-cloud/miniapp-jssdk';
const entries = [packageName, `${packageName}/platform`];
/** Where the blocks live as modules: never written, but inside the package, for self-reference. */
const snippetDir = join(root, '.docs-snippets');

/** Free names of the snippets, with the types their reader would give them. */
const prelude = `
declare const accessToken: string;
declare const refreshToken: string;
declare const expiresAt: import('${packageName}').ExpiryInput;
declare const refreshHandler: import('${packageName}').OAuth2RefreshHandler;
/** Tokens the app stored earlier. */
declare const saved: { access_token: string; refresh_token: string; expires_at: string };
/** The platform page's side. */
declare const iframe: HTMLIFrameElement;
declare function buildContext(): import('${packageName}/platform').FrameContext;
declare const backend: {
  refresh(refreshToken: string): Promise<import('${packageName}/platform').PlatformRefreshResult>;
};
declare const api: import('axios').AxiosInstance;
`;

interface Block {
  /** The file it is in, relative to the root, with `/`. */
  source: string;
  /** 1-based line of its opening fence. */
  fenceLine: number;
  /** Columns before the code on each of its lines (indentation, or the comment's ` * `). */
  indent: number;
  code: string;
  /** Lines added in front of `code` (implicit imports of an `@example`). */
  header: string;
  /** The module it becomes. */
  fileName: string;
}

const toPosix = (path: string) => path.split(sep).join('/');

function block(source: string, fenceLine: number, indent: number, lines: string[]): Block {
  const fileName = join(snippetDir, `${source}_L${fenceLine}.ts`);
  return { source, fenceLine, indent, code: lines.join('\n'), header: '', fileName };
}

const openingFence = /^(\s*)(`{3,}|~{3,})\s*([^\s`]*)/;
const isTypeScript = (language: string) => ['ts', 'typescript'].includes(language.toLowerCase());

/** The ```ts blocks of a markdown file. */
function markdownBlocks(source: string): Block[] {
  const lines = readFileSync(join(root, source), 'utf8').split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i += 1) {
    const open = openingFence.exec(lines[i]);
    if (!open) continue;
    const [, indent, fence, language] = open;
    const close = new RegExp(`^\\s*${fence[0]}{${fence.length},}\\s*$`);
    const start = i;
    const body: string[] = [];
    for (i += 1; i < lines.length && !close.test(lines[i]); i += 1) {
      body.push(lines[i].startsWith(indent) ? lines[i].slice(indent.length) : lines[i].trimStart());
    }
    if (isTypeScript(language)) blocks.push(block(source, start + 1, indent.length, body));
  }
  return blocks;
}

/** The ```ts fences of the `@example` tags of a source file, and the `@example`s without one. */
function exampleBlocks(source: string): { blocks: Block[]; unfenced: string[] } {
  const lines = readFileSync(join(root, source), 'utf8').split('\n');
  const blocks: Block[] = [];
  const unfenced: string[] = [];
  const commentLine = /^(\s*\*\s?)(.*)$/;
  let inDoc = false;
  let example: { line: number; fenced: boolean } | null = null;
  const endExample = () => {
    if (example && !example.fenced) unfenced.push(`${source}:${example.line}`);
    example = null;
  };
  for (let i = 0; i < lines.length; i += 1) {
    const line = lines[i];
    if (!inDoc) {
      if (!line.includes('/**')) continue;
      inDoc = true;
    }
    const ends = line.includes('*/');
    const text = line.replace(/^\s*\/\*\*\s?/, '').replace(/\s*\*\/.*$/, '');
    const tag = /(^|\s)@(\w+)/.exec(text.replace(/^\s*\*\s?/, ''));
    if (tag) {
      endExample();
      if (tag[2] === 'example') example = { line: i + 1, fenced: false };
    }
    const content = commentLine.exec(line);
    const open = content && openingFence.exec(content[2]);
    if (example && content && open) {
      const [, , fence, language] = open;
      const close = new RegExp(`^\\s*${fence[0]}{${fence.length},}\\s*$`);
      const start = i;
      const body: string[] = [];
      for (i += 1; i < lines.length && !lines[i].includes('*/'); i += 1) {
        const inner = commentLine.exec(lines[i])?.[2] ?? '';
        if (close.test(inner)) break;
        body.push(inner);
      }
      if (isTypeScript(language)) {
        example.fenced = true;
        blocks.push(block(source, start + 1, content[1].length, body));
      }
      if (i < lines.length && lines[i].includes('*/')) {
        endExample();
        inDoc = false;
      }
      continue;
    }
    if (ends) {
      endExample();
      inDoc = false;
    }
  }
  endExample();
  return { blocks, unfenced };
}

function sourceFiles(dir: string, extension: string): string[] {
  return readdirSync(join(root, dir), { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith(extension))
    .map((file) => toPosix(join(dir, file)))
    .sort();
}

/** The names each entry exports, read from its built declarations. */
function exportedNames(): Map<string, string> {
  const names = new Map<string, string>();
  for (const entry of entries) {
    const file = join(root, 'dist', `${entry.slice(packageName.length + 1) || 'index'}.d.mts`);
    const declarations = ts.createSourceFile(
      file,
      readFileSync(file, 'utf8'),
      ts.ScriptTarget.Latest,
    );
    for (const statement of declarations.statements) {
      if (ts.isExportDeclaration(statement) && statement.exportClause) {
        if (!ts.isNamedExports(statement.exportClause)) continue;
        for (const element of statement.exportClause.elements) {
          if (!names.has(element.name.text)) names.set(element.name.text, entry);
        }
      }
    }
  }
  return names;
}

/** What an `@example` that imports nothing is given: the package exports and axios it names. */
function implicitImports(code: string, exports: Map<string, string>): string {
  if (/^\s*import\s/m.test(code)) return '';
  const used = (name: string) => new RegExp(`\\b${name}\\b`).test(code);
  const lines = entries.flatMap((entry) => {
    const names = [...exports].filter(([name, from]) => from === entry && used(name));
    return names.length
      ? [`import { ${names.map(([name]) => name).join(', ')} } from '${entry}';`]
      : [];
  });
  if (used('axios')) lines.unshift("import axios from 'axios';");
  return lines.map((line) => `${line}\n`).join('');
}

const compilerOptions = ts.convertCompilerOptionsFromJson(
  {
    strict: true,
    noEmit: true,
    target: 'ES2022',
    module: 'esnext',
    moduleResolution: 'bundler',
    lib: ['ES2022', 'DOM'],
    types: [],
    skipLibCheck: true,
  },
  root,
).options;

interface Failure {
  /** The module it is in, such as `README.md_L9.ts`. */
  module: string;
  /** Where, what and the line of code, as printed. */
  text: string;
}

interface Checked {
  failures: Failure[];
  /** Every file the compiler read, relative to the root. */
  files: string[];
}

function typeCheck(blocks: Block[]): Checked {
  const virtual = new Map<string, string>([[join(snippetDir, 'prelude.d.ts'), prelude]]);
  for (const each of blocks) virtual.set(each.fileName, `${each.header}${each.code}\nexport {};\n`);
  const host = ts.createCompilerHost(compilerOptions);
  const { getSourceFile, fileExists, readFile } = host;
  host.getSourceFile = (fileName, language, ...rest) => {
    const text = virtual.get(fileName);
    return text === undefined
      ? getSourceFile.call(host, fileName, language, ...rest)
      : ts.createSourceFile(fileName, text, language);
  };
  host.fileExists = (fileName) => virtual.has(fileName) || fileExists.call(host, fileName);
  host.readFile = (fileName) => virtual.get(fileName) ?? readFile.call(host, fileName);
  const program = ts.createProgram([...virtual.keys()], compilerOptions, host);

  const byFile = new Map(blocks.map((each) => [each.fileName, each]));
  const failures = ts.getPreEmitDiagnostics(program).map((diagnostic): Failure => {
    const message = `TS${diagnostic.code}: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')}`;
    const file = diagnostic.file;
    if (!file || diagnostic.start === undefined) return { module: '(options)', text: message };
    const { line, character } = file.getLineAndCharacterOfPosition(diagnostic.start);
    const where = byFile.get(file.fileName);
    const name = toPosix(relative(snippetDir, file.fileName));
    if (!where) return { module: name, text: `${name}:${line + 1}:${character + 1} ${message}` };
    const headerLines = where.header.split('\n').length - 1;
    const codeLine = line - headerLines;
    const sourceLine = codeLine < 0 ? where.fenceLine : where.fenceLine + 1 + codeLine;
    const column = codeLine < 0 ? 1 : where.indent + character + 1;
    const text = codeLine < 0 ? where.header.split('\n')[line] : where.code.split('\n')[codeLine];
    return {
      module: name,
      text: `${where.source}:${sourceLine}:${column} (${name}) ${message}\n      ${text?.trim()}`,
    };
  });
  const files = program.getSourceFiles().map((file) => toPosix(relative(root, file.fileName)));
  return { failures, files };
}

/** README.md and docs/*.md (not docs/api/, generated from the very @examples checked here). */
const markdown = [
  'README.md',
  ...readdirSync(join(root, 'docs'))
    .filter((file) => file.endsWith('.md'))
    .sort()
    .map((file) => `docs/${file}`),
];
const examples = sourceFiles('src', '.ts').map(exampleBlocks);
const blocks = [...markdown.flatMap(markdownBlocks), ...examples.flatMap((each) => each.blocks)];

beforeAll(() => {
  if (!existsSync(join(root, 'dist/index.d.mts'))) {
    throw new Error('dist/ is missing: run `npm run build` (npm test does) before this suite.');
  }
  const exports = exportedNames();
  for (const each of blocks) {
    if (each.source.startsWith('src/')) each.header = implicitImports(each.code, exports);
  }
});

describe('documentation code', () => {
  let checked: Checked;

  beforeAll(() => {
    checked = typeCheck(blocks);
  });

  it('finds the TypeScript blocks of the README, docs/ and the @examples of src/', () => {
    const sources = new Set(blocks.map((each) => each.source));
    for (const source of ['README.md', 'docs/frame.md', 'src/platform/host.ts']) {
      expect([...sources]).toContain(source);
    }
    const unfenced = examples.flatMap((each) => each.unfenced);
    if (unfenced.length > 0) {
      throw new Error(
        `@example without a \`\`\`ts fence, so it is not type-checked (fence it):\n  ${unfenced.join('\n  ')}`,
      );
    }
  });

  it('compiles them against the built package, dist/*.d.mts, not src/', () => {
    expect(checked.files).toEqual(
      expect.arrayContaining(['dist/index.d.mts', 'dist/platform.d.mts']),
    );
    expect(checked.files.filter((file) => file.startsWith('src/'))).toEqual([]);
  });

  it('type-checks every block', () => {
    const { failures } = checked;
    if (failures.length > 0) {
      const failing = new Set(failures.map((failure) => failure.module)).size;
      throw new Error(
        `${failures.length} type error(s) in ${failing} of ${blocks.length} documentation code blocks ` +
          `(file:line:column of the error, then the block's module named after its opening fence):\n\n` +
          failures.map((failure) => `  ${failure.text}`).join('\n'),
      );
    }
  });
});

/** The `createPlatformHost` examples, run as a platform page would. */
const hostExamples = blocks.filter((each) => /\bcreatePlatformHost\s*\(/.test(each.code));

describe('the createPlatformHost examples run', () => {
  const appOrigin = 'https://app.example.com';
  const packageRequire = createRequire(join(root, 'package.json'));
  /** The example's imports, resolved through the package's "exports" to dist/. */
  const load = (id: string): unknown => {
    if (id === 'axios') return axios;
    if (!entries.includes(id)) throw new Error(`the example imports ${id}`);
    return jest.requireActual(packageRequire.resolve(id));
  };
  const AsyncFunction = (async () => {}).constructor as new (
    ...parameters: string[]
  ) => (...values: unknown[]) => Promise<unknown>;

  it('covers the TSDoc of createPlatformHost and the docs that show it', () => {
    expect(hostExamples.map((each) => each.source)).toEqual(
      expect.arrayContaining(['src/platform/host.ts', 'docs/frame.md']),
    );
  });

  it.each(hostExamples.map((each) => [`${each.source}:${each.fenceLine}`, each] as const))(
    '%s answers the handshake and a refresh with the tokens',
    async (_where, example) => {
      const windows = connectedWindows('https://example.aspro.cloud', appOrigin);
      const issue = (refreshToken: string) => ({
        access_token: `access-for-${refreshToken}`,
        refresh_token: 'refresh-2',
        expires_in: 3600,
      });
      // The token endpoint of the platform's backend, reached with axios...
      const tokenEndpoint: AxiosAdapter = async (config) => {
        const body = JSON.parse(String(config.data)) as { refresh_token: string };
        const found = config.method === 'post' && config.url === '/oauth/token';
        return {
          data: found ? issue(body.refresh_token) : {},
          status: 200,
          statusText: 'OK',
          headers: {},
          config,
        };
      };
      // ...or any other way.
      const scope = {
        document: {
          querySelector: (selector: string) => (selector === 'iframe' ? windows.iframe : null),
        },
        iframe: windows.iframe,
        buildContext: () => sampleContext,
        backend: { refresh: async (refreshToken: string) => issue(refreshToken) },
        api: axios.create({ baseURL: 'https://platform.example.com', adapter: tokenEndpoint }),
      };
      const { outputText } = ts.transpileModule(example.header + example.code, {
        compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 },
      });
      const run = new AsyncFunction(
        'require',
        'exports',
        ...Object.keys(scope),
        `${outputText}\nreturn host;`,
      );
      const global = globalThis as { window?: unknown };
      global.window = windows.platformWindow;
      let host: { destroy(): void };
      try {
        host = (await run(load, {}, ...Object.values(scope))) as { destroy(): void };
      } finally {
        delete global.window;
      }
      expect(windows.platformListeners.size).toBe(1);

      const request = (id: string, method: string, params: Record<string, string>) => ({
        protocol: 'aspro.miniapp',
        version: 1,
        kind: 'request',
        id,
        method,
        params,
      });
      windows.deliverToPlatform(request('id-1', 'context', {}));
      windows.deliverToPlatform(request('id-2', 'refresh', { refresh_token: 'refresh-1' }));
      await until(() => windows.toFrame.length === 2);
      const answers = Object.fromEntries(
        windows.toFrame.map(({ message, targetOrigin }) => {
          expect(targetOrigin).toBe(appOrigin);
          return [(message as { id: string }).id, message];
        }),
      );
      expect(answers['id-1']).toMatchObject({ kind: 'response', ok: true, result: sampleContext });
      expect(answers['id-2']).toMatchObject({
        kind: 'response',
        ok: true,
        result: {
          access_token: 'access-for-refresh-1',
          refresh_token: 'refresh-2',
          expires_at: expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/),
        },
      });
      host.destroy();
      expect(windows.platformListeners.size).toBe(0);
    },
  );
});
