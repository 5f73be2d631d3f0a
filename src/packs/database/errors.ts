/**
 * Database failures as the taxonomy's errors: the agent learns what went wrong
 * (the SQLSTATE and PostgreSQL's message for problems with its SQL), never
 * where the database lives — connection failures name the database, not its
 * host, port, user or password.
 */
import { McpdError } from '../../chassis/errors.js';

interface DatabaseErrorLike {
  code?: string;
  message?: string;
  position?: string;
}

/** The code of a failed embedded database (not a SQLSTATE: its detail, which may name local paths, stays in the log). */
export const EMBEDDED_FAILURE = 'MCPD_EMBEDDED_FAILURE';

const CONNECTION_CODES = /^(08|53|57P0[1-4]|XX)/;
const NETWORK_ERRNO = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EPIPE', 'EAI_AGAIN']);

export function databaseError(error: unknown, database: string, timeoutMs: number): McpdError {
  if (error instanceof McpdError) return error;
  const failure = (error ?? {}) as DatabaseErrorLike;
  const code = typeof failure.code === 'string' ? failure.code : '';
  const message = typeof failure.message === 'string' ? failure.message : 'unknown error';
  if (code === EMBEDDED_FAILURE) {
    return new McpdError('UNAVAILABLE', `The embedded database ${database} could not start or failed; the server log says why`, { retryAfterMs: 5000 });
  }
  if (code === '57014') return new McpdError('TIMEOUT', `The statement was cancelled by the database after ${timeoutMs} ms (SQLSTATE 57014)`, { data: { sqlstate: code } });
  if (code === '55P03') return new McpdError('TIMEOUT', `A lock could not be acquired in time (SQLSTATE 55P03)`, { data: { sqlstate: code } });
  if (code === '25006' || code === '42501') {
    return new McpdError('PERMISSION_DENIED', `${message} (SQLSTATE ${code})`, { data: { sqlstate: code } });
  }
  if (/timeout exceeded when trying to connect/i.test(message)) {
    return new McpdError('UNAVAILABLE', `No connection to database ${database} became free in time; try again`, { retryAfterMs: 1000 });
  }
  if (NETWORK_ERRNO.has(code) || CONNECTION_CODES.test(code) || /Connection terminated|connection.*(closed|ended)|not queryable/i.test(message)) {
    return new McpdError('UPSTREAM_ERROR', `Database ${database} is unavailable${code && !NETWORK_ERRNO.has(code) ? ` (SQLSTATE ${code})` : ''}; try again`, {
      retryAfterMs: 1000,
      data: code && !NETWORK_ERRNO.has(code) ? { sqlstate: code } : undefined,
    });
  }
  if (/^[0-9A-Z]{5}$/.test(code)) {
    // Class 42 (syntax, undefined table/column), 22 (bad data), 23 (constraints): the agent's SQL or data.
    const position = failure.position ? ` at character ${failure.position}` : '';
    const kind = /^(42|22|23|0A|21|2F|39|44)/.test(code) ? 'VALIDATION_ERROR' : 'UPSTREAM_ERROR';
    return new McpdError(kind, `${message}${position} (SQLSTATE ${code})`, { data: { sqlstate: code } });
  }
  return new McpdError('UPSTREAM_ERROR', `Database ${database} failed the request; try again`, { cause: error });
}
