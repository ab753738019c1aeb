import { Controller, Get } from '@nestjs/common';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';
import { ApiKeyGuard, Scopes } from './api-key.guard';

@Controller('v1/probe')
class Probe {
  @Get('unscoped')
  unscoped() {}

  @Get('scoped')
  @Scopes('messages:read')
  scoped() {}
}

/** Nothing here reaches the database: both refusals come before the key is looked up. */
function guard(): ApiKeyGuard {
  return new ApiKeyGuard(undefined as never, undefined as never, undefined as never, undefined as never, undefined as never);
}

function call(handler: () => void, headers: Record<string, string> = {}) {
  const req = { url: '/v1/probe', headers, query: {} };
  return guard().canActivate(new ExecutionContextHost([req, {}], Probe, handler));
}

describe('ApiKeyGuard', () => {
  it('refuses a route that names no scope to every key, before looking the key up (fails closed)', async () => {
    const anyKey = { authorization: `Bearer tsk_${'a'.repeat(16)}_${'b'.repeat(43)}` };
    await expect(call(Probe.prototype.unscoped, anyKey)).rejects.toMatchObject({ code: 'INSUFFICIENT_SCOPE', status: 403, details: { missing: [] } });
    await expect(call(Probe.prototype.unscoped)).rejects.toMatchObject({ code: 'INSUFFICIENT_SCOPE' });
  });

  it('goes on to ask for a key on a route that names its scope', async () => {
    await expect(call(Probe.prototype.scoped)).rejects.toMatchObject({ code: 'UNAUTHENTICATED', status: 401 });
  });
});
