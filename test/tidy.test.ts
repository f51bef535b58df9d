/**
 * Tidy checks over the hand-written source (ARCHITECTURE "Rules of thumb", after TigerBeetle's
 * tidy.zig).
 *
 * Goal: keep src/ readable and its layers apart, mechanically, so review does not have to.
 * Method: read every src/**\/*.ts file (gen/ is never scanned), blank out comments, string and
 * template text and regex literals with a small lexer (offsets and line numbers are kept), then
 * scan the remaining code. Functions are found by pattern (function declarations and
 * expressions, class and object-literal methods, arrow functions assigned to a name) and measured
 * by brace matching from their declaration line to the line of their closing brace. TypeScript 7
 * has no JS compiler API, so this is a heuristic scanner: it may miss an oddly written function
 * (an arrow passed straight to a call is not measured), but what it reports is a real function.
 * Directories that do not exist yet are simply skipped.
 * Properties checked:
 *   1. No line is longer than 100 columns (code points). Files that had overlong lines when
 *      the check was introduced are listed in `longLinesAllowed` with their count, which is an
 *      upper bound: fix the lines, then lower or delete the entry (it is not enforced downwards
 *      so that fixing a line never breaks the build).
 *   2. No function spans more than 70 lines. A ratchet: a known offender may be listed in
 *      `functionLinesAllowed` with its current length; it may shrink but never grow, and an entry
 *      that is no longer needed fails the test until it is removed.
 *   3. No `console.log` outside src/cli/** and src/demo.ts (the engine and server log via
 *      their caller or pino).
 *   4. The engine (src/storage, mvcc, engine, coord, changelog, query) never imports gen/,
 *      src/server, src/client, @grpc/*, @bufbuild/* or pino.
 *   5. The client SDK (src/client) never imports the engine, src/index.ts or src/server.
 * The lexer and scanner are tested on small synthetic sources at the end of the file.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const lineColumnsMax = 100;
const functionLinesMax = 70;

/**
 * Files with lines over `lineColumnsMax` when this check was added: path -> how many such lines
 * the file may still have. Only ever lower or delete entries; never add one.
 */
const longLinesAllowed: Readonly<Record<string, number>> = {};

/** Ratchet of functions allowed over `functionLinesMax`: 'src/path.ts:name' -> lines now. */
const functionLinesAllowed: Readonly<Record<string, number>> = {};

/** Files that may print with console.log (command-line entry points). */
const consoleLogAllowed = (file: string): boolean =>
  file.startsWith('src/cli/') || file === 'src/demo.ts';

const engineDirs = ['storage', 'mvcc', 'engine', 'coord', 'changelog', 'query'];
const engineBannedPaths = ['gen/', 'src/server/', 'src/client/'];
const engineBannedPackages = [/^@grpc\//, /^@bufbuild\//, /^pino(\/|$)/];
// The client may use src/coord (it imports only errors.ts): ARCHITECTURE §1.
const clientBannedPaths = [
  ...engineDirs.filter((dir) => dir !== 'coord').map((dir) => `src/${dir}/`),
  'src/server/',
  'src/cli/',
  'src/index.',
];

// ---------------------------------------------------------------------------------------------
// Lexer: blank out everything that is not code.

type LexState = 'code' | 'line' | 'block' | 'single' | 'double' | 'template' | 'regex';

// Not ')' or '}' or identifiers: after those a '/' is (almost always) a division.
const regexAfterChars = new Set([...'(,=:[!&|?{;+-*%<>~^']);
const regexAfterWords = new Set([
  'return', 'typeof', 'case', 'do', 'else', 'in', 'of', 'new', 'delete', 'void', 'throw',
  'instanceof', 'yield', 'await',
]);

/** True when a `/` after the masked code so far starts a regex literal, not a division. */
function slashStartsRegex(out: string[]): boolean {
  let i = out.length - 1;
  while (i >= 0 && /\s/.test(out[i] ?? '')) i--;
  if (i < 0) return true;
  const prev = out[i] ?? '';
  if (regexAfterChars.has(prev)) return true;
  let word = '';
  while (i >= 0 && /[\w$]/.test(out[i] ?? '')) word = (out[i--] ?? '') + word;
  return regexAfterWords.has(word);
}

/**
 * Returns `source` with comments, string contents, template text and regex bodies replaced by
 * spaces. Newlines, quote characters and all code are kept at their offsets. Template
 * substitutions `${ ... }` stay code (their `${` and `}` are blanked so braces stay balanced).
 */
function maskSource(source: string): string {
  const out: string[] = [];
  let state: LexState = 'code';
  const substitutionDepths: number[] = []; // one brace counter per open `${`
  let inRegexClass = false;
  const blank = (ch: string): void => void out.push(ch === '\n' ? '\n' : ' ');
  for (let i = 0; i < source.length; i++) {
    const ch = source[i] ?? '';
    const next = source[i + 1] ?? '';
    switch (state) {
      case 'code': {
        if (ch === '/' && next === '/') {
          state = 'line';
          blank(ch);
        } else if (ch === '/' && next === '*') {
          state = 'block';
          blank(ch);
        } else if (ch === '/' && slashStartsRegex(out)) {
          state = 'regex';
          inRegexClass = false;
          out.push(ch);
        } else if (ch === "'" || ch === '"' || ch === '`') {
          state = ch === "'" ? 'single' : ch === '"' ? 'double' : 'template';
          out.push(ch);
        } else if (substitutionDepths.length > 0 && (ch === '{' || ch === '}')) {
          const top = substitutionDepths.length - 1;
          const depth = substitutionDepths[top] ?? 0;
          if (ch === '}' && depth === 0) {
            substitutionDepths.pop();
            state = 'template';
            blank(ch);
          } else {
            substitutionDepths[top] = depth + (ch === '{' ? 1 : -1);
            out.push(ch);
          }
        } else {
          out.push(ch);
        }
        break;
      }
      case 'line':
        if (ch === '\n') state = 'code';
        blank(ch);
        break;
      case 'block':
        if (ch === '*' && next === '/') {
          blank(ch);
          blank(next);
          i++;
          state = 'code';
        } else {
          blank(ch);
        }
        break;
      case 'single':
      case 'double': {
        const quote = state === 'single' ? "'" : '"';
        if (ch === '\\' && next !== '') {
          blank(ch);
          blank(next);
          i++;
        } else if (ch === quote || ch === '\n') {
          state = 'code';
          out.push(ch);
        } else {
          blank(ch);
        }
        break;
      }
      case 'template':
        if (ch === '\\' && next !== '') {
          blank(ch);
          blank(next);
          i++;
        } else if (ch === '`') {
          state = 'code';
          out.push(ch);
        } else if (ch === '$' && next === '{') {
          blank(ch);
          blank(next);
          i++;
          substitutionDepths.push(0);
          state = 'code';
        } else {
          blank(ch);
        }
        break;
      case 'regex':
        if (ch === '\\' && next !== '' && next !== '\n') {
          blank(ch);
          blank(next);
          i++;
        } else if (ch === '\n') {
          state = 'code'; // not a regex after all (or a broken one): resume as code
          out.push(ch);
        } else if (inRegexClass) {
          if (ch === ']') inRegexClass = false;
          blank(ch);
        } else if (ch === '[') {
          inRegexClass = true;
          blank(ch);
        } else if (ch === '/') {
          state = 'code';
          out.push(ch);
        } else {
          blank(ch);
        }
        break;
    }
  }
  return out.join('');
}

// ---------------------------------------------------------------------------------------------
// Scanner: find functions in masked code and measure them.

interface FunctionSpan {
  name: string;
  /** 1-based line of the declaration. */
  startLine: number;
  /** 1-based line of the closing brace of the body. */
  endLine: number;
  lines: number;
}

const notMethodNames = new Set([
  'if', 'for', 'while', 'switch', 'catch', 'with', 'return', 'function', 'new', 'typeof',
  'await', 'yield', 'else', 'do', 'super', 'this', 'import', 'export', 'throw', 'case', 'void',
  'delete', 'in', 'of', 'instanceof',
]);

const closers: Readonly<Record<string, string>> = { '(': ')', '[': ']', '{': '}' };

/** Index of the bracket closing the one at `open` (same kind), or -1. */
function matchBracket(code: string, open: number): number {
  const openCh = code[open] ?? '';
  const closeCh = closers[openCh];
  if (closeCh === undefined) return -1;
  let depth = 0;
  for (let i = open; i < code.length; i++) {
    if (code[i] === openCh) depth++;
    else if (code[i] === closeCh && --depth === 0) return i;
  }
  return -1;
}

function skipSpace(code: string, i: number): number {
  while (i < code.length && /\s/.test(code[i] ?? '')) i++;
  return i;
}

/** Skips a generic parameter list `<...>` starting at `i` (if any); returns the next index. */
function skipGenerics(code: string, i: number): number {
  i = skipSpace(code, i);
  if (code[i] !== '<') return i;
  let depth = 0;
  for (; i < code.length; i++) {
    const ch = code[i];
    if (ch === '<') depth++;
    else if (ch === '>' && code[i - 1] !== '=' && --depth === 0) return i + 1;
    else if (ch === ';' || ch === '{') return -1;
  }
  return -1;
}

/** Last non-space character before `i`, and the one before it. */
function previousSignificant(code: string, i: number): string {
  let j = i - 1;
  while (j >= 0 && /\s/.test(code[j] ?? '')) j--;
  return (code[j - 1] ?? '') + (code[j] ?? '');
}

/**
 * After a parameter list (index just past its `)`): skips an optional `: ReturnType` and, for
 * `arrow`, the `=>`; returns the index of the body's `{`, or -1 when there is no block body.
 */
function findBody(code: string, i: number, arrow: boolean): number {
  i = skipSpace(code, i);
  if (code[i] === ':') {
    i++;
    let depth = 0;
    for (; i < code.length; i++) {
      const ch = code[i] ?? '';
      if (depth === 0) {
        if (arrow && ch === '=' && code[i + 1] === '>') break;
        if (ch === ';' || ch === ',' || ch === '}' || ch === ')') return -1;
        const before = previousSignificant(code, i);
        const typeContext = /[:|&,(<=]$/.test(before) || before === '=>';
        if (!arrow && ch === '{' && !typeContext) return i;
      }
      if (ch === '(' || ch === '[' || ch === '{' || ch === '<') depth++;
      else if (ch === ')' || ch === ']' || ch === '}') depth--;
      else if (ch === '>' && code[i - 1] !== '=') depth--;
    }
  }
  if (arrow) {
    if (code[i] !== '=' || code[i + 1] !== '>') return -1;
    i = skipSpace(code, i + 2);
  }
  return code[i] === '{' ? i : -1;
}

/** For `name = ...` at `i` (just past `=`): the body `{` if an arrow function follows. */
function arrowBodyAfterAssign(code: string, i: number): number {
  i = skipSpace(code, i);
  if (/^async\b/.test(code.slice(i, i + 6))) i = skipSpace(code, i + 5);
  i = skipGenerics(code, i);
  if (i < 0) return -1;
  if (code[i] === '(') {
    const close = matchBracket(code, i);
    return close < 0 ? -1 : findBody(code, close + 1, true);
  }
  const param = /^[A-Za-z_$][\w$]*/.exec(code.slice(i, i + 200));
  return param ? findBody(code, i + param[0].length, true) : -1;
}

/** Skips a declaration's type annotation `: Type` (if any) up to its `=`; -1 when none. */
function skipToAssign(code: string, i: number): number {
  i = skipSpace(code, i);
  if (code[i] === '=' && code[i + 1] !== '=' && code[i + 1] !== '>') return i + 1;
  if (code[i] !== ':') return -1;
  let depth = 0;
  for (i++; i < code.length; i++) {
    const ch = code[i] ?? '';
    if (ch === '(' || ch === '[' || ch === '{' || ch === '<') depth++;
    else if (ch === ')' || ch === ']' || ch === '}') depth--;
    else if (ch === '>' && code[i - 1] !== '=') depth--;
    if (depth < 0 || (depth === 0 && (ch === ';' || ch === ','))) return -1;
    if (depth === 0 && ch === '=' && code[i + 1] !== '>' && code[i + 1] !== '=') return i + 1;
  }
  return -1;
}

const functionPattern = /\bfunction\b\s*\*?\s*([A-Za-z_$][\w$]*)?/g;
const methodPattern = new RegExp(
  String.raw`^[ \t]*(?:(?:public|private|protected|static|async|readonly|override|abstract|` +
    String.raw`get|set|accessor)\s+)*\*?\s*(#?[A-Za-z_$][\w$]*)\s*(?=[<(])`,
  'gm',
);
const assignPattern = new RegExp(
  String.raw`^[ \t]*(?:export\s+)?(?:(?:const|let|var)\s+|(?:(?:public|private|protected|` +
    String.raw`static|readonly|override)\s+)*)(#?[A-Za-z_$][\w$]*)\s*!?(?=[:=])`,
  'gm',
);

/** Finds the functions of a masked source and their line spans (deduplicated by body). */
function findFunctions(code: string): FunctionSpan[] {
  const lineStarts = [0];
  for (let i = 0; i < code.length; i++) if (code[i] === '\n') lineStarts.push(i + 1);
  const lineOf = (offset: number): number => {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((lineStarts[mid] ?? 0) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
  const byBody = new Map<number, FunctionSpan>();
  const add = (name: string, start: number, body: number): void => {
    if (body < 0 || byBody.has(body)) return;
    const end = matchBracket(code, body);
    if (end < 0) return;
    const startLine = lineOf(start);
    const endLine = lineOf(end);
    byBody.set(body, { name, startLine, endLine, lines: endLine - startLine + 1 });
  };
  for (const m of code.matchAll(functionPattern)) {
    const open = skipGenerics(code, m.index + m[0].length);
    if (open < 0 || code[open] !== '(') continue;
    const close = matchBracket(code, open);
    if (close >= 0) add(m[1] ?? '(anonymous)', m.index, findBody(code, close + 1, false));
  }
  for (const m of code.matchAll(methodPattern)) {
    const name = m[1] ?? '';
    if (notMethodNames.has(name)) continue;
    const open = skipGenerics(code, m.index + m[0].length);
    if (open < 0 || code[open] !== '(') continue;
    const close = matchBracket(code, open);
    if (close >= 0) add(name, m.index, findBody(code, close + 1, false));
  }
  for (const m of code.matchAll(assignPattern)) {
    const name = m[1] ?? '';
    if (notMethodNames.has(name)) continue;
    const afterAssign = skipToAssign(code, m.index + m[0].length);
    if (afterAssign >= 0) add(name, m.index, arrowBodyAfterAssign(code, afterAssign));
  }
  return [...byBody.values()].sort((a, b) => a.startLine - b.startLine);
}

/** Module specifiers of static imports, re-exports, dynamic imports and require calls. */
function findImports(source: string, code: string): string[] {
  const pattern =
    /\bfrom\s*(['"])|\bimport\s*\(\s*(['"])|\bimport\s*(['"])|\brequire\s*\(\s*(['"])/g;
  const specifiers: string[] = [];
  for (const m of code.matchAll(pattern)) {
    const quoteAt = m.index + m[0].length - 1;
    const quote = source[quoteAt] ?? '';
    const end = source.indexOf(quote, quoteAt + 1);
    if (end > quoteAt) specifiers.push(source.slice(quoteAt + 1, end));
  }
  return specifiers;
}

// ---------------------------------------------------------------------------------------------
// The checks over src/.

interface SourceFile {
  /** Repository-relative path with forward slashes, e.g. 'src/storage/file.ts'. */
  file: string;
  source: string;
  code: string;
}

function listTsFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  const files: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const abs = path.join(dir, entry.name);
    if (entry.isDirectory()) files.push(...listTsFiles(abs));
    else if (entry.isFile() && /\.(c|m)?ts$/.test(entry.name)) files.push(abs);
  }
  return files.sort();
}

function loadSources(): SourceFile[] {
  return listTsFiles(path.join(root, 'src')).map((abs) => {
    const source = fs.readFileSync(abs, 'utf8');
    const file = path.relative(root, abs).split(path.sep).join('/');
    return { file, source, code: maskSource(source) };
  });
}

/** Repository-relative target of a relative specifier, or null for a package specifier. */
function resolveSpecifier(file: string, specifier: string): string | null {
  if (!specifier.startsWith('.')) return null;
  return path.posix.normalize(path.posix.join(path.posix.dirname(file), specifier));
}

function importViolations(
  files: SourceFile[],
  applies: (file: string) => boolean,
  bannedPaths: readonly string[],
  bannedPackages: readonly RegExp[],
): string[] {
  const violations: string[] = [];
  for (const { file, source, code } of files) {
    if (!applies(file)) continue;
    for (const specifier of findImports(source, code)) {
      const target = resolveSpecifier(file, specifier);
      const banned =
        target === null
          ? bannedPackages.some((re) => re.test(specifier))
          : bannedPaths.some((prefix) => target.startsWith(prefix));
      if (banned) violations.push(`${file}: imports '${specifier}'`);
    }
  }
  return violations;
}

const sources = loadSources();

describe('tidy: src/', () => {
  it('has source files to check', () => {
    expect(sources.length).toBeGreaterThan(0);
  });

  it(`has no line longer than ${lineColumnsMax} columns`, () => {
    const problems: string[] = [];
    for (const { file, source } of sources) {
      const long: string[] = [];
      source.split('\n').forEach((line, index) => {
        const columns = [...line.replace(/\r$/, '')].length;
        if (columns > lineColumnsMax) long.push(`${file}:${index + 1} has ${columns} columns`);
      });
      if (long.length > (longLinesAllowed[file] ?? 0)) problems.push(...long);
    }
    expect(problems).toEqual([]);
  });

  it(`has no function longer than ${functionLinesMax} lines (ratchet)`, () => {
    const over: string[] = [];
    const seen = new Set<string>();
    for (const { file, code } of sources) {
      for (const fn of findFunctions(code)) {
        if (fn.lines <= functionLinesMax) continue;
        const key = `${file}:${fn.name}`;
        seen.add(key);
        const allowed = functionLinesAllowed[key];
        if (allowed === undefined || fn.lines > allowed) {
          over.push(`${file}:${fn.startLine} ${fn.name} is ${fn.lines} lines`);
        }
      }
    }
    for (const key of Object.keys(functionLinesAllowed)) {
      if (!seen.has(key)) over.push(`${key} is within limits now: remove it from the ratchet`);
    }
    expect(over).toEqual([]);
  });

  it('has no console.log outside src/cli/ and src/demo.ts', () => {
    const found: string[] = [];
    for (const { file, code } of sources) {
      if (consoleLogAllowed(file)) continue;
      code.split('\n').forEach((line, index) => {
        if (/\bconsole\s*\.\s*log\b/.test(line)) found.push(`${file}:${index + 1}`);
      });
    }
    expect(found).toEqual([]);
  });

  it('keeps the engine free of gen/, server, client, gRPC, protobuf and pino', () => {
    const isEngine = (file: string): boolean =>
      engineDirs.some((dir) => file.startsWith(`src/${dir}/`));
    expect(
      importViolations(sources, isEngine, engineBannedPaths, engineBannedPackages),
    ).toEqual([]);
  });

  it('keeps the client SDK off the engine and the server', () => {
    const isClient = (file: string): boolean => file.startsWith('src/client/');
    expect(importViolations(sources, isClient, clientBannedPaths, [])).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// Self-tests of the lexer and scanner on synthetic sources.

/** Builds a function body of `n` lines in total (declaration and closing brace included). */
const body = (n: number): string => Array.from({ length: n - 2 }, () => '  x++;').join('\n');

describe('tidy: scanner self-test', () => {
  it('blanks comments, strings, templates and regexes but keeps offsets and code', () => {
    const source = [
      "const a = '{'; // }",
      'const b = `${f({ k: "}" })} {`; /* { */',
      'const c = /[{]\\//.test(s) ? 1 / 2 : 3;',
    ].join('\n');
    const code = maskSource(source);
    expect(code.length).toBe(source.length);
    expect(code.split('\n').length).toBe(3);
    expect(code).toContain('f({ k: " " })');
    expect(code.replace(/[^{}]/g, '')).toBe('{}');
    expect(code).toContain('1 / 2');
  });

  it('measures declarations, methods and arrow functions', () => {
    const source = [
      'export function alpha(a: number): { x: number } {', // 1
      body(4), // 2-3
      '}', // 4
      'class K {', // 5
      '  private async beta<T>(v: T): Promise<void> {', // 6
      '    const s = "}";', // 7
      '  }', // 8
      '  get gamma(): number { return 1; }', // 9
      '}', // 10
      'const delta = async (o: { a: string }): Promise<string> => {', // 11
      '  if (o.a) { return `${o.a}}`; }', // 12
      '  return "";', // 13
      '};', // 14
      'export const epsilon = (x: number) => x + 1;', // 15
      'function zeta(): void;', // 16
    ].join('\n');
    const spans = findFunctions(maskSource(source)).map((f) => [f.name, f.startLine, f.lines]);
    expect(spans).toEqual([
      ['alpha', 1, 4],
      ['beta', 6, 3],
      ['gamma', 9, 1],
      ['delta', 11, 4],
    ]);
  });

  it('does not take control flow or calls for methods', () => {
    const source = 'if (a) {\n  b();\n}\nfor (;;) {\n}\nfoo(1, () => {\n});\n';
    expect(findFunctions(maskSource(source))).toEqual([]);
  });

  it('finds import specifiers but not text in comments or strings', () => {
    const source = [
      "import type { A } from '../gen/a.js';",
      "export * from './b.js';",
      "// import x from 'pino';",
      "const s = \"import y from '@grpc/grpc-js'\";",
      "const m = await import('./c.js');",
    ].join('\n');
    expect(findImports(source, maskSource(source))).toEqual(['../gen/a.js', './b.js', './c.js']);
  });
});
