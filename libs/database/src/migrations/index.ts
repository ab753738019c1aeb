import { InitialSchema1764000000000 } from './1764000000000-initial-schema';

/** Listed explicitly (not globbed) so the compiled and the ts-run trees load the same set. */
export const MIGRATIONS = [InitialSchema1764000000000];
