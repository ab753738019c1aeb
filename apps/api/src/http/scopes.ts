import { RequestMethod, SetMetadata, Type } from '@nestjs/common';
import { GUARDS_METADATA, METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import type { API_SCOPES } from '@tsunagu/engine';

export type ApiScope = (typeof API_SCOPES)[number];

export const SCOPES_KEY = 'tsunagu:scopes';

/**
 * The scopes an API key must hold for a route, on the handler or its controller (the handler's
 * wins). At least one: a /v1 route that names none is closed to every key, and stops start-up.
 */
export const Scopes = (first: ApiScope, ...rest: ApiScope[]) => SetMetadata(SCOPES_KEY, [first, ...rest]);

/** The scopes a handler declares, its own or else its controller's; empty when neither names any. */
export function declaredScopes(handler: object, controller: object): string[] {
  const own = Reflect.getMetadata(SCOPES_KEY, handler) as string[] | undefined;
  return own ?? (Reflect.getMetadata(SCOPES_KEY, controller) as string[] | undefined) ?? [];
}

export interface DeclaredRoute {
  /** `POST /v1/messages/:id/cancel` */
  route: string;
  /** `MessagesController.cancel`, for the message that says what to fix. */
  where: string;
  scopes: string[];
  guards: unknown[];
}

function joinPath(...parts: string[]): string {
  return `/${parts.map((p) => p.replace(/^\/+|\/+$/g, '')).filter(Boolean).join('/')}`;
}

/** Every route the controllers declare, read from their decorators (OpenAPI's list omits hidden ones). */
export function declaredRoutes(controllers: Type[]): DeclaredRoute[] {
  return controllers.flatMap((controller) => {
    const bases = [(Reflect.getMetadata(PATH_METADATA, controller) as string | string[] | undefined) ?? ''].flat();
    const classGuards = (Reflect.getMetadata(GUARDS_METADATA, controller) as unknown[] | undefined) ?? [];
    const proto = controller.prototype as Record<string, unknown>;
    return Object.getOwnPropertyNames(proto)
      .filter((name) => name !== 'constructor' && typeof proto[name] === 'function' && Reflect.hasMetadata(PATH_METADATA, proto[name] as object))
      .flatMap((name) => {
        const handler = proto[name] as object;
        const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as number];
        const paths = [Reflect.getMetadata(PATH_METADATA, handler) as string | string[]].flat();
        const guards = [...classGuards, ...((Reflect.getMetadata(GUARDS_METADATA, handler) as unknown[] | undefined) ?? [])];
        return bases.flatMap((base) =>
          paths.map((path) => ({ route: `${method} ${joinPath(base, path)}`, where: `${controller.name}.${name}`, scopes: declaredScopes(handler, controller), guards })),
        );
      });
  });
}

/**
 * What keeps a /v1 route from being closed to keys without its scope, one line per route: not
 * behind the key guard, or naming no scope. Empty when every route is sound.
 */
export function unsoundV1Routes(controllers: Type[], keyGuard: Type): string[] {
  return declaredRoutes(controllers)
    .filter((r) => / \/v1(\/|$)/.test(r.route) || r.guards.includes(keyGuard))
    .flatMap((r) => {
      if (!r.guards.includes(keyGuard)) return [`${r.route} (${r.where}) is not behind ${keyGuard.name}: add @UseGuards(${keyGuard.name}) and @Scopes(...).`];
      if (r.scopes.length === 0) return [`${r.route} (${r.where}) declares no scope: add @Scopes('messages:send' | 'messages:read' | 'admin') to it or its controller.`];
      return [];
    });
}
