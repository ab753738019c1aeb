import { CanActivate, ExecutionContext, Inject, Injectable, Logger, OnModuleInit, Type } from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';
import { InjectDataSource } from '@nestjs/typeorm';
import { Request } from 'express';
import { DataSource } from 'typeorm';
import { TSUNAGU_CONFIG, TsunaguConfig } from '@tsunagu/config';
import { DomainError } from '@tsunagu/core';
import { ApiKeyEntity } from '@tsunagu/database';
import { BucketUnavailable, CHANGED, TokenBucket, WorkListener } from '@tsunagu/engine';
import { addressAllowed, parseApiKey, sha256HexEqual } from '@tsunagu/security';
import { declaredScopes, unsoundV1Routes } from './scopes';

export { SCOPES_KEY, Scopes } from './scopes';

export interface AuthedRequest extends Request {
  tenantId: string;
  apiKeyId: string;
}

const QUERY_KEY_NAMES = ['api_key', 'apikey', 'key', 'token', 'access_token', 'authorization'];
const TOUCH_EVERY_MS = 60_000;
const BEARER = /^bearer +/i;

/**
 * Bearer API keys: looked up by their public id, compared by hash in constant time, refused
 * when revoked or lacking the route's scope. Keys in a URL end up in proxy logs: refused outright.
 * Fails closed: a route that names no scope is refused to every key, and start-up stops on one.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate, OnModuleInit {
  private readonly touched = new Map<string, number>();
  private readonly cache = new Map<string, { at: number; key: ApiKeyEntity | null }>();
  /** Bumped by each revocation heard of: a read begun before it does not cache the row it read. */
  private generation = 0;
  private readonly log = new Logger(ApiKeyGuard.name);
  private warnedAt = 0;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(TSUNAGU_CONFIG) private readonly config: TsunaguConfig,
    private readonly buckets: TokenBucket,
    private readonly modules: ModulesContainer,
    private readonly listener: WorkListener,
  ) {}

  /**
   * Every /v1 route behind this guard with a scope named, or the api does not start. And a key
   * revoked anywhere (the CLI, the console) is forgotten here as soon as that is announced.
   */
  onModuleInit(): void {
    this.listener.subscribe(CHANGED.apiKey, (keyId) => {
      this.generation++;
      this.cache.delete(keyId);
    });
    const controllers = [...this.modules.values()].flatMap((m) => [...m.controllers.values()].map((w) => w.metatype as Type));
    const unsound = unsoundV1Routes(controllers, ApiKeyGuard);
    if (unsound.length) throw new Error(`Every /v1 route needs the API key guard and a scope:\n  ${unsound.join('\n  ')}`);
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<AuthedRequest>();
    // Express 5 parses the query string on each read of `req.query`: most requests have none.
    if (req.url.includes('?') && Object.keys(req.query ?? {}).some((k) => QUERY_KEY_NAMES.includes(k.toLowerCase()))) {
      throw new DomainError('UNAUTHENTICATED', 'API keys are not accepted in the query string; send Authorization: Bearer <key>.');
    }
    // Before the key is looked up: no key may call a route that names no scope, whoever holds it.
    const needed = declaredScopes(context.getHandler(), context.getClass());
    if (needed.length === 0) throw new DomainError('INSUFFICIENT_SCOPE', 'This operation declares no scope, so no API key may call it.', { missing: [] });
    const header = req.headers.authorization;
    // The scheme is case-insensitive (RFC 9110 §11.1): `bearer` is as good as `Bearer`.
    const token = typeof header === 'string' && BEARER.test(header) ? header.replace(BEARER, '').trim() : null;
    const parsed = token ? parseApiKey(token) : null;
    if (!parsed) throw new DomainError('UNAUTHENTICATED', 'Send a valid API key as Authorization: Bearer <key>.');
    const key = await this.lookup(parsed.id);
    if (!key || key.revokedAt || !sha256HexEqual(key.secretHash, parsed.hash)) {
      throw new DomainError('UNAUTHENTICATED', 'This API key is not valid or has been revoked.');
    }
    // Checked after the secret, so an expired key's holder learns no more than anyone's.
    if (key.expiresAt && key.expiresAt.getTime() <= Date.now()) throw new DomainError('UNAUTHENTICATED', 'This API key has expired; issue a new one.');
    if (!addressAllowed(req.ip, key.allowedNetworks ?? [])) throw new DomainError('FORBIDDEN', 'This API key may not be used from this network.');
    const missing = needed.filter((s) => !key.scopes.includes(s));
    if (missing.length) throw new DomainError('INSUFFICIENT_SCOPE', `This API key lacks the scope: ${missing.join(', ')}.`, { missing });
    req.tenantId = key.tenantId;
    req.apiKeyId = key.id;
    const rate = this.config.http.rateLimitPerSecond;
    if (rate > 0) {
      const waitMs = await this.takeRate(key.id, rate);
      if (waitMs > 0) {
        throw new DomainError('RATE_LIMITED', `This API key is limited to ${rate} requests per second.`, { retryAfterSeconds: Math.ceil(waitMs / 1000) });
      }
    }
    const last = this.touched.get(key.id) ?? 0;
    if (Date.now() - last > TOUCH_EVERY_MS) {
      this.touched.set(key.id, Date.now());
      void this.db.query(`UPDATE api_keys SET last_used_at = now() WHERE id = $1`, [key.id]).catch(() => undefined);
    }
    return true;
  }

  /**
   * Redis away: the request is admitted unlimited rather than refused or held. Accepting needs
   * only PostgreSQL, and queue-depth backpressure (503) still guards the engine; a rate limit
   * that failed closed would turn a Redis restart into an outage for every CRM.
   */
  private async takeRate(keyId: string, rate: number): Promise<number> {
    try {
      return await this.buckets.take(`apikey:${keyId}`, rate);
    } catch (err) {
      if (!(err instanceof BucketUnavailable)) throw err;
      if (Date.now() - this.warnedAt > 10_000) {
        this.warnedAt = Date.now();
        this.log.warn('rate limit not applied: Redis is not answering');
      }
      return 0;
    }
  }

  private async lookup(id: string): Promise<ApiKeyEntity | null> {
    const hit = this.cache.get(id);
    if (hit && Date.now() - hit.at < this.config.http.apiKeyCacheMs) return hit.key;
    const generation = this.generation;
    const key = await this.db.getRepository(ApiKeyEntity).findOneBy({ id });
    if (this.cache.size > 10_000) this.cache.clear();
    // A revocation announced while this read was out may have been read past: not kept.
    if (generation === this.generation) this.cache.set(id, { at: Date.now(), key });
    return key;
  }
}
