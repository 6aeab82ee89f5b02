import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import SwaggerParser from '@apidevtools/swagger-parser';
import { Module } from '@nestjs/common';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { sqliteBackend, type TestDatabase } from '../../helpers/backends.js';
import { compiledFixture } from '../../helpers/child-process.js';
import { basic, bootDashboardApp, type DashboardApp } from '../../helpers/dashboard-app.js';
import { nodeArgsWithout } from '../../helpers/missing-packages.js';
import { ZapJobsDashboardModule } from '../../../lib/dashboard/index.js';
import { DASHBOARD_JOBS } from '../../fixtures/dashboard-jobs.fixture.js';

interface Operation {
  summary?: string;
  parameters?: Array<{ name: string; in: string; required?: boolean }>;
  requestBody?: unknown;
  responses: Record<string, { description: string; content?: Record<string, { schema: unknown }> }>;
}
interface Document {
  openapi: string;
  'x-generator'?: string;
  security?: unknown;
  paths: Record<string, Record<string, Operation>>;
}

/** Every operation, as "METHOD /path", with what a client relies on: parameters, body, response statuses. */
function outline(doc: Document): Record<string, unknown> {
  const ops: Record<string, unknown> = {};
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      ops[`${method.toUpperCase()} ${path}`] = {
        summary: op.summary,
        parameters: (op.parameters ?? []).map((p) => `${p.in}:${p.name}${p.required ? '!' : ''}`).sort(),
        body: op.requestBody !== undefined,
        responses: Object.keys(op.responses).sort(),
      };
    }
  }
  return ops;
}

/** The success response's schema of each operation, every $ref resolved (validate() dereferences in place). */
function okSchemas(doc: Document): Record<string, unknown> {
  const schemas: Record<string, unknown> = {};
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      const ok = Object.entries(op.responses).find(([code]) => code.startsWith('2'))!;
      schemas[`${method.toUpperCase()} ${path}`] = ok[1].content?.['application/json']?.schema;
    }
  }
  return schemas;
}

/** The document a child Node serves, one in which @nestjs/swagger cannot be resolved. */
async function documentWithoutSwagger(adapter: string): Promise<{ status: number; document: Document }> {
  const { stdout } = await promisify(execFile)(process.execPath, [...nodeArgsWithout(['@nestjs/swagger']), compiledFixture('openapi-app.ts'), adapter], {
    timeout: 60_000,
  });
  return JSON.parse(stdout.trim().split('\n').pop()!);
}

const clone = <T>(value: T): T => JSON.parse(JSON.stringify(value));

describe.each(['express', 'fastify'])('the OpenAPI document of the dashboard on %s', (adapter) => {
  let db: TestDatabase;
  let d: DashboardApp | undefined;
  afterEach(async () => {
    await d?.close();
    d = undefined;
    await db.drop();
  });

  it('is made by @nestjs/swagger when installed, else by ZapJobs; both valid, describing the same operations', async () => {
    db = sqliteBackend.create();
    d = await bootDashboardApp(db.options, { auth: { username: 'ops', password: 'pw' } }, DASHBOARD_JOBS, {
      adapter: adapter === 'fastify' ? new FastifyAdapter() : undefined,
    });
    const response = await fetch(`${d.origin}/zapjobs/api/openapi.json`, { headers: { authorization: basic('ops', 'pw') } });
    expect(response.status).toBe(200);
    const swagger = (await response.json()) as Document;
    const own = await documentWithoutSwagger(adapter);
    expect(own.status).toBe(200);

    expect(swagger['x-generator']).toBe('@nestjs/swagger');
    expect(own.document['x-generator']).toBe('@zapjobs/nestjs');
    for (const doc of [swagger, own.document]) {
      expect(doc.security).toEqual([{ basic: [] }]);
      expect(Object.keys(doc.paths).every((p) => p.startsWith('/zapjobs/api/'))).toBe(true);
    }
    // validate() checks each against the OpenAPI 3.0 JSON Schema and resolves every $ref, rejecting
    // with the offending path otherwise; it returns the document dereferenced.
    const [checkedSwagger, checkedOwn] = [
      (await SwaggerParser.validate(clone(swagger) as never)) as unknown as Document,
      (await SwaggerParser.validate(clone(own.document) as never)) as unknown as Document,
    ];
    expect(checkedSwagger.openapi).toMatch(/^3\.0\.\d$/);
    expect(checkedOwn.openapi).toMatch(/^3\.0\.\d$/);
    expect(Object.keys(swagger.paths).sort()).toEqual(Object.keys(own.document.paths).sort());
    expect(outline(swagger)).toEqual(outline(own.document));
    expect(Object.keys(outline(swagger))).toHaveLength(16);
    expect(okSchemas(checkedSwagger)).toEqual(okSchemas(checkedOwn));
  }, 90_000);
});

describe('the OpenAPI documents of two dashboards in one app', () => {
  let db: TestDatabase;
  let d: DashboardApp | undefined;
  afterEach(async () => {
    await d?.close();
    await db.drop();
  });

  it('each describe their own API only; a read-only one, no action', async () => {
    db = sqliteBackend.create();
    @Module({
      imports: [
        ZapJobsDashboardModule.forRoot({ path: '/ops/a', auth: 'none', readOnly: true }),
        ZapJobsDashboardModule.forRootAsync({ path: '/ops/b', useFactory: () => ({ auth: [{ canActivate: () => true }] }) }),
      ],
    })
    class TwoDashboards {}
    d = await bootDashboardApp(db.options, { module: TwoDashboards }, DASHBOARD_JOBS);
    const [a, b] = await Promise.all(['a', 'b'].map(async (m) => (await (await fetch(`${d!.origin}/ops/${m}/api/openapi.json`)).json()) as Document));
    for (const doc of [a!, b!]) await SwaggerParser.validate(clone(doc) as never);
    expect(Object.keys(a!.paths).every((p) => p.startsWith('/ops/a/api/'))).toBe(true);
    expect(Object.keys(b!.paths).every((p) => p.startsWith('/ops/b/api/'))).toBe(true);
    expect(Object.keys(outline(a!)).filter((op) => !op.startsWith('GET '))).toEqual([]);
    expect(Object.keys(outline(b!))).toHaveLength(16);
    // Guards, not basic auth: no security requirement is stated (the app's guards may want anything).
    expect(b!.security).toBeUndefined();
  });
});

describe("the dashboard in the app's own OpenAPI document", () => {
  let db: TestDatabase;
  let d: DashboardApp | undefined;
  afterEach(async () => {
    await d?.close();
    await db.drop();
  });

  it('is there, described, under its tag, without the HTML pages, and valid', async () => {
    db = sqliteBackend.create();
    d = await bootDashboardApp(db.options, { auth: 'none' }, DASHBOARD_JOBS);
    const doc = SwaggerModule.createDocument(d.app, new DocumentBuilder().setTitle('The app').build()) as unknown as Document;
    await SwaggerParser.validate(clone(doc) as never);
    const paths = Object.keys(doc.paths);
    expect(paths.length).toBeGreaterThan(10);
    expect(paths.every((p) => p.startsWith('/zapjobs/api/'))).toBe(true);
    expect(paths).not.toContain('/zapjobs/api/openapi.json');
    const runs = doc.paths['/zapjobs/api/runs']!.get!;
    expect(runs.summary).toMatch(/Runs matching a filter/);
    expect((runs as { tags?: string[] }).tags).toEqual(['ZapJobs dashboard']);
  });
});
