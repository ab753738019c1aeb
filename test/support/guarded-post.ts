import { guardedPost, PostResult } from '../../libs/engine/src/callbacks/guarded-post';

/** The callback sender's connection path, pointed at a URL, with private addresses refused. */
export function guardedPostForTest(url: string): Promise<PostResult> {
  return guardedPost(url, '{}', {}, { timeoutMs: 1000, allowPrivate: false });
}
