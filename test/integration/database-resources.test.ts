/**
 * Schema discovery as resources (src/packs/database/resources.ts) against the
 * real PostgreSQL (a throwaway database), through the real mcpd and the
 * official SDK client, in both protocol eras: resources/list and
 * resources/templates/list, the schemas document, a schema's listing (bounded),
 * a table described, misses as the protocol's resource-not-found error, names
 * with quotes, dots, slashes and percent signs, and completion.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Client, ProtocolError, ResourceNotFoundError, StreamableHTTPClientTransport, UriTemplate } from '@modelcontextprotocol/client';
import { CompleteResultSchema, ReadResourceResultSchema } from '@modelcontextprotocol/core';
import { startMcpd, testConfig, type StartedMcpd } from '../helpers/chassis.js';
import { createThrowawayDatabase, type ThrowawayDatabase } from '../helpers/postgres.js';
import { statelessPost } from '../helpers/server.js';
import {
  COMPLETION_LIMIT,
  SCHEMA_OBJECTS_LIMIT,
  SCHEMA_TEMPLATE,
  TABLE_TEMPLATE,
  tableUri,
} from '../../src/packs/database/resources.js';

const T = { timeout: 30_000 };
const REQUEST = { timeout: 10_000 } as const;

/** Names a careless implementation would splice into SQL or split on `.` and `/`. */
const ODD_SCHEMA = 'we"ird.schema/x';
const ODD_TABLE = `odd "name"; DROP TABLE customers;--`;
const DOTTED_TABLE = '100%_done.v2 é';
const BACKSLASH_TABLE = 'back\\slash';

const ERAS = [
  { label: '2025-11-25 sessionful', legacy: true, negotiation: { mode: 'legacy' } as const },
  { label: '2026-07-28 stateless', legacy: false, negotiation: { mode: { pin: '2026-07-28' } } as const },
];

type Json = any;

async function connect(url: string, negotiation: (typeof ERAS)[number]['negotiation']) {
  const client = new Client({ name: 'mcpd-db-resources', version: '1.0.0' }, { capabilities: {}, versionNegotiation: negotiation });
  const transport = new StreamableHTTPClientTransport(new URL(url));
  await client.connect(transport, { timeout: 5_000 });
  return { client, transport };
}

async function readJson(client: Client, uri: string): Promise<Json> {
  const result = await client.readResource({ uri }, REQUEST);
  ReadResourceResultSchema.parse(result);
  assert.equal(result.contents.length, 1);
  const [content] = result.contents as { uri: string; mimeType?: string; text?: string }[];
  assert.equal(content!.uri, uri);
  assert.equal(content!.mimeType, 'application/json');
  return JSON.parse(content!.text!);
}

async function failure(promise: Promise<unknown>): Promise<any> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  assert.fail('expected the request to fail');
}

const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;

describe('database resources on PostgreSQL, through the official SDK client', () => {
  let db: ThrowawayDatabase;
  let app: StartedMcpd;

  before(async () => {
    db = await createThrowawayDatabase('mcpd_res');
    const odd = quoteIdent(ODD_SCHEMA);
    await db.admin.query(`
      CREATE TABLE customers (id serial PRIMARY KEY, email text NOT NULL UNIQUE, name text DEFAULT 'anon');
      COMMENT ON TABLE customers IS 'people who buy';
      COMMENT ON COLUMN customers.email IS 'login address';
      CREATE TABLE orders (id bigserial PRIMARY KEY, customer_id int NOT NULL REFERENCES customers (id), total numeric(10, 2) CHECK (total >= 0));
      CREATE INDEX orders_customer_idx ON orders (customer_id);
      CREATE VIEW big_orders AS SELECT * FROM orders WHERE total > 100;
      CREATE TABLE mcpd_alpha (id int);
      CREATE TABLE mcpdxalpha (id int);
      INSERT INTO customers (email) VALUES ('ada@example.com');
      CREATE SCHEMA ${odd};
      COMMENT ON SCHEMA ${odd} IS 'names that need quoting';
      CREATE TABLE ${odd}.${quoteIdent(ODD_TABLE)} (${quoteIdent('col "q"')} int PRIMARY KEY);
      COMMENT ON TABLE ${odd}.${quoteIdent(ODD_TABLE)} IS 'still just a table';
      CREATE TABLE ${odd}.${quoteIdent(DOTTED_TABLE)} (v text);
      CREATE TABLE ${odd}.${quoteIdent(BACKSLASH_TABLE)} (v text);
      -- A decoy: a table named like the dotted one's prefix in a schema named like its schema's prefix.
      CREATE SCHEMA "we""ird";
      CREATE TABLE "we""ird"."schema/x" (decoy int);
      CREATE SCHEMA empty_one;
      CREATE SCHEMA many;
      DO $$ BEGIN FOR i IN 1..${SCHEMA_OBJECTS_LIMIT + 5} LOOP EXECUTE format('CREATE TABLE many.t%s (id int)', lpad(i::text, 3, '0')); END LOOP; END $$;
    `);
    app = await startMcpd(testConfig({ database: { dsn: db.url, dsns: { analytics: db.url }, databases: { main: { description: 'the shop' } } } }));
  });
  after(async () => {
    await app?.shutdown();
    await db?.drop();
  });

  for (const era of ERAS) {
    describe(era.label, () => {
      let client: Client;
      let transport: StreamableHTTPClientTransport;
      before(async () => {
        ({ client, transport } = await connect(app.url, era.negotiation));
        assert.equal(client.getProtocolEra(), era.legacy ? 'legacy' : 'modern');
      });
      after(async () => {
        if (transport?.sessionId) await transport.terminateSession().catch(() => {});
        await client?.close();
      });

      test('resources/list has one schemas document per database; resources/templates/list the schema and table templates', T, async () => {
        const { resources } = await client.listResources(undefined, REQUEST);
        const mine = resources.filter((r) => r.uri.startsWith('db://'));
        assert.deepEqual(mine.map((r) => r.uri), ['db://main/schemas', 'db://analytics/schemas']);
        for (const resource of mine) assert.equal(resource.mimeType, 'application/json');
        assert.match(mine[0]!.description!, /the shop/);
        const { resourceTemplates } = await client.listResourceTemplates(undefined, REQUEST);
        const templates = resourceTemplates.filter((t) => t.uriTemplate.startsWith('db://'));
        assert.deepEqual(templates.map((t) => t.uriTemplate), [SCHEMA_TEMPLATE, TABLE_TEMPLATE]);
        for (const template of templates) {
          assert.equal(template.mimeType, 'application/json');
          assert.ok(template.description);
        }
      });

      test('the schemas document: user schemas with object counts and comments, each linking to its listing', T, async () => {
        const doc = await readJson(client, 'db://main/schemas');
        assert.equal(doc.database, 'main');
        const byName = new Map(doc.schemas.map((s: Json) => [s.schema, s]));
        assert.deepEqual([...byName.keys()].sort(), ['empty_one', 'many', 'public', ODD_SCHEMA, 'we"ird'].sort(), 'no system schemas');
        assert.equal((byName.get('public') as Json).objects, 5);
        assert.equal((byName.get('many') as Json).objects, SCHEMA_OBJECTS_LIMIT + 5);
        assert.equal((byName.get(ODD_SCHEMA) as Json).comment, 'names that need quoting');
        assert.equal((byName.get(ODD_SCHEMA) as Json).uri, `db://main/schemas/${encodeURIComponent(ODD_SCHEMA)}`);
        // The other name of the same database answers under its own name.
        assert.equal((await readJson(client, 'db://analytics/schemas')).database, 'analytics');
      });

      test('a schema listing: tables and views in name order, each with the URI of its description', T, async () => {
        const listing = await readJson(client, 'db://main/schemas/public');
        assert.equal(listing.truncated, false);
        assert.deepEqual(
          listing.objects.map((o: Json) => [o.name, o.kind]),
          [['big_orders', 'view'], ['customers', 'table'], ['mcpd_alpha', 'table'], ['mcpdxalpha', 'table'], ['orders', 'table']],
        );
        const customers = listing.objects.find((o: Json) => o.name === 'customers');
        assert.equal(customers.comment, 'people who buy');
        assert.equal(customers.uri, 'db://main/tables/public/customers');
        assert.equal((await readJson(client, customers.uri)).name, 'customers');
      });

      test('a schema listing is bounded: the first SCHEMA_OBJECTS_LIMIT, flagged truncated', T, async () => {
        const listing = await readJson(client, 'db://main/schemas/many');
        assert.equal(listing.objects.length, SCHEMA_OBJECTS_LIMIT);
        assert.equal(listing.truncated, true);
        assert.equal(listing.objects[0].name, 't001');
        assert.equal(listing.objects.at(-1).name, `t${String(SCHEMA_OBJECTS_LIMIT).padStart(3, '0')}`);
      });

      test('a table described: columns, types, defaults, nullability, comments, keys, checks, indexes', T, async () => {
        const customers = await readJson(client, 'db://main/tables/public/customers');
        assert.equal(customers.database, 'main');
        assert.equal(customers.schema, 'public');
        assert.equal(customers.kind, 'table');
        assert.equal(customers.comment, 'people who buy');
        assert.deepEqual(
          customers.columns.map((c: Json) => [c.name, c.type, c.nullable]),
          [['id', 'integer', false], ['email', 'text', false], ['name', 'text', true]],
        );
        assert.match(customers.columns[0].default, /^nextval\('customers_id_seq'::regclass\)$/);
        assert.equal(customers.columns[1].comment, 'login address');
        assert.equal(customers.columns[2].default, "'anon'::text");
        assert.deepEqual(customers.constraints.map((c: Json) => c.kind).sort(), ['primary key', 'unique']);
        assert.ok(customers.indexes.some((i: Json) => i.primary && i.definition.includes('(id)')));
        assert.ok(customers.indexes.some((i: Json) => i.unique && !i.primary && i.definition.includes('(email)')));

        const orders = await readJson(client, 'db://main/tables/public/orders');
        const fk = orders.constraints.find((c: Json) => c.kind === 'foreign key');
        assert.equal(fk.definition, 'FOREIGN KEY (customer_id) REFERENCES customers(id)');
        assert.ok(orders.constraints.some((c: Json) => c.kind === 'check' && c.definition.includes('total >= ')));
        assert.ok(orders.indexes.some((i: Json) => i.name === 'orders_customer_idx'));
        assert.equal(orders.columns.find((c: Json) => c.name === 'total').type, 'numeric(10,2)');

        const view = await readJson(client, 'db://main/tables/public/big_orders');
        assert.equal(view.kind, 'view');
        assert.deepEqual(view.indexes, []);
      });

      test('misses are the protocol’s resource-not-found error, the same as for a URI nothing serves', T, async () => {
        const baseline = await failure(client.readResource({ uri: 'db://main/nothing-here' }, REQUEST));
        // 2025: -32002 with data.uri, which the SDK turns into ResourceNotFoundError; 2026: -32602 (data also carries errorCode).
        assert.equal(ResourceNotFoundError.isInstance(baseline), era.legacy);
        const misses = {
          table: tableUri('main', 'public', 'nope'),
          schema: tableUri('main', 'no_such_schema', 'customers'),
          listing: 'db://main/schemas/no_such_schema',
          database: tableUri('nope', 'public', 'customers'),
          system: tableUri('main', 'public', 'pg_class'),
        };
        for (const [what, uri] of Object.entries(misses)) {
          const error = await failure(client.readResource({ uri }, REQUEST));
          assert.ok(ProtocolError.isInstance(error), `${what}: ${String(error)}`);
          assert.equal(error.code, baseline.code, what);
          assert.equal(ResourceNotFoundError.isInstance(error), ResourceNotFoundError.isInstance(baseline), what);
          assert.equal((error.data as { uri?: string }).uri, uri, what);
          assert.match(error.message, /^(MCP error -?\d+: )?No (table or view|schema|database)/, what);
        }
        // An empty schema is not a missing one.
        assert.deepEqual((await readJson(client, 'db://main/schemas/empty_one')).objects, []);
      });

      test('names with quotes, dots, slashes, percent signs and non-ASCII: one URI segment each, bound parameters only', T, async () => {
        const before = await db.admin.query('SELECT count(*)::int AS n FROM customers');
        const template = new UriTemplate(TABLE_TEMPLATE);
        const oddUri = template.expand({ database: 'main', schema: ODD_SCHEMA, table: ODD_TABLE });
        assert.equal(oddUri, tableUri('main', ODD_SCHEMA, ODD_TABLE), 'the SDK expands the template as the server links it');
        const odd = await readJson(client, oddUri);
        assert.equal(odd.schema, ODD_SCHEMA);
        assert.equal(odd.name, ODD_TABLE);
        assert.equal(odd.comment, 'still just a table');
        assert.deepEqual(odd.columns.map((c: Json) => c.name), ['col "q"']);
        assert.ok(odd.constraints.some((c: Json) => c.kind === 'primary key'));

        // A dot in the table name and in the schema name: never re-split.
        const dotted = await readJson(client, template.expand({ database: 'main', schema: ODD_SCHEMA, table: DOTTED_TABLE }));
        assert.equal(dotted.name, DOTTED_TABLE);
        assert.deepEqual(dotted.columns.map((c: Json) => c.name), ['v']);

        // The listing of the odd schema links to both.
        const listing = await readJson(client, `db://main/schemas/${encodeURIComponent(ODD_SCHEMA)}`);
        assert.deepEqual(listing.objects.map((o: Json) => o.name), [DOTTED_TABLE, BACKSLASH_TABLE, ODD_TABLE]);
        for (const object of listing.objects) assert.equal((await readJson(client, object.uri)).name, object.name);

        // An unescaped slash splits segments: no template matches, so the decoy is never read either.
        const raw = await failure(client.readResource({ uri: `db://main/tables/we"ird/schema/x` }, REQUEST));
        assert.ok(ProtocolError.isInstance(raw));
        // SQL-looking names are only ever data.
        const injected = await failure(client.readResource({ uri: tableUri('main', 'public', "customers' OR '1'='1") }, REQUEST));
        assert.equal(injected.data.uri, tableUri('main', 'public', "customers' OR '1'='1"));
        assert.deepEqual((await db.admin.query('SELECT count(*)::int AS n FROM customers')).rows, before.rows);
      });

      test('completion of {database}, {schema} and {table}: prefix-based, bounded, LIKE wildcards taken literally', T, async () => {
        const complete = async (uri: string, name: string, value: string, args?: Record<string, string>) => {
          const result = await client.complete({ ref: { type: 'ref/resource', uri }, argument: { name, value }, ...(args ? { context: { arguments: args } } : {}) }, REQUEST);
          CompleteResultSchema.parse(result);
          return result.completion;
        };
        assert.deepEqual((await complete(TABLE_TEMPLATE, 'database', 'a')).values, ['analytics']);
        assert.deepEqual((await complete(TABLE_TEMPLATE, 'database', '')).values, ['main', 'analytics']);
        assert.deepEqual((await complete(SCHEMA_TEMPLATE, 'schema', 'WE', { database: 'main' })).values, ['we"ird', ODD_SCHEMA]);
        assert.deepEqual((await complete(TABLE_TEMPLATE, 'schema', 'pub')).values, ['public'], 'the first database by default');
        assert.deepEqual((await complete(TABLE_TEMPLATE, 'table', 'cust', { database: 'main', schema: 'public' })).values, ['customers']);
        assert.deepEqual((await complete(TABLE_TEMPLATE, 'table', 'mcpd_', { database: 'main', schema: 'public' })).values, ['mcpd_alpha'], '_ is not a wildcard');
        assert.deepEqual((await complete(TABLE_TEMPLATE, 'table', '100%', { database: 'main' })).values, [DOTTED_TABLE], '% is not a wildcard');
        assert.deepEqual((await complete(TABLE_TEMPLATE, 'table', 'odd "name"; ', { schema: ODD_SCHEMA })).values, [ODD_TABLE]);
        assert.deepEqual((await complete(TABLE_TEMPLATE, 'table', 'back\\', { schema: ODD_SCHEMA })).values, [BACKSLASH_TABLE], '\\ is not an escape');
        const many = await complete(TABLE_TEMPLATE, 'table', 't', { database: 'analytics', schema: 'many' });
        assert.equal(many.values.length, COMPLETION_LIMIT);
        assert.equal(many.hasMore, true);
        assert.deepEqual((await complete(TABLE_TEMPLATE, 'table', 'cust', { database: 'nope' })).values, [], 'an unknown database completes nothing');
      });
    });
  }

  test('the 2026-07-28 wire: a miss is -32602 with data.uri and errorCode NOT_FOUND', T, async () => {
    const uri = tableUri('main', 'public', 'nope');
    const response = await statelessPost(app.url, 'resources/read', { uri });
    assert.equal(response.json.error.code, -32602);
    assert.deepEqual(response.json.error.data, { uri, errorCode: 'NOT_FOUND' });
    assert.equal(response.json.error.message, 'No table or view public.nope in database main');
  });
});
