/**
 * Looking inside the errors undici and Node hand back: what a failure wraps
 * (`cause`, the errors of an `AggregateError` such as happy-eyeballs
 * connection failures) and the `code` each carries. Shared by the retry
 * rules, the breakers and the SSRF refusal lookup.
 */

/**
 * The error itself and what it wraps, breadth first, at most `limit` links,
 * safe against cycles.
 */
export function errorChain(error: unknown, limit = 16): object[] {
  const chain: object[] = [];
  const queue: unknown[] = [error];
  while (queue.length > 0 && chain.length < limit) {
    const current = queue.shift();
    if (typeof current !== 'object' || current === null || chain.includes(current)) continue;
    chain.push(current);
    const { cause, errors } = current as { cause?: unknown; errors?: unknown };
    if (cause !== undefined) queue.push(cause);
    if (Array.isArray(errors)) queue.push(...errors);
  }
  return chain;
}

/** A string `code` (`ECONNREFUSED`, `UND_ERR_SOCKET`…), if the error has one. */
export function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}
