import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/**
 * The project's own TypeScript sources, parsed (no type checking), for the architecture tests:
 * where topics and schemas are spelled, who imports whom.
 */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SKIP = new Set(['node_modules', 'data', '.git', 'web', '.data']);

export interface Source {
  /** Path relative to the repository, with `/`. */
  file: string;
  sf: ts.SourceFile;
}

function walk(dir: string, out: string[]): void {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (SKIP.has(e.name)) continue;
    const full = path.join(dir, e.name);
    if (e.isDirectory()) walk(full, out);
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) out.push(full);
  }
}

export const parse = (file: string, text: string): Source => ({ file, sf: ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true) });

let cached: Source[] | undefined;
/** Every .ts file of the repository (tests included), parsed once. */
export function sources(): Source[] {
  if (!cached) {
    const files: string[] = [];
    walk(ROOT, files);
    cached = files.map((f) => parse(path.relative(ROOT, f).split(path.sep).join('/'), readFileSync(f, 'utf8')));
  }
  return cached;
}

export function visit(node: ts.Node, fn: (n: ts.Node) => void): void {
  fn(node);
  node.forEachChild((c) => visit(c, fn));
}

/** Relative module imports (static, dynamic and re-exports) resolved to repository paths. */
export function importsOf(s: Source, typeOnlyToo = true): string[] {
  const out: string[] = [];
  const add = (spec: string) => {
    if (!spec.startsWith('.')) return;
    const resolved = path.posix.normalize(path.posix.join(path.posix.dirname(s.file), spec)).replace(/\.js$/, '.ts');
    out.push(resolved);
  };
  visit(s.sf, (n) => {
    if (ts.isImportDeclaration(n) && ts.isStringLiteral(n.moduleSpecifier)) {
      const typeOnly = n.importClause?.isTypeOnly === true;
      if (typeOnlyToo || !typeOnly) add(n.moduleSpecifier.text);
    } else if (ts.isExportDeclaration(n) && n.moduleSpecifier && ts.isStringLiteral(n.moduleSpecifier)) {
      if (typeOnlyToo || !n.isTypeOnly) add(n.moduleSpecifier.text);
    } else if (ts.isCallExpression(n) && n.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const a = n.arguments[0];
      if (a && ts.isStringLiteral(a)) add(a.text);
    }
  });
  return out;
}

export const line = (s: Source, n: ts.Node) => s.sf.getLineAndCharacterOfPosition(n.getStart(s.sf)).line + 1;
