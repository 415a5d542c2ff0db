import { describe, expect, it } from 'vitest';
import ts from 'typescript';
import { line, parse, sources, visit, type Source } from '../support/source-scan.js';

/**
 * The contract has one home (contract/): every MQTT topic, payload and HTTP shape is a TypeBox schema
 * there and its TypeScript type is `Static<>` of it. These checks read the sources and fail when a
 * topic is spelled, a schema is built, or a contract type is written by hand anywhere else.
 */
const inContract = (f: string) => f.startsWith('contract/');
const isTest = (f: string) => f.startsWith('test/');
/** TypeBox used for what is not a contract: the configuration and ingest's private spool file format. */
const SCHEMA_ELSEWHERE = new Set(['core/config.ts', 'ingest/spool.ts']);
const TOPIC = /(?<!\/api\/)\bv1\/(devices|alerts|control)\//;

function topicLiterals(s: Source): string[] {
  const found: string[] = [];
  visit(s.sf, (n) => {
    if (ts.isStringLiteralLike(n) || ts.isTemplateHead(n) || ts.isTemplateMiddle(n) || ts.isTemplateTail(n)) {
      const text = (n as ts.LiteralLikeNode).text;
      if (TOPIC.test(text) || text === 'v1/control/rules') found.push(`${s.file}:${line(s, n)} ${JSON.stringify(text)}`);
    }
  });
  return found;
}

function schemaBuilders(s: Source): string[] {
  const found: string[] = [];
  visit(s.sf, (n) => {
    if (ts.isCallExpression(n) && ts.isPropertyAccessExpression(n.expression) && ts.isIdentifier(n.expression.expression) && n.expression.expression.text === 'Type') {
      found.push(`${s.file}:${line(s, n)} Type.${n.expression.name.text}(…)`);
    }
  });
  return found;
}

/** Names the contract exports as types (schemas and their Static<> types). */
function contractTypeNames(all: Source[]): Set<string> {
  const names = new Set<string>();
  for (const s of all.filter((x) => inContract(x.file))) {
    visit(s.sf, (n) => {
      const exported = (ts.canHaveModifiers(n) ? ts.getModifiers(n) : undefined)?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
      if (exported && (ts.isTypeAliasDeclaration(n) || ts.isInterfaceDeclaration(n))) names.add(n.name.text);
    });
  }
  return names;
}

/** An interface, or a type alias spelled as an object literal, named like a contract type. */
function handWrittenDuplicates(s: Source, names: Set<string>): string[] {
  const found: string[] = [];
  visit(s.sf, (n) => {
    if (ts.isInterfaceDeclaration(n) && names.has(n.name.text)) found.push(`${s.file}:${line(s, n)} interface ${n.name.text}`);
    if (ts.isTypeAliasDeclaration(n) && names.has(n.name.text) && ts.isTypeLiteralNode(n.type)) found.push(`${s.file}:${line(s, n)} type ${n.name.text} = { … }`);
  });
  return found;
}

describe('the contract has one home', () => {
  const all = sources();
  const production = all.filter((s) => !inContract(s.file) && !isTest(s.file));

  it('finds the sources it checks', () => {
    expect(production.length).toBeGreaterThan(100);
    expect(all.some((s) => s.file === 'contract/mqtt/topics.ts')).toBe(true);
  });

  it('no topic is spelled outside contract/ (builders, filters and parsers live in contract/mqtt/topics.ts)', () => {
    expect(production.flatMap(topicLiterals)).toEqual([]);
  });

  it('no TypeBox schema is built outside contract/ (besides the configuration and the spool format)', () => {
    expect(production.filter((s) => !SCHEMA_ELSEWHERE.has(s.file)).flatMap(schemaBuilders)).toEqual([]);
  });

  it('no hand-written interface duplicates a contract type', () => {
    const names = contractTypeNames(all);
    expect(names.has('Case')).toBe(true);
    expect(production.flatMap((s) => handWrittenDuplicates(s, names))).toEqual([]);
  });

  it('the checks see what they look for', () => {
    const bad = parse('enforcement-api/x.ts', [
      "const a = 'v1/alerts/#';",
      "const r = '/api/v1/devices/:id';",
      'const b = `v1/devices/${id}/status`;',
      "const S = Type.Object({ x: Type.String() });",
      'interface Case { id: string }',
      'type Device = { id: string };',
    ].join('\n'));
    expect(topicLiterals(bad)).toHaveLength(2);
    expect(schemaBuilders(bad)).toHaveLength(2);
    expect(handWrittenDuplicates(bad, new Set(['Case', 'Device']))).toHaveLength(2);
  });
});
