import { Type } from '@nestjs/common';
import { MODULE_METADATA } from '@nestjs/common/constants';
import { declaredRoutes } from '../../apps/api/src/http/scopes';
import { ConsoleModule } from '../../apps/console/src/console.module';
import type { ConsoleResponse } from '../../apps/console/src/testing/console-client';

/** The headers every console answer carries, page or refusal; HSTS is checked on its own. */
export const SECURE_PAGE = { csp: true, frameOptions: 'DENY', nosniff: 'nosniff', cache: 'no-store', referrer: 'no-referrer' };

export function securityHeaders(res: ConsoleResponse) {
  return {
    csp: (res.headers.get('content-security-policy') ?? '').split('; ').includes("frame-ancestors 'none'"),
    frameOptions: res.headers.get('x-frame-options'),
    nosniff: res.headers.get('x-content-type-options'),
    cache: res.headers.get('cache-control'),
    referrer: res.headers.get('referrer-policy'),
  };
}

/** Every console route, `METHOD /path`, as the console's controllers declare them (the api's own reader). */
export function consoleRoutes(): string[] {
  return declaredRoutes(Reflect.getMetadata(MODULE_METADATA.CONTROLLERS, ConsoleModule) as Type[]).map((r) => r.route);
}
