import { createRequire } from 'node:module';

// Decides, with PostgreSQL's own parser (libpg_query, compiled to WebAssembly),
// whether a SQL statement reads or writes tenant rows of one project only.
// That is the promise the schema makes to a distributed database: each
// project's rows live on one shard, so every statement must say which project
// it is about. Regular expressions cannot tell a filter inside an OR from one
// that constrains the rows; a parse tree can.
//
// The rule, per statement:
// - every reference to a tenant table in a SELECT, UPDATE or DELETE has its
//   "projectId" tied, through equalities in WHERE or JOIN … ON conjuncts
//   (never under OR or NOT), to a parameter or a literal;
// - an INSERT into a tenant table names the "projectId" column (its SELECT
//   part, if any, is checked like any other);
// - any other statement (TRUNCATE, COPY, DDL …) that names a tenant table is a
//   violation: migrations run on their own connection and are not recorded.
// Equalities are followed through subqueries and CTEs: `x."projectId" = $1` on
// a subquery whose output column is `e."projectId"` ties e's column too.

const require = createRequire(import.meta.url);
// The package's CommonJS entry; its ESM entry needs a bundler for the .wasm file.
const pgQuery = require('libpg-query') as {
  loadModule(): Promise<void>;
  parseSync(sql: string): { stmts: { stmt: Node }[] };
};

let loaded: Promise<void> | undefined;
/** Loads the parser (once); call before checkTenantScope. */
export function loadSqlParser(): Promise<void> {
  return (loaded ??= pgQuery.loadModule());
}

// The parse tree is plain JSON: every node is { TypeName: { …fields } }.
type Node = Record<string, any>;

/** The class of parameters and literals: a column tied to it holds one known value. */
const PINNED = 0;
/** The class of `IN ($1, $2, …)` lists of parameters: a column tied to it holds one of several values. */
const LISTED = 1;

class UnionFind {
  private parent: number[] = [PINNED, LISTED];
  add(): number {
    this.parent.push(this.parent.length);
    return this.parent.length - 1;
  }
  find(x: number): number {
    let root = x;
    while (this.parent[root] !== root) root = this.parent[root]!;
    // Path compression: point everything on the way at the root.
    while (this.parent[x] !== root) [this.parent[x], x] = [root, this.parent[x]!];
    return root;
  }
  union(a: number, b: number): void {
    this.parent[this.find(a)] = this.find(b);
  }
}

/** One name visible in a FROM clause: a tenant table, a subquery or CTE (with its projectId output), or anything else. */
interface Entry {
  name: string;
  /** The node of this entry's "projectId" column, when it has one that we track. */
  projectId?: number;
}

interface Scope {
  entries: Entry[];
  ctes: Map<string, number | undefined>;
  parent?: Scope;
}

export type ViolationKind =
  /** A tenant table whose projectId is not tied to a parameter or literal. */
  | 'unscoped'
  /** projectId tied only to `IN ($1, $2, …)`: one of several values, which the parser cannot prove equal. */
  | 'parameter-list'
  /** An INSERT into a tenant table without the projectId column. */
  | 'insert'
  /** A statement kind the check does not model (TRUNCATE, COPY, …) naming a tenant table. */
  | 'statement';

export interface Violation {
  kind: ViolationKind;
  table: string;
  message: string;
}

export interface ScopeReport {
  /** Tenant tables touched by the statement. */
  tables: string[];
  /** Why the statement is not scoped to one project (empty when it is). */
  violations: Violation[];
}

/** Checks one SQL text (possibly several statements) against the tenant-table set. */
export function checkTenantScope(sql: string, tenantTables: ReadonlySet<string>): ScopeReport {
  const parsed = pgQuery.parseSync(sql);
  const report: ScopeReport = { tables: [], violations: [] };
  for (const { stmt } of parsed.stmts) new StatementCheck(tenantTables, report).statement(stmt);
  report.tables = [...new Set(report.tables)].sort();
  return report;
}

class StatementCheck {
  private uf = new UnionFind();
  /** Tenant table references, with the node of their projectId column. */
  private references: { table: string; node: number }[] = [];
  /** RangeVar objects the scope walk understood; any other tenant RangeVar is a violation. */
  private understood = new Set<Node>();

  constructor(
    private tenantTables: ReadonlySet<string>,
    private report: ScopeReport,
  ) {}

  statement(wrapped: Node): void {
    const [kind, stmt] = Object.entries(wrapped)[0] as [string, Node];
    if (kind === 'SelectStmt') this.select(stmt, undefined);
    else if (kind === 'InsertStmt') this.insert(stmt);
    else if (kind === 'UpdateStmt' || kind === 'DeleteStmt') this.updateOrDelete(kind, stmt);
    this.finish(wrapped);
  }

  private finish(wrapped: Node): void {
    for (const ref of this.references) {
      this.report.tables.push(ref.table);
      const root = this.uf.find(ref.node);
      if (root === this.uf.find(PINNED)) continue;
      if (root === this.uf.find(LISTED))
        this.violation('parameter-list', ref.table, 'is scoped by "projectId" IN (<parameters>)');
      else this.violation('unscoped', ref.table, 'is read or changed without "projectId" = <parameter>');
    }
    for (const rangeVar of tableReferences(wrapped)) {
      if (!this.isTenant(rangeVar) || this.understood.has(rangeVar)) continue;
      this.report.tables.push(rangeVar.relname);
      this.violation('statement', rangeVar.relname, 'appears in a statement the scope check does not understand');
    }
  }

  private violation(kind: ViolationKind, table: string, what: string): void {
    this.report.violations.push({ kind, table, message: `"${table}" ${what}` });
  }

  private isTenant(rangeVar: Node): boolean {
    return (rangeVar.schemaname ?? 'public') === 'public' && this.tenantTables.has(rangeVar.relname);
  }

  private tenantReference(rangeVar: Node): number {
    const node = this.uf.add();
    this.understood.add(rangeVar);
    this.references.push({ table: rangeVar.relname, node });
    return node;
  }

  private insert(stmt: Node): void {
    const scope: Scope = { entries: [], ctes: new Map() };
    if (stmt.withClause) this.ctes(stmt.withClause, scope);
    const relation = stmt.relation as Node;
    if (this.isTenant(relation)) {
      this.understood.add(relation);
      this.report.tables.push(relation.relname);
      const columns = (stmt.cols ?? []).map((c: Node) => c.ResTarget.name);
      if (!columns.includes('projectId'))
        this.violation('insert', relation.relname, 'gets an INSERT without "projectId"');
    }
    if (stmt.selectStmt?.SelectStmt) this.select(stmt.selectStmt.SelectStmt, scope);
    // ON CONFLICT … DO UPDATE and RETURNING only see the inserted row.
    this.subLinks([stmt.onConflictClause, stmt.returningList], scope);
  }

  private updateOrDelete(kind: string, stmt: Node): void {
    const scope: Scope = { entries: [], ctes: new Map() };
    if (stmt.withClause) this.ctes(stmt.withClause, scope);
    const relation = stmt.relation as Node;
    const name = relation.alias?.aliasname ?? relation.relname;
    scope.entries.push({ name, projectId: this.isTenant(relation) ? this.tenantReference(relation) : undefined });
    const conjuncts: Node[] = [];
    for (const item of (kind === 'UpdateStmt' ? stmt.fromClause : stmt.usingClause) ?? [])
      this.fromItem(item, scope, conjuncts);
    this.conjuncts(stmt.whereClause, conjuncts);
    for (const c of conjuncts) this.equality(c, scope);
    this.subLinks([stmt.targetList, stmt.whereClause, stmt.returningList], scope);
  }

  private ctes(withClause: Node, scope: Scope): void {
    for (const { CommonTableExpr: cte } of withClause.ctes) {
      const query = cte.ctequery.SelectStmt;
      // A CTE that changes data (WITH x AS (INSERT …)) is a statement of its own.
      if (!query) {
        this.statementInScope(cte.ctequery);
        scope.ctes.set(cte.ctename, undefined);
        continue;
      }
      scope.ctes.set(cte.ctename, this.select(query, scope));
    }
  }

  private statementInScope(wrapped: Node): void {
    const [kind, stmt] = Object.entries(wrapped)[0] as [string, Node];
    if (kind === 'InsertStmt') this.insert(stmt);
    else if (kind === 'UpdateStmt' || kind === 'DeleteStmt') this.updateOrDelete(kind, stmt);
    else if (kind === 'SelectStmt') this.select(stmt, undefined);
  }

  /** Checks a SELECT; returns the node of its output column "projectId", if it has one. */
  private select(stmt: Node, parent: Scope | undefined): number | undefined {
    if (stmt.op && stmt.op !== 'SETOP_NONE') {
      const scope: Scope = { entries: [], ctes: new Map(), parent };
      if (stmt.withClause) this.ctes(stmt.withClause, scope);
      const left = this.select(stmt.larg, scope);
      const right = this.select(stmt.rarg, scope);
      // Both arms must pin their own rows; the union's projectId column is pinned only if both are.
      if (left === undefined || right === undefined) return undefined;
      const pinned = this.uf.find(left) === this.uf.find(PINNED) && this.uf.find(right) === this.uf.find(PINNED);
      return pinned ? PINNED : this.uf.add();
    }
    const scope: Scope = { entries: [], ctes: new Map(), parent };
    if (stmt.withClause) this.ctes(stmt.withClause, scope);
    const conjuncts: Node[] = [];
    for (const item of stmt.fromClause ?? []) this.fromItem(item, scope, conjuncts);
    this.conjuncts(stmt.whereClause, conjuncts);
    for (const c of conjuncts) this.equality(c, scope);
    this.subLinks(
      [stmt.targetList, stmt.whereClause, stmt.havingClause, stmt.groupClause, stmt.sortClause, stmt.valuesLists],
      scope,
    );
    return this.outputProjectId(stmt, scope);
  }

  private outputProjectId(stmt: Node, scope: Scope): number | undefined {
    for (const target of stmt.targetList ?? []) {
      const { name, val } = target.ResTarget as Node;
      const column = val?.ColumnRef ? columnName(val.ColumnRef) : undefined;
      if ((name ?? column) !== 'projectId') continue;
      return this.operand(val, scope);
    }
    return undefined;
  }

  private fromItem(item: Node, scope: Scope, conjuncts: Node[]): void {
    if (item.RangeVar) {
      const rangeVar = item.RangeVar;
      const name = rangeVar.alias?.aliasname ?? rangeVar.relname;
      if (!rangeVar.schemaname && lookupCte(scope, rangeVar.relname)) {
        this.understood.add(rangeVar);
        scope.entries.push({ name, projectId: lookupCte(scope, rangeVar.relname)!.node });
      } else if (this.isTenant(rangeVar)) {
        scope.entries.push({ name, projectId: this.tenantReference(rangeVar) });
      } else {
        scope.entries.push({ name });
      }
    } else if (item.JoinExpr) {
      const join = item.JoinExpr;
      this.fromItem(join.larg, scope, conjuncts);
      this.fromItem(join.rarg, scope, conjuncts);
      this.conjuncts(join.quals, conjuncts);
      this.subLinks([join.quals], scope);
      if (join.alias) scope.entries.push({ name: join.alias.aliasname });
    } else if (item.RangeSubselect) {
      const sub = item.RangeSubselect;
      // A LATERAL subquery sees the FROM items before it.
      const projectId = this.select(sub.subquery.SelectStmt, sub.lateral ? scope : scope.parent);
      scope.entries.push({ name: sub.alias?.aliasname ?? '', projectId });
    } else if (item.RangeFunction) {
      this.subLinks([item.RangeFunction.functions], scope);
      scope.entries.push({ name: item.RangeFunction.alias?.aliasname ?? '' });
    }
  }

  /** The top-level AND terms of a condition: only they constrain every row. */
  private conjuncts(expr: Node | undefined, into: Node[]): void {
    if (!expr) return;
    if (expr.BoolExpr?.boolop === 'AND_EXPR') for (const arg of expr.BoolExpr.args) this.conjuncts(arg, into);
    else into.push(expr);
  }

  private equality(expr: Node, scope: Scope): void {
    if (expr.BoolExpr?.boolop === 'OR_EXPR') return this.alternatives(expr.BoolExpr.args, scope);
    const op = expr.A_Expr;
    if (!op || op.name?.[0]?.String?.sval !== '=') return;
    if (op.kind === 'AEXPR_OP') {
      // (a, b) = ($1, $2), as Prisma writes compound keys: pairwise equalities.
      const leftRow = op.lexpr?.RowExpr?.args;
      const rightRow = op.rexpr?.RowExpr?.args;
      if (leftRow && rightRow && leftRow.length === rightRow.length) {
        leftRow.forEach((l: Node, i: number) => this.unite(l, rightRow[i], scope));
      } else {
        this.unite(op.lexpr, op.rexpr, scope);
      }
    } else if (op.kind === 'AEXPR_IN' && op.rexpr?.List?.items?.length === 1) {
      // x IN ($1) is x = $1 (Prisma writes lookups by key this way).
      this.unite(op.lexpr, op.rexpr.List.items[0], scope);
    } else if (op.kind === 'AEXPR_IN' && op.rexpr?.List?.items?.every((item: Node) => item.ParamRef)) {
      const column = this.operand(op.lexpr, scope);
      if (column !== undefined) this.uf.union(column, LISTED);
    }
  }

  /**
   * (a = $1 AND …) OR (a = $2 AND …), as Prisma writes a batch of lookups by
   * key: a column that every arm ties to a parameter holds one of several values.
   */
  private alternatives(arms: Node[], scope: Scope): void {
    let common: Set<number> | undefined;
    for (const arm of arms) {
      const terms: Node[] = [];
      this.conjuncts(arm, terms);
      const pinned = new Set<number>();
      for (const term of terms) {
        const op = term.A_Expr;
        if (op?.kind !== 'AEXPR_OP' || op.name?.[0]?.String?.sval !== '=') continue;
        const pairs: [Node, Node][] =
          op.lexpr?.RowExpr && op.rexpr?.RowExpr
            ? op.lexpr.RowExpr.args.map((l: Node, i: number) => [l, op.rexpr.RowExpr.args[i]])
            : [[op.lexpr, op.rexpr]];
        for (const [l, r] of pairs) {
          const left = this.operand(l, scope);
          const right = this.operand(r, scope);
          if (left !== undefined && right === PINNED) pinned.add(this.uf.find(left));
          if (right !== undefined && left === PINNED) pinned.add(this.uf.find(right));
        }
      }
      common = common ? new Set([...common].filter((n) => pinned.has(n))) : pinned;
    }
    for (const column of common ?? []) if (column !== this.uf.find(PINNED)) this.uf.union(column, LISTED);
  }

  private unite(leftExpr: Node | undefined, rightExpr: Node | undefined, scope: Scope): void {
    const left = this.operand(leftExpr, scope);
    const right = this.operand(rightExpr, scope);
    if (left !== undefined && right !== undefined) this.uf.union(left, right);
  }

  /** A parameter or literal is PINNED; a projectId column is its node; anything else is untracked. */
  private operand(expr: Node | undefined, scope: Scope): number | undefined {
    if (!expr) return undefined;
    if (expr.TypeCast) return this.operand(expr.TypeCast.arg, scope);
    if (expr.ParamRef) return PINNED;
    // A literal, NULL included (x = NULL and x IN (NULL) match no row at all).
    if (expr.A_Const) return PINNED;
    if (expr.ColumnRef && columnName(expr.ColumnRef) === 'projectId') return resolve(expr.ColumnRef, scope);
    return undefined;
  }

  /** Every subquery inside these expressions is checked in the given scope (correlation allowed). */
  private subLinks(parts: unknown[], scope: Scope): void {
    for (const part of parts)
      for (const subLink of allNodes(part, 'SubLink', true)) this.select(subLink.subselect.SelectStmt, scope);
  }
}

function columnName(columnRef: Node): string | undefined {
  const last = columnRef.fields[columnRef.fields.length - 1];
  return last?.String?.sval;
}

function lookupCte(scope: Scope | undefined, name: string): { node: number | undefined } | undefined {
  for (let s = scope; s; s = s.parent) if (s.ctes.has(name)) return { node: s.ctes.get(name) };
  return undefined;
}

/** The node of a "projectId" column reference, searching the scope and its parents. */
function resolve(columnRef: Node, scope: Scope): number | undefined {
  const fields = columnRef.fields.map((f: Node) => f.String?.sval);
  const qualifier = fields.length >= 2 ? fields[fields.length - 2] : undefined;
  for (let s: Scope | undefined = scope; s; s = s.parent) {
    if (qualifier !== undefined) {
      const entry = s.entries.find((e) => e.name === qualifier);
      if (entry) return entry.projectId;
    } else {
      const candidates = s.entries.filter((e) => e.projectId !== undefined);
      if (candidates.length === 1) return candidates[0]!.projectId;
      if (candidates.length > 1) return undefined;
    }
  }
  return undefined;
}

/** Every table reference below `root`, wrapped ({ RangeVar: … }) or not (InsertStmt.relation, CopyStmt.relation). */
function tableReferences(root: unknown): Node[] {
  const found: Node[] = [];
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) return value.forEach(walk);
    if (!value || typeof value !== 'object') return;
    if ('relname' in value && 'relpersistence' in value) found.push(value as Node);
    for (const child of Object.values(value)) walk(child);
  };
  walk(root);
  return found;
}

/**
 * Every node of one type below `root`. With `stopAtSelect`, does not descend into
 * the subqueries it finds (each SubLink is checked in its own scope).
 */
function allNodes(root: unknown, type: string, stopAtSelect = false): Node[] {
  const found: Node[] = [];
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) {
      for (const v of value) walk(v);
      return;
    }
    if (!value || typeof value !== 'object') return;
    for (const [key, child] of Object.entries(value)) {
      if (key === type) {
        found.push(child as Node);
        if (stopAtSelect) continue;
      }
      walk(child);
    }
  };
  walk(root);
  return found;
}
