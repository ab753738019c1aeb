import type { AllLookup } from '@tsunagu/security';
import { guardedPost, PostResult } from '../../libs/engine/src/callbacks/guarded-post';

/**
 * The callback sender's connection path, pointed at a URL, with private addresses refused.
 * `resolve` stands in for the OS resolver (a name that answers differently at send time).
 */
export function guardedPostForTest(url: string, opts: { resolve?: AllLookup; allowPrivate?: boolean } = {}): Promise<PostResult> {
  return guardedPost(url, '{}', {}, { timeoutMs: 1000, allowPrivate: opts.allowPrivate ?? false, resolve: opts.resolve });
}
