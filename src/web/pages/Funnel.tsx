// Insights → Funnel: how many units (groups of one type, or profiles) go through
// the steps in order within a window. Each step is a bar with its conversion;
// its drop-off is a button listing the units that stopped there. Every control
// lives in the URL (steps, window, unit, type, range; `dropped` names the step
// whose list is open).
import { useEffect, useId, useState } from 'preact/hooks';

import {
  DashboardFunnelDocument,
  FunnelStepUnitsDocument,
  type FunnelInput,
  type FunnelStepUnitsQuery,
} from '../../sdk/generated/operations.ts';
import { describeProblem, useClient, useQuery, type Problem } from '../api.ts';
import { Field } from '../Field.tsx';
import { formatCount } from '../format.ts';
import {
  CohortField,
  formatPercent,
  RangeField,
  unitName,
  UnitFields,
  useEventNames,
  useCohort,
  useRange,
  useUnit,
} from '../insights/controls.tsx';
import { groupPath } from '../routes.ts';
import { Loading, ProblemBanner, problemText } from '../Status.tsx';
import { useTitle } from '../title.ts';
import { useUrlState } from '../urlState.ts';

const MIN_STEPS = 2;
const MAX_STEPS = 10;
const WINDOWS: Record<string, string> = { '1': '1 day', '7': '7 days', '14': '14 days', '30': '30 days' };
const UNITS_PAGE = 25;

type UnitEdge = FunnelStepUnitsQuery['funnel']['steps'][number]['units']['edges'][number];

/** Steps are one URL parameter, names joined by commas (event names hold none in practice). */
function parseSteps(value: string | undefined): string[] {
  return (value ?? '').split(',').map((s) => s.trim());
}

export function FunnelPage() {
  useTitle('Funnel');
  const [query, setQuery] = useUrlState();
  const names = useEventNames();
  const choice = useUnit(query);
  const { range, from, to } = useRange(query, '30d');
  const windowDays = Object.hasOwn(WINDOWS, query.window ?? '') ? query.window! : '14';
  const steps = query.steps ? parseSteps(query.steps) : ['', ''];
  const chosen = steps.filter(Boolean);
  const cohort = useCohort(query, choice);
  const ready =
    chosen.length >= MIN_STEPS && (choice.unit === 'PROFILE' || Boolean(choice.groupType)) && !cohort.waiting;

  const input: FunnelInput = {
    steps: chosen.map((name) => ({ name })),
    unit: choice.unit,
    ...(choice.groupType ? { groupType: choice.groupType } : {}),
    ...(cohort.cohortId ? { cohortId: cohort.cohortId } : {}),
    from,
    to,
    windowSeconds: Number(windowDays) * 86_400,
  };
  const funnel = useQuery(DashboardFunnelDocument, { input }, { skip: !ready });
  const result = ready ? funnel.data?.funnel : undefined;
  const droppedAt = query.dropped === undefined ? undefined : Number(query.dropped);

  const setSteps = (next: string[]) => setQuery({ steps: next.join(','), dropped: null });

  return (
    <>
      <h1>Funnel</h1>
      <form class="filters" onSubmit={(e) => e.preventDefault()} aria-label="Question">
        <UnitFields choice={choice} setQuery={(c) => setQuery({ ...c, dropped: null })} />
        <CohortField choice={cohort} label={choice.label} setQuery={(c) => setQuery({ ...c, dropped: null })} />
        <Field label="Window">
          {(id) => (
            <select id={id} value={windowDays} onChange={(e) => setQuery({ window: e.currentTarget.value })}>
              {Object.entries(WINDOWS).map(([value, label]) => (
                <option value={value}>{label}</option>
              ))}
            </select>
          )}
        </Field>
        <RangeField range={range} setQuery={(c) => setQuery({ ...c, dropped: null })} />
      </form>
      <fieldset class="steps">
        <legend>Steps, in order</legend>
        <ol>
          {steps.map((step, index) => (
            <li key={index}>
              <Field label={`Step ${index + 1}`}>
                {(id) => (
                  <select
                    id={id}
                    value={step}
                    onChange={(e) => setSteps(steps.map((s, i) => (i === index ? e.currentTarget.value : s)))}
                  >
                    <option value="">Choose an event</option>
                    {names.map((name) => (
                      <option value={name}>{name}</option>
                    ))}
                    {step && !names.includes(step) && <option value={step}>{step}</option>}
                  </select>
                )}
              </Field>
              {steps.length > MIN_STEPS && (
                <button
                  type="button"
                  class="link"
                  aria-label={`Remove step ${index + 1}`}
                  onClick={() => setSteps(steps.filter((_, i) => i !== index))}
                >
                  Remove
                </button>
              )}
            </li>
          ))}
        </ol>
        {steps.length < MAX_STEPS && (
          <button type="button" onClick={() => setSteps([...steps, ''])}>
            Add a step
          </button>
        )}
      </fieldset>

      {!ready && <p class="empty">Choose at least two steps.</p>}
      {ready && <ProblemBanner state={funnel} />}
      {ready && !result && funnel.loading && <Loading what="the funnel" />}
      {result && (
        <FunnelBars
          steps={result.steps}
          unitLabel={choice.label}
          droppedAt={droppedAt}
          onDropped={(index) => setQuery({ dropped: index === droppedAt ? null : index }, true)}
        />
      )}
      {result && droppedAt !== undefined && result.steps[droppedAt] && droppedAt < result.steps.length - 1 && (
        <DroppedUnits input={input} step={result.steps[droppedAt]!} unitLabel={choice.label} />
      )}
    </>
  );
}

interface Step {
  index: number;
  name: string;
  count: number;
  conversionFromStart: number;
  conversionFromPrevious: number;
  dropOff: number;
  medianSecondsFromPrevious?: number | null;
}

function formatSeconds(seconds: number | null | undefined): string {
  if (seconds == null) return '—';
  if (seconds < 60) return `${Math.round(seconds)} s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  if (seconds < 86_400) return `${(seconds / 3600).toFixed(1)} h`;
  return `${(seconds / 86_400).toFixed(1)} d`;
}

function FunnelBars(props: {
  steps: Step[];
  unitLabel: string;
  droppedAt: number | undefined;
  onDropped(index: number): void;
}) {
  const [showNumbers, setShowNumbers] = useState(false);
  const titleId = useId();
  const first = props.steps[0]?.count ?? 0;
  const title = `${props.unitLabel[0]!.toUpperCase()}${props.unitLabel.slice(1)} through each step`;
  return (
    <figure class="chart funnel" aria-labelledby={titleId}>
      <figcaption>
        <h3 id={titleId}>{title}</h3>
        <button type="button" class="link" aria-pressed={showNumbers} onClick={() => setShowNumbers(!showNumbers)}>
          {showNumbers ? 'Hide numbers' : 'Show numbers'}
        </button>
      </figcaption>
      {first === 0 && <p class="empty">No unit did the first step in this range.</p>}
      <ol class="funnel-steps">
        {props.steps.map((step, i) => {
          const last = i === props.steps.length - 1;
          return (
            <li key={step.index}>
              <div class="funnel-label">
                <strong>
                  {i + 1}. {step.name}
                </strong>{' '}
                <span>
                  {formatCount(step.count)} · {formatPercent(step.conversionFromStart)}
                </span>
              </div>
              <div class="funnel-track" aria-hidden="true">
                <div class="funnel-bar" style={{ width: `${first ? (step.count / first) * 100 : 0}%` }} />
              </div>
              {!last && (
                <button
                  type="button"
                  class="link funnel-dropped"
                  aria-expanded={props.droppedAt === i}
                  disabled={step.dropOff === 0}
                  onClick={() => props.onDropped(i)}
                >
                  {formatCount(step.dropOff)} dropped after step {i + 1}
                  {step.count > 0 ? ` (${formatPercent(step.dropOff / step.count)})` : ''}
                </button>
              )}
            </li>
          );
        })}
      </ol>
      {showNumbers && (
        <div class="table-scroll">
          <table class="numbers">
            <caption>{title}</caption>
            <thead>
              <tr>
                <th scope="col">Step</th>
                <th scope="col" class="num">
                  Count
                </th>
                <th scope="col" class="num">
                  From start
                </th>
                <th scope="col" class="num">
                  From previous
                </th>
                <th scope="col" class="num">
                  Dropped
                </th>
                <th scope="col" class="num">
                  Median time from previous
                </th>
              </tr>
            </thead>
            <tbody>
              {props.steps.map((step, i) => (
                <tr key={step.index}>
                  <th scope="row">
                    {i + 1}. {step.name}
                  </th>
                  <td class="num">{formatCount(step.count)}</td>
                  <td class="num">{formatPercent(step.conversionFromStart)}</td>
                  <td class="num">{formatPercent(step.conversionFromPrevious)}</td>
                  <td class="num">{formatCount(step.dropOff)}</td>
                  <td class="num">{formatSeconds(step.medianSecondsFromPrevious)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </figure>
  );
}

/** The units that stopped at a step, a page at a time. */
function DroppedUnits(props: { input: FunnelInput; step: Step; unitLabel: string }) {
  const client = useClient();
  const [edges, setEdges] = useState<UnitEdge[]>([]);
  const [next, setNext] = useState<string | null | undefined>(undefined);
  const [loading, setLoading] = useState(true);
  const [problem, setProblem] = useState<Problem>();
  const inputKey = JSON.stringify(props.input);

  async function load(after: string | undefined, replace: boolean) {
    setLoading(true);
    setProblem(undefined);
    try {
      // The operation pages every step's units alike; this list is the one step's.
      const data = await client.request(FunnelStepUnitsDocument, {
        input: props.input,
        dropped: true,
        first: UNITS_PAGE,
        ...(after ? { after } : {}),
      });
      const units = data.funnel.steps[props.step.index]?.units;
      setEdges((current) => [...(replace ? [] : current), ...(units?.edges ?? [])]);
      setNext(units?.pageInfo.hasNextPage ? units.pageInfo.endCursor : null);
    } catch (error) {
      setProblem(describeProblem(error));
    } finally {
      setLoading(false);
    }
  }

  useEffect(() => {
    setEdges([]);
    void load(undefined, true);
  }, [inputKey, props.step.index]);

  const headingId = useId();
  return (
    <section aria-labelledby={headingId} class="dropped">
      <h2 id={headingId}>
        Dropped after step {props.step.index + 1} ({props.step.name}): {formatCount(props.step.dropOff)}{' '}
        {props.unitLabel}
      </h2>
      {problem && (
        <p class="banner banner-failed" role="alert">
          {problemText(problem)}
        </p>
      )}
      <ul class="unit-list">
        {edges.map(({ node }) => (
          <li key={node.id}>
            {node.group ? <a href={groupPath(node.group.id)}>{unitName(node)}</a> : unitName(node)}
            {unitName(node) !== node.id && <span class="muted"> {node.id}</span>}
          </li>
        ))}
      </ul>
      {loading && <Loading what="the units" />}
      {!loading && next && (
        <button type="button" onClick={() => void load(next, false)}>
          Show more
        </button>
      )}
    </section>
  );
}
