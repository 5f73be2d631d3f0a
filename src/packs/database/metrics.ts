/**
 * The pack's metrics: calls and their duration per database, tool and
 * outcome, and the pools' connections (sampled at scrape time).
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { McpdError } from '../../chassis/errors.js';
import type { PgDatabase } from './pg-database.js';

export interface DatabaseObserver {
  observe<T>(database: string, operation: string, work: () => Promise<T>): Promise<T>;
}

export function databaseMetrics(registry: Registry | undefined, databases: () => Iterable<PgDatabase>): DatabaseObserver {
  if (!registry) return { observe: (_database, _operation, work) => work() };
  const calls = new Counter({
    name: 'db_queries_total',
    help: 'Database tool operations by database, operation (query, schema, explain, write) and outcome (ok or an error code).',
    labelNames: ['database', 'operation', 'outcome'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'db_query_duration_seconds',
    help: 'Time of database tool operations, including waiting for a pooled connection.',
    labelNames: ['database', 'operation'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  new Gauge({
    name: 'db_pool_connections',
    help: 'Pooled database connections by state: total (open), idle, waiting (callers queued for one).',
    labelNames: ['database', 'state'],
    registers: [registry],
    collect() {
      this.reset();
      for (const db of databases()) {
        const stats = db.stats;
        this.set({ database: db.name, state: 'total' }, stats.total);
        this.set({ database: db.name, state: 'idle' }, stats.idle);
        this.set({ database: db.name, state: 'waiting' }, stats.waiting);
      }
    },
  });
  return {
    async observe(database, operation, work) {
      const end = duration.startTimer({ database, operation });
      try {
        const value = await work();
        calls.inc({ database, operation, outcome: 'ok' });
        return value;
      } catch (error) {
        calls.inc({ database, operation, outcome: error instanceof McpdError ? error.code : 'INTERNAL' });
        throw error;
      } finally {
        end();
      }
    },
  };
}
