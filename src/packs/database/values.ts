/**
 * JSON-safe values. A result goes to an agent as JSON, so nothing may lose
 * precision or fail to serialise: bigint, numeric, dates and times, bytea,
 * intervals and every type not listed keep PostgreSQL's own text form (exact,
 * and unambiguous about time zones); booleans, small integers, finite floats
 * and JSON are parsed. Applied per query, never to pg's global type table.
 */
import pg from 'pg';

const PARSED: ReadonlySet<number> = new Set([
  16, // bool
  21, // int2
  23, // int4
  26, // oid
  114, // json
  3802, // jsonb
  1000, // bool[]
  1005, // int2[]
  1007, // int4[]
  1009, // text[]
  1015, // varchar[]
  199, // json[]
  3807, // jsonb[]
]);
const FLOATS: ReadonlySet<number> = new Set([700, 701]);

const asText = (value: string) => value;
const finiteOrText = (value: string) => {
  const number = Number(value);
  // NaN and ±Infinity would become null in JSON.
  return Number.isFinite(number) ? number : value;
};

export const JSON_SAFE_TYPES = {
  getTypeParser(oid: number, format?: string) {
    if (format === 'binary') return pg.types.getTypeParser(oid, 'binary');
    if (PARSED.has(oid)) return pg.types.getTypeParser(oid, 'text');
    if (FLOATS.has(oid)) return finiteOrText;
    return asText;
  },
};

const TYPE_NAMES: Record<number, string> = {
  16: 'bool', 17: 'bytea', 18: 'char', 19: 'name', 20: 'int8', 21: 'int2', 23: 'int4', 25: 'text', 26: 'oid',
  114: 'json', 142: 'xml', 700: 'float4', 701: 'float8', 790: 'money', 869: 'inet', 650: 'cidr', 829: 'macaddr',
  1042: 'bpchar', 1043: 'varchar', 1082: 'date', 1083: 'time', 1114: 'timestamp', 1184: 'timestamptz',
  1186: 'interval', 1266: 'timetz', 1560: 'bit', 1562: 'varbit', 1700: 'numeric', 2950: 'uuid', 3802: 'jsonb',
  3614: 'tsvector', 199: 'json[]', 1000: 'bool[]', 1001: 'bytea[]', 1005: 'int2[]', 1007: 'int4[]', 1009: 'text[]',
  1015: 'varchar[]', 1016: 'int8[]', 1021: 'float4[]', 1022: 'float8[]', 1115: 'timestamp[]', 1182: 'date[]',
  1185: 'timestamptz[]', 1231: 'numeric[]', 2951: 'uuid[]', 3807: 'jsonb[]', 2249: 'record', 705: 'unknown',
};

/** A readable type name for a column's type OID (user-defined types show as `oid:N`). */
export function typeName(oid: number): string {
  return TYPE_NAMES[oid] ?? `oid:${oid}`;
}
