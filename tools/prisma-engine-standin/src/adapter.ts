import { randomUUID } from "node:crypto";
import { PrismaPg } from "@prisma/adapter-pg";
import {
  bindMigrationAwareSqlAdapterFactory,
  ColumnTypeEnum,
  type SqlDriverAdapter,
  type SqlMigrationAwareDriverAdapterFactory,
  type SqlQueryable,
} from "@prisma/driver-adapter-utils";
import pg from "pg";

const PG_CHAR_OID = 18;
const PG_TEXT_OID = 25;

/** Result rows of queries that returned `"char"` columns, with those columns' positions. */
const charColumnsOfRows = new WeakMap<unknown[], number[]>();

/**
 * The engine's introspection reads catalog columns of type "char" (pg_constraint.contype...),
 * which @prisma/adapter-pg refuses (UnsupportedNativeDataType). The stand-in is a process of its
 * own, so patch node-postgres once: such columns are parsed as text, and remembered so that
 * withCharColumns() can report them to the engine as the Character type it expects.
 */
function parseCharColumnsAsText(): void {
  const result = pg.Result.prototype as unknown as {
    rows: unknown[];
    addFields(fields: { dataTypeID: number }[]): void;
  };
  const addFields = result.addFields;
  result.addFields = function (this: typeof result, fields) {
    const positions = fields.flatMap((field, index) => (field.dataTypeID === PG_CHAR_OID ? [index] : []));
    if (positions.length > 0) {
      for (const index of positions) (fields[index] as { dataTypeID: number }).dataTypeID = PG_TEXT_OID;
      charColumnsOfRows.set(this.rows, positions);
    }
    addFields.call(this, fields);
  };
}

function withCharColumns<T extends SqlQueryable>(queryable: T): T {
  const queryRaw = queryable.queryRaw.bind(queryable);
  queryable.queryRaw = async (query) => {
    const resultSet = await queryRaw(query);
    for (const index of charColumnsOfRows.get(resultSet.rows) ?? []) {
      resultSet.columnTypes[index] = ColumnTypeEnum.Character;
    }
    return resultSet;
  };
  return queryable;
}

/**
 * adapter-pg's executeScript splits the script on ";", which breaks `$$` function bodies and
 * quoted semicolons. PostgreSQL runs a multi-statement simple query as one implicit transaction,
 * which is what migrate expects, so send the script whole. Queries in transactions get the
 * "char" fix too.
 */
function patchAdapter(adapter: SqlDriverAdapter): SqlDriverAdapter {
  adapter.executeScript = async (script: string) => {
    await adapter.executeRaw(sql(script));
  };
  const startTransaction = adapter.startTransaction.bind(adapter);
  adapter.startTransaction = async (isolationLevel) =>
    withCharColumns(await startTransaction(isolationLevel));
  return withCharColumns(adapter);
}

const sql = (text: string) => ({ sql: text, args: [], argTypes: [] });

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/**
 * A throwaway shadow database beside the main one, dropped on dispose. adapter-pg's own
 * connectToShadowDb() creates one but then connects to the main database again (the URL's
 * database wins over the one it sets), which lets `migrate dev` run against real data.
 */
async function connectToThrowawayShadow(main: PrismaPg, url: string): Promise<SqlDriverAdapter> {
  const name = `prisma_migrate_shadow_db_${randomUUID()}`;
  const admin = await main.connect();
  await admin.executeRaw(sql(`CREATE DATABASE "${name}"`));
  const shadow = patchAdapter(await new PrismaPg({ connectionString: withDatabase(url, name) }).connect());
  const dispose = shadow.dispose.bind(shadow);
  shadow.dispose = async () => {
    await dispose();
    await admin.executeRaw(sql(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
    await admin.dispose();
  };
  return shadow;
}

/** A driver-adapter factory for the wasm engine; the shadow database is `shadowDatabaseUrl` if given. */
export function createAdapterFactory(url: string, shadowDatabaseUrl?: string): object {
  parseCharColumnsAsText();
  const main = new PrismaPg({ connectionString: url });
  const factory: SqlMigrationAwareDriverAdapterFactory = {
    provider: main.provider,
    adapterName: main.adapterName,
    connect: async () => patchAdapter(await main.connect()),
    connectToShadowDb: async () =>
      shadowDatabaseUrl
        ? patchAdapter(await new PrismaPg({ connectionString: shadowDatabaseUrl }).connect())
        : connectToThrowawayShadow(main, url),
  };
  return bindMigrationAwareSqlAdapterFactory(factory);
}
