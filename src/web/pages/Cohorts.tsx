// Cohorts: the list (name, unit, size), and one cohort's page with its
// definition as stored (each rule in words, and the JSON itself), its size and
// its members a page at a time. The page cursor lives in the URL (`after`).
import { DashboardCohortDocument, DashboardCohortsDocument } from '../../sdk/generated/operations.ts';
import { useQuery } from '../api.ts';
import { formatCount, formatDate, formatDateTime } from '../format.ts';
import { unitName } from '../insights/controls.tsx';
import { cohortPath, groupPath, PATHS } from '../routes.ts';
import { Loading, ProblemBanner } from '../Status.tsx';
import { useTitle } from '../title.ts';
import { useUrlState, withQuery } from '../urlState.ts';

const COHORTS_PAGE = 50;
const MEMBERS_PAGE = 25;

function unitLabel(unit: string, groupType: string | null | undefined): string {
  return unit === 'GROUP' ? `Groups${groupType ? ` (${groupType})` : ''}` : 'Profiles';
}

export function CohortsPage() {
  useTitle('Cohorts');
  const [query] = useUrlState();
  const state = useQuery(DashboardCohortsDocument, {
    first: COHORTS_PAGE,
    ...(query.after ? { after: query.after } : {}),
  });
  const connection = state.data?.cohorts;
  return (
    <>
      <h1>Cohorts</h1>
      <ProblemBanner state={state} />
      {!connection && state.loading && <Loading what="cohorts" />}
      {connection && connection.edges.length === 0 && (
        <p class="empty">
          No cohort yet. A root key saves one with the <code>createCohort</code> mutation (see{' '}
          <a href="/graphql">GraphiQL</a>).
        </p>
      )}
      {connection && connection.edges.length > 0 && (
        <table class="cohorts">
          <caption class="visually-hidden">Cohorts, newest first</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Unit</th>
              <th scope="col" class="num">
                Members now
              </th>
              <th scope="col">Updated</th>
            </tr>
          </thead>
          <tbody>
            {connection.edges.map(({ node }) => (
              <tr key={node.id}>
                <th scope="row">
                  <a href={cohortPath(node.id)}>{node.name}</a>
                </th>
                <td>{unitLabel(node.unit, node.groupType)}</td>
                <td class="num">{formatCount(node.size)}</td>
                <td>{formatDate(node.updatedAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {connection?.pageInfo.hasNextPage && (
        <nav class="pager" aria-label="Pages">
          <a href={PATHS.cohorts}>First page</a>
          <a href={withQuery(PATHS.cohorts, query, { after: connection.pageInfo.endCursor })}>Next</a>
        </nav>
      )}
    </>
  );
}

interface Rule {
  property?: { key: string; op: string; value?: unknown } | null;
  performed?: {
    eventName: string;
    lastDays: number;
    minCount?: number | null;
    maxCount?: number | null;
    properties?: { key: string; op: string; value?: unknown }[] | null;
  } | null;
  memberCount?: { min?: number | null; max?: number | null } | null;
  negate?: boolean;
}

/** One stored rule in words; anything unexpected is left to the JSON shown below. */
function describeRule(rule: Rule): string {
  const not = rule.negate ? 'not: ' : '';
  if (rule.property)
    return `${not}property ${rule.property.key} ${rule.property.op} ${JSON.stringify(rule.property.value ?? null)}`;
  if (rule.performed) {
    const p = rule.performed;
    const min = p.minCount ?? 1;
    const times =
      p.maxCount == null ? (min === 1 ? 'at least once' : `at least ${min} times`) : `${min} to ${p.maxCount} times`;
    const filters = p.properties?.length
      ? ` with ${p.properties.map((f) => `${f.key} ${f.op} ${JSON.stringify(f.value ?? null)}`).join(' and ')}`
      : '';
    return `${not}did ${p.eventName} ${times} in the last ${p.lastDays} days${filters}`;
  }
  if (rule.memberCount) {
    const { min, max } = rule.memberCount;
    return `${not}members between ${min ?? 0} and ${max ?? 'any number'}`;
  }
  return `${not}(rule)`;
}

export function CohortPage({ id }: { id: string }) {
  const [query] = useUrlState();
  const state = useQuery(DashboardCohortDocument, {
    id,
    first: MEMBERS_PAGE,
    ...(query.after ? { after: query.after } : {}),
  });
  const cohort = state.data?.cohort;
  useTitle(cohort?.name ?? 'Cohort');
  const definition = (cohort?.definition ?? {}) as { match?: string; rules?: Rule[] };
  const here = cohortPath(id);

  return (
    <>
      <p class="breadcrumbs">
        <a href={PATHS.cohorts}>Cohorts</a> /
      </p>
      <h1>{cohort?.name ?? id}</h1>
      <ProblemBanner state={state} />
      {!state.data && state.loading && <Loading what="the cohort" />}
      {state.data && !cohort && (
        <p class="empty">
          No cohort has the id <code>{id}</code> in this project. <a href={PATHS.cohorts}>All cohorts</a>
        </p>
      )}
      {cohort && (
        <>
          <section aria-labelledby="cohort-summary">
            <h2 id="cohort-summary" class="visually-hidden">
              Summary
            </h2>
            <dl class="stats">
              <div>
                <dt>Members now</dt>
                <dd>{formatCount(cohort.size)}</dd>
              </div>
              <div>
                <dt>Unit</dt>
                <dd>{unitLabel(cohort.unit, cohort.groupType)}</dd>
              </div>
              <div>
                <dt>Updated</dt>
                <dd>{formatDateTime(cohort.updatedAt)}</dd>
              </div>
            </dl>
          </section>
          <section aria-labelledby="cohort-definition">
            <h2 id="cohort-definition">Definition</h2>
            <p>{definition.match === 'ANY' ? 'Any of these rules:' : 'All of these rules:'}</p>
            <ul class="rules">
              {(definition.rules ?? []).map((rule) => (
                <li>{describeRule(rule)}</li>
              ))}
            </ul>
            <details>
              <summary>As stored (JSON)</summary>
              <pre class="definition">{JSON.stringify(cohort.definition, null, 2)}</pre>
            </details>
          </section>
          <section aria-labelledby="cohort-members">
            <h2 id="cohort-members">Members</h2>
            {cohort.members.edges.length === 0 ? (
              <p class="empty">No member now.</p>
            ) : (
              <table class="members">
                <thead>
                  <tr>
                    <th scope="col">{cohort.unit === 'GROUP' ? 'Group' : 'Profile'}</th>
                    <th scope="col">Id</th>
                  </tr>
                </thead>
                <tbody>
                  {cohort.members.edges.map(({ node }) => (
                    <tr key={node.id}>
                      <th scope="row">
                        {node.group ? <a href={groupPath(node.group.id)}>{unitName(node)}</a> : unitName(node)}
                      </th>
                      <td>
                        <code>{node.id}</code>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
            <nav class="pager" aria-label="Member pages">
              {query.after && <a href={here}>First page</a>}
              {cohort.members.pageInfo.hasNextPage && (
                <a href={withQuery(here, query, { after: cohort.members.pageInfo.endCursor })}>Next</a>
              )}
            </nav>
          </section>
        </>
      )}
    </>
  );
}
