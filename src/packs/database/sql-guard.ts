/**
 * The first line of defence of the database pack: SQL is parsed by the real
 * PostgreSQL parser (libpg-query, the server's own grammar compiled to WASM)
 * and judged on its syntax tree — never by keywords in the text, which both
 * reject innocent SQL (`created_at` contains CREATE) and miss real attacks.
 *
 * A read-only query must be exactly one SELECT (VALUES and TABLE are SELECTs
 * too) with no data-modifying statement anywhere in it (WITH … DELETE), no
 * SELECT … INTO, no locking clause and no call of a denied function — in call
 * syntax or in attribute notation (`('/etc/passwd'::text).pg_read_file`).
 * A write (write mode only) must be one INSERT, UPDATE, DELETE or MERGE of an
 * allowed kind on allowed tables, with the same checks on everything inside.
 *
 * The parse result is not trusted alone: statements then run with the extended
 * protocol inside a READ ONLY transaction (see pg-database.ts).
 */
import { LRUCache } from 'lru-cache';
import { McpdError } from '../../chassis/errors.js';
import { isDeniedFunction } from './denylist.js';

let loaded: Promise<void> | undefined;
let parseSync: ((sql: string) => unknown) | undefined;

/**
 * Loads the parser's WASM module once (about 35 ms); every check after it is
 * synchronous. Imported on demand, so a server without databases never loads it.
 */
export function loadSqlParser(): Promise<void> {
  return (loaded ??= import('libpg-query').then(async (parser) => {
    await parser.loadModule();
    parseSync = parser.parseSync;
  }));
}

export type WriteKind = 'insert' | 'update' | 'delete' | 'merge';

export interface CheckedSql {
  /** The statement's kind: `select` for queries. */
  kind: 'select' | WriteKind;
  /** Tables named anywhere in the statement (`schema.table` when qualified), lower-case. */
  tables: string[];
  /** The table a write targets. */
  target?: string;
}

const rejected = (reason: string) => new McpdError('VALIDATION_ERROR', `SQL rejected: ${reason}`);

/** Why a top-level statement of this node type is refused in a read-only query. */
const REFUSALS: Record<string, string> = {
  TransactionStmt: 'transaction control (BEGIN, COMMIT, ROLLBACK, SAVEPOINT…) is not allowed',
  VariableSetStmt: 'SET, RESET and SET ROLE are not allowed',
  VariableShowStmt: 'SHOW is not allowed; query pg_settings instead',
  CopyStmt: 'COPY is not allowed',
  DoStmt: 'DO blocks are not allowed',
  CallStmt: 'CALL is not allowed',
  ListenStmt: 'LISTEN is not allowed',
  UnlistenStmt: 'UNLISTEN is not allowed',
  NotifyStmt: 'NOTIFY is not allowed',
  ExplainStmt: 'EXPLAIN is not allowed here; use the explain tool',
  PrepareStmt: 'PREPARE is not allowed',
  ExecuteStmt: 'EXECUTE is not allowed',
  DeallocateStmt: 'DEALLOCATE is not allowed',
  LockStmt: 'LOCK is not allowed',
  DeclareCursorStmt: 'cursors are managed by the server',
  VacuumStmt: 'VACUUM and ANALYZE are not allowed',
  GrantStmt: 'privilege changes are not allowed',
  GrantRoleStmt: 'privilege changes are not allowed',
  AlterRoleStmt: 'role changes are not allowed',
  CreateRoleStmt: 'role changes are not allowed',
  InsertStmt: 'writes are not allowed (read-only)',
  UpdateStmt: 'writes are not allowed (read-only)',
  DeleteStmt: 'writes are not allowed (read-only)',
  MergeStmt: 'writes are not allowed (read-only)',
};

const WRITE_NODES: Record<string, WriteKind> = { InsertStmt: 'insert', UpdateStmt: 'update', DeleteStmt: 'delete', MergeStmt: 'merge' };

type Node = Record<string, unknown>;

interface Finding {
  tables: Set<string>;
  writes: string[];
  problem?: string;
}

const isNode = (value: unknown): value is Node => typeof value === 'object' && value !== null && !Array.isArray(value);

function nameOf(parts: unknown): string[] {
  if (!Array.isArray(parts)) return [];
  return parts.flatMap((part) => (isNode(part) && isNode(part.String) && typeof part.String.sval === 'string' ? [part.String.sval] : []));
}

function tableName(relation: unknown): string | undefined {
  if (!isNode(relation) || typeof relation.relname !== 'string') return undefined;
  const schema = typeof relation.schemaname === 'string' ? `${relation.schemaname}.` : '';
  return `${schema}${relation.relname}`.toLowerCase();
}

/**
 * Visits every node of the tree. Typed nodes are `{ TypeName: {...} }`; some
 * fields hold a node's body without the wrapper (relation, intoClause, …), so
 * every object and array is descended, and the checks key off field names too.
 */
function inspect(value: unknown, found: Finding, type: string | undefined): void {
  if (found.problem) return;
  if (Array.isArray(value)) {
    for (const item of value) inspect(item, found, type);
    return;
  }
  if (!isNode(value)) return;
  const keys = Object.keys(value);
  if (keys.length === 1 && /^[A-Z]/.test(keys[0]!) && isNode(value[keys[0]!])) {
    const nodeType = keys[0]!;
    const body = value[nodeType] as Node;
    check(nodeType, body, found);
    inspect(body, found, nodeType);
    return;
  }
  if (type === 'CallStmt' && isNode(value.funccall)) check('FuncCall', value.funccall, found);
  for (const key of keys) {
    if (key === 'relation' || key === 'rel') {
      const table = tableName(value[key]);
      if (table) found.tables.add(table);
    }
    inspect(value[key], found, type);
  }
}

function check(nodeType: string, body: Node, found: Finding): void {
  const write = WRITE_NODES[nodeType];
  if (write) found.writes.push(write);
  switch (nodeType) {
    case 'RangeVar': {
      const table = tableName(body);
      if (table) found.tables.add(table);
      return;
    }
    case 'SelectStmt':
      if (body.intoClause) found.problem = 'SELECT … INTO creates a table';
      else if (Array.isArray(body.lockingClause) && body.lockingClause.length > 0) found.problem = 'locking clauses (FOR UPDATE / FOR SHARE) are not allowed';
      return;
    case 'FuncCall': {
      const name = nameOf(body.funcname);
      const last = name[name.length - 1];
      if (last && isDeniedFunction(last)) found.problem = `function ${name.join('.')} is not allowed`;
      return;
    }
    case 'A_Indirection': {
      // (expr).function_name calls a function in attribute notation.
      for (const field of nameOf(body.indirection)) if (isDeniedFunction(field)) found.problem = `function ${field} is not allowed`;
      return;
    }
    case 'ColumnRef': {
      // row.function_name is attribute notation too.
      const fields = nameOf(body.fields);
      if (fields.length >= 2 && isDeniedFunction(fields[fields.length - 1]!)) found.problem = `function ${fields[fields.length - 1]} is not allowed`;
      return;
    }
    default:
      if (nodeType in REFUSALS && !WRITE_NODES[nodeType] && nodeType !== 'ExplainStmt') found.problem = REFUSALS[nodeType];
  }
}

function parseOne(sql: string): { type: string; body: Node; tree: Node } {
  if (sql.trim() === '') throw rejected('the statement is empty');
  if (!parseSync) throw new McpdError('UNAVAILABLE', 'The SQL parser is not loaded yet', { retryAfterMs: 1000 });
  let result: { stmts?: { stmt?: Node }[] };
  try {
    result = parseSync(sql) as typeof result;
  } catch (error) {
    const details = (error as { sqlDetails?: { cursorPosition?: number } }).sqlDetails;
    const at = typeof details?.cursorPosition === 'number' ? ` at character ${details.cursorPosition + 1}` : '';
    throw rejected(`syntax error${at}: ${(error as Error).message}`);
  }
  const statements = result.stmts ?? [];
  if (statements.length === 0) throw rejected('the statement is empty');
  if (statements.length > 1) throw rejected(`exactly one statement is allowed, found ${statements.length}`);
  const tree = statements[0]!.stmt ?? {};
  const type = Object.keys(tree)[0] ?? '';
  return { type, body: tree[type] as Node, tree };
}

/**
 * Verdicts on recent read-only statements: agents repeat the same SQL often, and parsing is the
 * largest part of a query's cost inside mcpd (~50 µs). The verdict depends on the text alone.
 */
const readOnlyVerdicts = new LRUCache<string, { checked: CheckedSql } | { refused: McpdError }>({ max: 1000 });
const CACHED_SQL_LENGTH = 4096;

/** Checks a read-only query; throws VALIDATION_ERROR naming the reason. */
export function checkReadOnlySql(sql: string): CheckedSql {
  if (sql.length > CACHED_SQL_LENGTH) return inspectReadOnlySql(sql);
  let verdict = readOnlyVerdicts.get(sql);
  if (!verdict) {
    try {
      verdict = { checked: inspectReadOnlySql(sql) };
    } catch (error) {
      // Only the statement's own refusals are kept (not "the parser is not loaded yet").
      if (!(error instanceof McpdError) || error.code !== 'VALIDATION_ERROR') throw error;
      verdict = { refused: error };
    }
    readOnlyVerdicts.set(sql, verdict);
  }
  if ('refused' in verdict) throw verdict.refused;
  return verdict.checked;
}

function inspectReadOnlySql(sql: string): CheckedSql {
  const { type, tree } = parseOne(sql);
  if (type !== 'SelectStmt') throw rejected(REFUSALS[type] ?? `${type.replace(/Stmt$/, '')} statements are not allowed; only SELECT`);
  const found: Finding = { tables: new Set(), writes: [] };
  inspect(tree, found, undefined);
  if (found.writes.length > 0) throw rejected('data-modifying statements inside a query (e.g. WITH … DELETE) are not allowed');
  if (found.problem) throw rejected(found.problem);
  return { kind: 'select', tables: [...found.tables] };
}

export interface WritePolicy {
  statements: ReadonlySet<WriteKind>;
  /** Allowed target tables (`table` or `schema.table`, lower-case); empty: any. */
  tables: ReadonlySet<string>;
}

/** Checks a write for write mode; throws VALIDATION_ERROR or PERMISSION_DENIED naming the reason. */
export function checkWriteSql(sql: string, policy: WritePolicy): CheckedSql {
  const { type, body, tree } = parseOne(sql);
  const kind = WRITE_NODES[type];
  if (!kind) throw rejected(type === 'SelectStmt' ? 'use the query tool for SELECT' : REFUSALS[type] ?? `${type.replace(/Stmt$/, '')} statements are not allowed`);
  if (!policy.statements.has(kind)) throw new McpdError('PERMISSION_DENIED', `${kind.toUpperCase()} is not enabled for this database`);
  const found: Finding = { tables: new Set(), writes: [] };
  inspect(tree, found, undefined);
  if (found.writes.length > 1) throw rejected('data-modifying statements inside a write (e.g. WITH … DELETE) are not allowed');
  if (found.problem) throw rejected(found.problem);
  const target = tableName(body.relation);
  if (!target) throw rejected('the target table could not be determined');
  if (policy.tables.size > 0 && !tableAllowed(target, policy.tables)) {
    throw new McpdError('PERMISSION_DENIED', `writes to ${target} are not enabled for this database`);
  }
  return { kind, tables: [...found.tables], target };
}

/** `orders` and `public.orders` name the same table in an allowlist. */
function tableAllowed(target: string, allowed: ReadonlySet<string>): boolean {
  if (allowed.has(target)) return true;
  if (!target.includes('.')) return allowed.has(`public.${target}`);
  return target.startsWith('public.') && allowed.has(target.slice('public.'.length));
}
