/** Scope arithmetic shared by authorization checks. */
import type { Identity } from '../api/types.js';

/** Does this identity hold every required scope? (`*` holds them all.) */
export function hasScopes(identity: Identity | undefined, required: readonly string[]): boolean {
  if (required.length === 0) return true;
  if (!identity) return false;
  if (identity.scopes.includes('*')) return true;
  return required.every((scope) => identity.scopes.includes(scope));
}
