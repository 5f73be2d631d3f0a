/**
 * Functions a read-only query must never call — the one reviewed list. Names
 * are compared lower-case without schema (a `pg_catalog.` prefix or a quoted
 * spelling changes nothing). Families are matched by prefix.
 *
 * Why each family: they read or write server files, open network connections,
 * change session or server state, take locks that outlive the query, stall a
 * connection, or run SQL text of their own (which would bypass this check).
 * The read-only transaction and a read-only role stay as the next lines of
 * defence for anything user-defined.
 */

/** Exact names. */
export const DENIED_FUNCTIONS: ReadonlySet<string> = new Set([
  // server files
  'pg_read_file', 'pg_read_binary_file', 'pg_stat_file', 'pg_ls_dir', 'pg_file_write', 'pg_file_rename',
  'pg_file_unlink', 'pg_file_sync', 'pg_logdir_ls', 'pg_current_logfile',
  // large objects (read/write server-side objects and files)
  'loread', 'lowrite',
  // session and server state
  'set_config', 'pg_reload_conf', 'pg_rotate_logfile', 'pg_promote', 'pg_switch_wal', 'pg_switch_xlog',
  'pg_create_restore_point', 'pg_start_backup', 'pg_stop_backup', 'pg_backup_start', 'pg_backup_stop',
  'pg_log_backend_memory_contexts', 'pg_import_system_collations', 'pg_wal_replay_pause', 'pg_wal_replay_resume',
  'pg_notify', 'pg_terminate_backend', 'pg_cancel_backend', 'pg_log_standby_snapshot',
  'nextval', 'setval', 'txid_current', 'pg_current_xact_id',
  // SQL text executed by the function itself
  'query_to_xml', 'query_to_xmlschema', 'query_to_xml_and_xmlschema', 'cursor_to_xml', 'cursor_to_xmlschema',
  'table_to_xml', 'table_to_xmlschema', 'table_to_xml_and_xmlschema', 'schema_to_xml', 'schema_to_xmlschema',
  'schema_to_xml_and_xmlschema', 'database_to_xml', 'database_to_xmlschema', 'database_to_xml_and_xmlschema',
  'ts_stat', 'ts_rewrite', // their query-text argument runs as SQL (ts_stat('SELECT …'))
  // stalls
  'pg_sleep', 'pg_sleep_for', 'pg_sleep_until',
]);

/** Name prefixes of whole families. */
export const DENIED_PREFIXES: readonly string[] = [
  'lo_', // large objects: lo_import / lo_export read and write server files
  'dblink', // network connections to other servers
  'pg_advisory', 'pg_try_advisory', // locks that outlive the statement
  'pg_ls_', // directory listings of the server
  'pg_read_', // file reads
  'pg_file_', // adminpack file writes
  'pg_stat_reset', // statistics resets
  'pg_replication_', 'pg_create_', 'pg_drop_', 'pg_copy_', // replication slots and origins
  'pg_logical_', // logical decoding and messages
];

export function isDeniedFunction(name: string): boolean {
  const lower = name.toLowerCase();
  return DENIED_FUNCTIONS.has(lower) || DENIED_PREFIXES.some((prefix) => lower.startsWith(prefix));
}
