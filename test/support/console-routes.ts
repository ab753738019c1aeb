import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, MODULE_METADATA, PATH_METADATA } from '@nestjs/common/constants';
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

/** Every console route, `METHOD /path`, as the console's controllers declare them. */
export function consoleRoutes(): string[] {
  return (Reflect.getMetadata(MODULE_METADATA.CONTROLLERS, ConsoleModule) as (new (...args: never[]) => object)[]).flatMap((controller) => {
    const base = Reflect.getMetadata(PATH_METADATA, controller) as string;
    const proto = controller.prototype as Record<string, unknown>;
    return Object.getOwnPropertyNames(proto)
      .filter((name) => name !== 'constructor')
      .map((name) => proto[name])
      .filter((handler): handler is object => typeof handler === 'function' && Reflect.hasMetadata(PATH_METADATA, handler))
      .map((handler) => `${RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as number]} /${[base, Reflect.getMetadata(PATH_METADATA, handler)].filter((p) => p && p !== '/').join('/')}`);
  });
}
