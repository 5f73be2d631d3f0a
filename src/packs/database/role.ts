/**
 * The SQL an operator runs to give mcpd a read-only role: the strongest line
 * of defence, below the parser check and the read-only transaction. Printed by
 * `mcpd db role-sql`.
 */
const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;

export function readOnlyRoleSql(role: string, database: string, schemas: readonly string[] = ['public']): string {
  const r = ident(role);
  const lines = [
    `-- A login role that can read and nothing else. Set its password, then use it in mcpd's DSN.`,
    `CREATE ROLE ${r} LOGIN PASSWORD 'change-me' NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;`,
    `ALTER ROLE ${r} SET default_transaction_read_only = on;`,
    `ALTER ROLE ${r} SET statement_timeout = '30s';`,
    `ALTER ROLE ${r} SET idle_in_transaction_session_timeout = '60s';`,
    `REVOKE ALL ON DATABASE ${ident(database)} FROM ${r};`,
    `GRANT CONNECT ON DATABASE ${ident(database)} TO ${r};`,
  ];
  for (const schema of schemas) {
    const s = ident(schema);
    lines.push(
      `GRANT USAGE ON SCHEMA ${s} TO ${r};`,
      `GRANT SELECT ON ALL TABLES IN SCHEMA ${s} TO ${r};`,
      `ALTER DEFAULT PRIVILEGES IN SCHEMA ${s} GRANT SELECT ON TABLES TO ${r};`,
    );
  }
  lines.push(
    `-- Never grant this role superuser, pg_read_server_files, pg_write_server_files or pg_execute_server_program:`,
    `-- they are what file and program access from SQL needs.`,
  );
  return `${lines.join('\n')}\n`;
}
