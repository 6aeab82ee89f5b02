import {
  ForbiddenException, Inject, Injectable, UnauthorizedException, type CanActivate, type ExecutionContext, type Type,
} from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { isObservable, lastValueFrom } from 'rxjs';
import { DASHBOARD_OPTIONS, type ResolvedDashboardOptions } from '../dashboard-options.js';
import { basicAuthMatches } from './basic-auth.js';
import { crossSiteReason, isMutating, type RequestHeaders } from './same-origin.js';

interface HttpRequest {
  method: string;
  headers: RequestHeaders;
}

interface HttpResponse {
  header?: (name: string, value: string) => unknown;
  setHeader?: (name: string, value: string) => unknown;
}

/**
 * Every dashboard route goes through this one guard, in this order: who you are (401), whether the
 * dashboard allows actions at all (readOnly: 403), and whether the request came from its own
 * pages (CSRF: 403). The app's global guards run before it, as Nest runs global guards first.
 */
@Injectable()
export class DashboardGuard implements CanActivate {
  private guards: CanActivate[] | undefined;

  constructor(
    @Inject(DASHBOARD_OPTIONS) private readonly options: ResolvedDashboardOptions,
    private readonly moduleRef: ModuleRef,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const http = context.switchToHttp();
    const request = http.getRequest<HttpRequest>();
    await this.authenticate(context, request, http.getResponse<HttpResponse>());
    if (isMutating(request.method)) {
      if (this.options.readOnly) throw new ForbiddenException('The dashboard is read-only: actions are disabled (readOnly: true).');
      const reason = crossSiteReason(request.method, request.headers);
      if (reason) throw new ForbiddenException(reason);
    }
    return true;
  }

  private async authenticate(context: ExecutionContext, request: HttpRequest, response: HttpResponse): Promise<void> {
    const { auth } = this.options;
    if (auth === 'none') return;
    if (!Array.isArray(auth)) {
      const header = request.headers['authorization'];
      if (basicAuthMatches(Array.isArray(header) ? header[0] : header, auth as { username: string; password: string })) return;
      const set = response.header ?? response.setHeader;
      set?.call(response, 'WWW-Authenticate', 'Basic realm="ZapJobs", charset="UTF-8"');
      throw new UnauthorizedException('Authentication required.');
    }
    for (const guard of await this.resolveGuards(auth)) {
      // A guard that answers false means "not allowed" as in Nest (403); one that throws keeps its own status.
      const answer = guard.canActivate(context);
      if (!(isObservable(answer) ? await lastValueFrom(answer) : await answer)) throw new ForbiddenException('Forbidden resource');
    }
  }

  /** Guard classes come from the app's providers when provided there, else are created with the app's injector. */
  private async resolveGuards(auth: ReadonlyArray<Type<CanActivate> | CanActivate>): Promise<CanActivate[]> {
    if (this.guards) return this.guards;
    const guards: CanActivate[] = [];
    for (const guard of auth) {
      if (typeof guard !== 'function') {
        guards.push(guard);
        continue;
      }
      let instance: CanActivate;
      try {
        instance = this.moduleRef.get(guard, { strict: false });
      } catch {
        instance = this.construct(guard);
      }
      guards.push(instance);
    }
    return (this.guards = guards);
  }

  /**
   * A guard class the app did not provide, built with its constructor's dependencies looked up
   * anywhere in the app (as `@UseGuards(JwtGuard)` on the app's own controller would find them).
   * ModuleRef.create() would only see this module's providers.
   */
  private construct(guard: Type<CanActivate>): CanActivate {
    const types: unknown[] = [...((Reflect.getMetadata('design:paramtypes', guard) as unknown[] | undefined) ?? [])];
    const declared = (Reflect.getMetadata('self:paramtypes', guard) as Array<{ index: number; param: unknown }> | undefined) ?? [];
    for (const { index, param } of declared) types[index] = param;
    return new guard(...types.map((token) => this.moduleRef.get(token as Type<unknown>, { strict: false })));
  }
}
