import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { INNOCENT_SQL, SQL_ATTACKS } from '../../../test/fixtures/sql-attacks.js';
import { McpdError } from '../../chassis/errors.js';
import { checkReadOnlySql, checkWriteSql, loadSqlParser, type WriteKind } from './sql-guard.js';

before(() => loadSqlParser());

test(`every one of the ${SQL_ATTACKS.length} hostile statements is rejected as a read-only query, with a reason`, () => {
  assert.ok(SQL_ATTACKS.length >= 40);
  for (const attack of SQL_ATTACKS) {
    assert.throws(
      () => checkReadOnlySql(attack.sql),
      (error: unknown) => error instanceof McpdError && error.code === 'VALIDATION_ERROR' && /^SQL rejected: .{8,}/.test(error.message),
      attack.name,
    );
  }
});

test('innocent SQL that keyword filters trip over is allowed', () => {
  for (const sql of INNOCENT_SQL) assert.equal(checkReadOnlySql(sql).kind, 'select', sql);
});

test('reasons name the problem', () => {
  const reason = (sql: string) => {
    try {
      checkReadOnlySql(sql);
      return 'allowed';
    } catch (error) {
      return (error as Error).message;
    }
  };
  assert.match(reason('SELECT 1; SELECT 2'), /exactly one statement is allowed, found 2/);
  assert.match(reason('WITH x AS (DELETE FROM t RETURNING *) SELECT * FROM x'), /data-modifying/);
  assert.match(reason("SELECT pg_catalog.pg_read_file('/x')"), /function pg_catalog\.pg_read_file is not allowed/);
  assert.match(reason("SELECT ('/x'::text).pg_read_file"), /function pg_read_file is not allowed/);
  assert.match(reason('SELECT * FROM t FOR UPDATE'), /locking clauses/);
  assert.match(reason('SELEC 1'), /syntax error at character 1/);
  assert.match(reason('SET ROLE postgres'), /SET, RESET and SET ROLE/);
  assert.match(reason('SELECT * INTO x FROM t'), /INTO creates a table/);
});

test('tables named anywhere in a query are collected', () => {
  const checked = checkReadOnlySql('SELECT * FROM a JOIN s.b ON true WHERE EXISTS (SELECT 1 FROM c)');
  assert.deepEqual(checked.tables.sort(), ['a', 'c', 's.b']);
});

const policy = (statements: WriteKind[], tables: string[] = []) => ({ statements: new Set(statements), tables: new Set(tables) });

test('writes: allowed kinds on allowed tables only, no hidden second write', () => {
  assert.equal(checkWriteSql('INSERT INTO notes (body) VALUES ($1)', policy(['insert'], ['notes'])).target, 'notes');
  assert.equal(checkWriteSql('UPDATE public.notes SET body = $1 WHERE id = $2', policy(['update'], ['notes'])).target, 'public.notes');
  assert.throws(() => checkWriteSql('DELETE FROM notes', policy(['insert'], ['notes'])), /DELETE is not enabled/);
  assert.throws(() => checkWriteSql('INSERT INTO users (name) VALUES ($1)', policy(['insert'], ['notes'])), /writes to users are not enabled/);
  assert.throws(() => checkWriteSql('WITH x AS (DELETE FROM users RETURNING 1) INSERT INTO notes (body) SELECT 1 FROM x', policy(['insert', 'delete'], ['notes'])), /data-modifying/);
  assert.throws(() => checkWriteSql('INSERT INTO notes (body) VALUES (pg_read_file($1))', policy(['insert'])), /pg_read_file/);
  assert.throws(() => checkWriteSql('SELECT 1', policy(['insert'])), /use the query tool/);
  assert.throws(() => checkWriteSql('DROP TABLE notes', policy(['insert', 'update', 'delete'])), /not allowed/);
  assert.throws(() => checkWriteSql('INSERT INTO notes VALUES (1); DROP TABLE notes', policy(['insert'])), /exactly one statement/);
});

test('verdicts are remembered by text: a repeated refusal is the same refusal, a repeated query the same result', async () => {
  await loadSqlParser();
  const attack = 'SELECT 1; DROP TABLE t';
  const first = (() => {
    try {
      checkReadOnlySql(attack);
    } catch (error) {
      return error;
    }
  })();
  assert.throws(() => checkReadOnlySql(attack), (error) => error === first);
  assert.deepEqual(checkReadOnlySql('SELECT * FROM a JOIN b USING (id)'), checkReadOnlySql('SELECT * FROM a JOIN b USING (id)'));
  // Long statements are checked every time (not kept), with the same rules.
  const long = `SELECT 1 AS x${' '.repeat(5000)}; DELETE FROM t`;
  assert.throws(() => checkReadOnlySql(long), /exactly one statement/);
});
