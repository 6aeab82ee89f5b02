import { RequestMethod, type Type } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants.js';
import { DASHBOARD_TAG, ERRORS, errorCodes, INFO, isAction, okStatus, ref, ROUTE_DOC, schemas, type RouteDoc } from './route-doc.js';

/** Marks which generator wrote a document (the one served says which it is). */
export const GENERATOR = { swagger: '@nestjs/swagger', own: '@zapjobs/nestjs' } as const;

const json = (schema: object, description: string) => ({ description, content: { 'application/json': { schema } } });

/** '/a/', 'b' -> '/a/b'; Nest's ':id' -> OpenAPI's '{id}'. */
export function joinRoute(...parts: string[]): string {
  const path = `/${parts.map((p) => p.replace(/^\/+|\/+$/g, '')).filter(Boolean).join('/')}`;
  return path.replace(/:(\w+)/g, '{$1}');
}

/**
 * The OpenAPI 3.0 document of a mounted dashboard API controller, written without @nestjs/swagger
 * (an optional peer) from what the controller itself declares: its routes (Nest's route metadata) and
 * their descriptions (@ApiRoute). With @nestjs/swagger installed the dashboard serves that package's
 * document of the same routes instead (swagger.ts); both pass the same validator.
 */
export function openApiDocument(controller: Type<unknown>, { globalPrefix = '', readOnly, basic }: { globalPrefix?: string; readOnly: boolean; basic: boolean }): object {
  const base = Reflect.getMetadata(PATH_METADATA, controller) as string;
  const paths: Record<string, Record<string, object>> = {};
  // The routes are the base class's methods: the mounted subclass only adds the path.
  for (let proto = controller.prototype as object; proto !== Object.prototype; proto = Object.getPrototypeOf(proto) as object) {
    for (const key of Object.getOwnPropertyNames(proto)) {
      const handler = Object.getOwnPropertyDescriptor(proto, key)?.value as object | undefined;
      const doc = handler && (Reflect.getMetadata(ROUTE_DOC, handler) as RouteDoc | undefined);
      if (!handler || !doc || (readOnly && isAction(handler))) continue;
      const path = joinRoute(globalPrefix, base, Reflect.getMetadata(PATH_METADATA, handler) as string);
      const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod].toLowerCase();
      const parameters = (doc.params ?? []).map((p) => ({ ...p, ...(p.in === 'path' ? { required: true } : {}) }));
      (paths[path] ??= {})[method] = {
        operationId: key,
        summary: doc.summary,
        tags: [DASHBOARD_TAG],
        ...(parameters.length ? { parameters } : {}),
        ...(doc.body ? { requestBody: { required: false, content: { 'application/json': { schema: doc.body } } } } : {}),
        responses: {
          [String(okStatus(handler))]: json(doc.ok.schema, doc.ok.description),
          ...Object.fromEntries(errorCodes(doc, handler).map((code) => [String(code), { $ref: `#/components/responses/E${code}` }])),
        },
      };
    }
  }
  return {
    openapi: '3.0.3',
    info: INFO,
    'x-generator': GENERATOR.own,
    tags: [{ name: DASHBOARD_TAG }],
    paths,
    ...(basic ? { security: [{ basic: [] }] } : {}),
    components: {
      schemas,
      responses: Object.fromEntries(Object.entries(ERRORS).map(([code, description]) => [`E${code}`, json(ref('Error'), description)])),
      securitySchemes: { basic: { type: 'http', scheme: 'basic' } },
    },
  };
}
