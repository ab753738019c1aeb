import { InitialSchema1764000000000 } from './1764000000000-initial-schema';
import { Console1764100000000 } from './1764100000000-console';

/** Listed explicitly (not globbed) so the compiled and the ts-run trees load the same set. */
export const MIGRATIONS = [InitialSchema1764000000000, Console1764100000000];
