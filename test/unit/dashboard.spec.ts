import { readFileSync, existsSync } from 'node:fs';
import SwaggerParser from '@apidevtools/swagger-parser';
import { dirname, join, resolve } from 'node:path';
import { basicAuthMatches } from '../../lib/dashboard/auth/basic-auth.js';
import { crossSiteReason } from '../../lib/dashboard/auth/same-origin.js';
import type { DynamicModule, Type } from '@nestjs/common';
import { openApiDocument } from '../../lib/dashboard/api/openapi.js';
import { ZapJobsDashboardModule } from '../../lib/dashboard/index.js';
import { escapeHtml, html, raw } from '../../lib/dashboard/pages/html.js';
import { cronWords } from '../../lib/dashboard/pages/schedule-words.js';

/** The document openapi.ts writes (without @nestjs/swagger) of the API controller mounted at /zapjobs. */
function ownDocument(readOnly: boolean): any {
  const api = ZapJobsDashboardModule.forRoot({ auth: 'none' }).imports![0] as DynamicModule;
  return JSON.parse(JSON.stringify(openApiDocument(api.controllers![0] as Type<unknown>, { readOnly, basic: false })));
}

const basic = (s: string) => `Basic ${Buffer.from(s).toString('base64')}`;

describe('dashboard: escaping', () => {
  it('escapes every interpolated value, and only our own markup passes as is', () => {
    expect(escapeHtml(`<a href="x" onclick='y'>&\``)).toBe('&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&#96;');
    const evil = '<script>alert(1)</script>';
    expect(html`<td>${evil}</td>`.text).toBe('<td>&lt;script&gt;alert(1)&lt;/script&gt;</td>');
    expect(html`<ul>${[evil, html`<li>${evil}</li>`]}</ul>`.text).toBe('<ul>&lt;script&gt;alert(1)&lt;/script&gt;<li>&lt;script&gt;alert(1)&lt;/script&gt;</li></ul>');
    expect(html`${null}${undefined}${false}${0}${raw('<b>')}`.text).toBe('0<b>');
  });
});

describe('dashboard: basic auth and the same-origin check', () => {
  const account = { username: 'ops', password: 'pa:ss' };
  it('accepts exactly the account', () => {
    expect(basicAuthMatches(basic('ops:pa:ss'), account)).toBe(true);
    expect(basicAuthMatches(basic('ops:pa:sS'), account)).toBe(false);
    expect(basicAuthMatches(basic('ops:pa:ss '), account)).toBe(false);
    expect(basicAuthMatches(undefined, account)).toBe(false);
    expect(basicAuthMatches('Bearer ops:pa:ss', account)).toBe(false);
  });
  it('refuses mutating requests that a browser marks as from another site', () => {
    const host = { host: 'jobs.example:3000' };
    expect(crossSiteReason('GET', { ...host, origin: 'http://evil.example' })).toBeNull();
    expect(crossSiteReason('POST', { ...host })).toBeNull();
    expect(crossSiteReason('POST', { ...host, origin: 'http://jobs.example:3000', 'sec-fetch-site': 'same-origin' })).toBeNull();
    expect(crossSiteReason('POST', { ...host, origin: 'http://jobs.example:3001' })).toMatch(/cross-origin/);
    expect(crossSiteReason('DELETE', { ...host, 'sec-fetch-site': 'cross-site' })).toMatch(/cross-site/);
    expect(crossSiteReason('POST', { ...host, 'sec-fetch-site': 'same-site' })).toMatch(/cross-site/);
  });
});

describe('dashboard: schedules in words', () => {
  it.each([
    ['* * * * *', 'every minute'], ['*/5 * * * *', 'every 5 minutes'], ['15 * * * *', 'every hour at minute 15'],
    ['0 3 * * *', 'every day at 03:00'], ['30 9 * * 1-5', 'every weekday at 09:30'], ['0 8 * * 1', 'every Monday at 08:00'],
    ['0 0 1 * *', 'on day 1 of every month at 00:00'], ['0 0 1 1 *', 'cron 0 0 1 1 *'],
  ])('%s is "%s"', (cron, words) => expect(cronWords(cron)).toBe(words));
});

/**
 * The document written without @nestjs/swagger: the OpenAPI 3.0 checks beyond the validator's (every
 * path parameter declared, every schema built from the keywords 3.0 allows), then the validator.
 */
describe('dashboard: the OpenAPI document', () => {
  const SCHEMA_KEYS = new Set([
    'type', 'format', 'properties', 'required', 'items', 'enum', 'nullable', 'description', 'additionalProperties', 'oneOf', 'allOf', 'anyOf',
    '$ref', 'minimum', 'maximum', 'default',
  ]);
  const TYPES = new Set(['string', 'integer', 'number', 'boolean', 'array', 'object']);

  function resolveRef(doc: Record<string, unknown>, ref: string): unknown {
    expect(ref).toMatch(/^#\//);
    return ref.slice(2).split('/').reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], doc);
  }

  function checkSchema(doc: Record<string, unknown>, schema: Record<string, unknown>, where: string): void {
    for (const key of Object.keys(schema)) if (!SCHEMA_KEYS.has(key)) throw new Error(`${where}: '${key}' is not an OpenAPI 3.0 schema keyword`);
    if (schema.$ref !== undefined) {
      if (resolveRef(doc, schema.$ref as string) === undefined) throw new Error(`${where}: $ref ${String(schema.$ref)} does not resolve`);
      return;
    }
    if (schema.type !== undefined && !TYPES.has(schema.type as string)) throw new Error(`${where}: type '${String(schema.type)}'`);
    if (schema.type === 'array' && !schema.items) throw new Error(`${where}: an array without items`);
    if (schema.items) checkSchema(doc, schema.items as Record<string, unknown>, `${where}.items`);
    for (const [name, sub] of Object.entries((schema.properties as Record<string, Record<string, unknown>>) ?? {})) checkSchema(doc, sub, `${where}.${name}`);
    for (const req of (schema.required as string[]) ?? []) if (!(schema.properties as object)?.hasOwnProperty(req)) throw new Error(`${where}: required '${req}' is not a property`);
    for (const list of ['oneOf', 'allOf', 'anyOf']) ((schema[list] as Array<Record<string, unknown>>) ?? []).forEach((s, i) => checkSchema(doc, s, `${where}.${list}[${i}]`));
    if (schema.enum && (!Array.isArray(schema.enum) || schema.enum.length === 0)) throw new Error(`${where}: empty enum`);
  }

  function walkRefs(doc: Record<string, unknown>, node: unknown, where: string): number {
    if (!node || typeof node !== 'object') return 0;
    let n = 0;
    for (const [key, value] of Object.entries(node)) {
      if (key === '$ref') {
        n++;
        if (resolveRef(doc, value as string) === undefined) throw new Error(`${where}: $ref ${String(value)} does not resolve`);
      } else n += walkRefs(doc, value, `${where}.${key}`);
    }
    return n;
  }

  it.each([false, true])('is well formed (readOnly: %s)', (readOnly) => {
    const doc = ownDocument(readOnly);
    expect(doc.openapi).toMatch(/^3\.0\.\d$/);
    expect(typeof doc.info.title).toBe('string');
    expect(typeof doc.info.version).toBe('string');
    expect(Object.keys(doc.paths).length).toBeGreaterThan(5);
    for (const [path, ops] of Object.entries<Record<string, any>>(doc.paths)) {
      expect(path.startsWith('/zapjobs/api/')).toBe(true);
      const declared = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      for (const [method, op] of Object.entries<any>(ops)) {
        expect(['get', 'post', 'put', 'patch', 'delete']).toContain(method);
        expect(Object.keys(op.responses).length).toBeGreaterThan(0);
        for (const code of Object.keys(op.responses)) expect(code).toMatch(/^[1-5]\d\d$/);
        const params = (op.parameters ?? []) as Array<{ name: string; in: string; required?: boolean; schema: Record<string, unknown> }>;
        expect(params.filter((p) => p.in === 'path').map((p) => p.name).sort()).toEqual([...declared].sort());
        for (const p of params) {
          expect(['path', 'query', 'header', 'cookie']).toContain(p.in);
          if (p.in === 'path') expect(p.required).toBe(true);
          checkSchema(doc, p.schema, `${method} ${path} ${p.name}`);
        }
        for (const response of Object.values<any>(op.responses)) {
          const target = response.$ref ? resolveRef(doc, response.$ref) as any : response;
          expect(typeof target.description).toBe('string');
          for (const media of Object.values<any>(target.content ?? {})) checkSchema(doc, media.schema, `${method} ${path} response`);
        }
        for (const media of Object.values<any>(op.requestBody?.content ?? {})) checkSchema(doc, media.schema, `${method} ${path} body`);
      }
    }
    for (const [name, schema] of Object.entries<Record<string, unknown>>(doc.components.schemas)) checkSchema(doc, schema, name);
    expect(walkRefs(doc, doc, '#')).toBeGreaterThan(20);
    expect(readOnly ? Object.keys(doc.paths).some((p) => p.includes('retry')) : true).toBe(!readOnly || false);
  });

  it('puts the routes under the global prefix, and states basic auth when it is the auth', () => {
    const api = ZapJobsDashboardModule.forRoot({ auth: 'none' }).imports![0] as DynamicModule;
    const doc = openApiDocument(api.controllers![0] as Type<unknown>, { globalPrefix: '/v1/', readOnly: false, basic: true }) as any;
    expect(Object.keys(doc.paths)).toContain('/v1/zapjobs/api/runs/{id}/retry');
    expect(doc.security).toEqual([{ basic: [] }]);
  });

  it.each([false, true])('passes a real OpenAPI 3 validator, @apidevtools/swagger-parser (readOnly: %s)', async (readOnly) => {
    // validate() checks the document against the OpenAPI 3.0 JSON Schema and resolves every $ref;
    // it rejects with the offending path otherwise.
    const doc = ownDocument(readOnly);
    const validated = (await SwaggerParser.validate(doc)) as { openapi: string; paths: Record<string, unknown> };
    expect(validated.openapi).toMatch(/^3\.0\.\d$/);
    expect(Object.keys(validated.paths).length).toBeGreaterThan(5);
    // And it can fail: a broken $ref is refused.
    const broken = ownDocument(readOnly);
    broken.components.schemas.Broken = { $ref: '#/components/schemas/DoesNotExist' };
    await expect(SwaggerParser.validate(broken)).rejects.toThrow();
  });
});

describe('dashboard: an entry of its own', () => {
  it('is never imported by the main entry', () => {
    const root = resolve('lib');
    const seen = new Set<string>();
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)\.js'/g)) {
        const target = join(dirname(file), `${m[1]}.ts`);
        if (existsSync(target)) visit(target);
      }
    };
    visit(join(root, 'index.ts'));
    expect(seen.size).toBeGreaterThan(30);
    expect([...seen].filter((f) => f.includes(`${join(root, 'dashboard')}`))).toEqual([]);
    const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
    expect(pkg.exports['./dashboard']).toEqual({ types: './dist/dashboard/index.d.ts', default: './dist/dashboard/index.js' });
  });
});
