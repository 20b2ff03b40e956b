import type {
  SqlDriverAdapter,
  SqlDriverAdapterFactory,
  SqlQuery,
  SqlQueryable,
  Transaction,
} from '@prisma/driver-adapter-utils';

export type StatementListener = (sql: string) => void;

function wrapQueryable<T extends SqlQueryable>(target: T, listener: StatementListener): T {
  return new Proxy(target, {
    get(obj, prop, receiver) {
      if (prop === 'queryRaw' || prop === 'executeRaw') {
        return (query: SqlQuery) => {
          listener(query.sql);
          return obj[prop](query);
        };
      }
      if (prop === 'startTransaction') {
        return async (...args: Parameters<SqlDriverAdapter['startTransaction']>) =>
          wrapQueryable<Transaction>(await (obj as unknown as SqlDriverAdapter).startTransaction(...args), listener);
      }
      const value = Reflect.get(obj, prop, receiver);
      return typeof value === 'function' ? value.bind(obj) : value;
    },
  });
}

/** Wraps a driver adapter so every statement Prisma sends is reported. */
export function countStatements(
  factory: SqlDriverAdapterFactory,
  listener: StatementListener,
): SqlDriverAdapterFactory {
  return new Proxy(factory, {
    get(obj, prop, receiver) {
      if (prop === 'connect') {
        return async () => wrapQueryable(await obj.connect(), listener);
      }
      const value = Reflect.get(obj, prop, receiver);
      return typeof value === 'function' ? value.bind(obj) : value;
    },
  });
}
