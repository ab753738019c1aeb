import { Controller, Delete, Get, Post, UseGuards } from '@nestjs/common';
import { ApiExcludeEndpoint } from '@nestjs/swagger';
import { Scopes, declaredRoutes, unsoundV1Routes } from './scopes';

class KeyGuard {}
class OtherGuard {}

@UseGuards(KeyGuard)
@Scopes('admin')
@Controller('v1/things')
class ScopedByClass {
  @Get()
  list() {}

  @Post(':id/read')
  @Scopes('messages:read')
  read() {}
}

@UseGuards(KeyGuard)
@Controller('/v1/loose/')
class Loose {
  @Get()
  @Scopes('messages:read')
  fine() {}

  @Delete(':id')
  @ApiExcludeEndpoint()
  hidden() {}
}

@Controller('v1/open')
class Unguarded {
  @Post()
  @UseGuards(OtherGuard)
  @Scopes('messages:send')
  send() {}
}

@Controller('health')
class NotV1 {
  @Get()
  health() {}
}

describe('scopes', () => {
  it('reads every route from the decorators, the handler’s scopes over its controller’s', () => {
    expect(declaredRoutes([ScopedByClass, Loose]).map((r) => [r.route, r.where, r.scopes])).toEqual([
      ['GET /v1/things', 'ScopedByClass.list', ['admin']],
      ['POST /v1/things/:id/read', 'ScopedByClass.read', ['messages:read']],
      ['GET /v1/loose', 'Loose.fine', ['messages:read']],
      ['DELETE /v1/loose/:id', 'Loose.hidden', []],
    ]);
  });

  it('names each /v1 route without the key guard or a scope, hidden from OpenAPI or not, and nothing else', () => {
    expect(unsoundV1Routes([ScopedByClass, Loose, Unguarded, NotV1], KeyGuard as never)).toEqual([
      "DELETE /v1/loose/:id (Loose.hidden) declares no scope: add @Scopes('messages:send' | 'messages:read' | 'admin') to it or its controller.",
      'POST /v1/open (Unguarded.send) is not behind KeyGuard: add @UseGuards(KeyGuard) and @Scopes(...).',
    ]);
    expect(unsoundV1Routes([ScopedByClass, NotV1], KeyGuard as never)).toEqual([]);
  });
});
