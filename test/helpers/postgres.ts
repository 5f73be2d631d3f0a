/**
 * A throwaway PostgreSQL database per test file on the real server
 * (127.0.0.1:5432, trust auth), dropped at the end.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const PG_ADMIN_URL = process.env.MCPD_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface ThrowawayDatabase {
  name: string;
  url: string;
  /** An admin client connected to the throwaway database. */
  admin: pg.Client;
  drop(): Promise<void>;
}

export async function createThrowawayDatabase(prefix = 'mcpd_test'): Promise<ThrowawayDatabase> {
  const name = `${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`;
  const root = new pg.Client({ connectionString: PG_ADMIN_URL });
  await root.connect();
  await root.query(`CREATE DATABASE ${name}`);
  await root.end();
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  const admin = new pg.Client({ connectionString: url.toString() });
  await admin.connect();
  return {
    name,
    url: url.toString(),
    admin,
    drop: async () => {
      await admin.end().catch(() => {});
      const cleanup = new pg.Client({ connectionString: PG_ADMIN_URL });
      await cleanup.connect();
      await cleanup.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await cleanup.end();
    },
  };
}
