/** The detection trials and the no-switch runs as benchmark figures and report tables. */
import { RETRY_WINDOW_MS } from './detection';
import type { DetectionFigures, DetectionRun } from './detection';
import type { NoSwitchRun } from './reports';
import type { Figure } from './stats';
import { distribution } from './stats';

const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

function configLine(c: DetectionRun['config']): string {
  return (
    `cadence ${c.cadenceSeconds} s, failThreshold ${c.failThreshold}, failures confirmed inside the cycle: ${c.confirmFailures ? 'yes' : 'no'}, ` +
    `probe ${c.method} with timeout ${c.timeoutMs} ms, lookup cache ${c.lookupCacheSeconds} s, callers' reports: ${c.callerReports}, ` +
    (c.callersPerSecond > 0
      ? `callers ${c.callersPerSecond}/s walking the contact flow (spoken turns)`
      : 'no callers (the lookup asked every 10 ms)')
  );
}

export function detectionFigures(d: DetectionFigures): { figures: Figure[]; table: string[] } {
  const figures: Figure[] = [];
  const lines: string[] = [];
  for (const run of d.runs) {
    const modes = [...new Set(run.trials.map((t) => t.mode))];
    lines.push(`### ${run.label}`, '', `Config: ${configLine(run.config)}.`, '');
    lines.push(
      '| fault | trials | fault → lookup: min / median / p90 / max | fault → lexDR: median / max | callers retried (median / max) |',
    );
    lines.push('|---|---|---|---|---|');
    for (const mode of modes) {
      const ts = run.trials.filter((t) => t.mode === mode);
      const lookup = distribution(ts.map((t) => t.lookupMs));
      const table = distribution(ts.map((t) => t.tableMs));
      const retried = distribution(ts.map((t) => t.retryShare * 100));
      lines.push(
        `| ${mode} | ${ts.length} | ${s(lookup.min)} / ${s(lookup.median)} / ${s(lookup.p90)} / ${s(lookup.max)} | ${s(table.median)} / ${s(table.max)} | ${retried.median.toFixed(0)} % / ${retried.max.toFixed(0)} % |`,
      );
      const who =
        run.config.callersPerSecond > 0 ? `of the callers (${run.config.callersPerSecond}/s)` : 'of the lookups';
      const goal = run.goals[mode];
      if (goal !== undefined)
        figures.push({
          name: `Fault → lookup answers the new region, worst of ${ts.length} \`${mode}\` trials (${run.label})`,
          value: s(lookup.max),
          goal: `≤ ${s(goal)}`,
          met: lookup.max <= goal,
          note: `min ${s(lookup.min)}, median ${s(lookup.median)}, p90 ${s(lookup.p90)}; ${who} needing the flow's retry in the ${RETRY_WINDOW_MS / 1000} s after the fault: median ${retried.median.toFixed(0)} %, max ${retried.max.toFixed(0)} %`,
        });
      if (run.retriedGoalPercent !== undefined)
        figures.push({
          name: `Callers who needed the flow's retry in the ${RETRY_WINDOW_MS / 1000} s after a \`${mode}\` fault, median of ${ts.length} trials (${run.label})`,
          value: `${retried.median.toFixed(0)} %`,
          goal: `≤ ${run.retriedGoalPercent} %`,
          met: retried.median <= run.retriedGoalPercent,
          note: `max ${retried.max.toFixed(0)} %; ${ts.reduce((n, t) => n + t.callers, 0)} callers in the windows, ${ts.reduce((n, t) => n + t.reports, 0)} reports`,
        });
    }
    lines.push('');
    figures.push({
      name: `Executions failed during the trials (${run.label})`,
      value: String(run.failedExecutions),
      goal: '0',
      met: run.failedExecutions === 0,
    });
  }
  lines.push(
    'Every trial injects the fault at a random phase of the cycle. "Callers retried": with simulated callers, the share of ' +
      `those arriving in the ${RETRY_WINDOW_MS / 1000} s from the fault who met the failed bot first and were saved by the flow's retry; ` +
      'without, the share of lookup answers (asked every 10 ms) that still named the failed region.',
    '',
    '| run | trial | fault | cycle phase at fault | fault → lexDR | fault → lookup | callers retried | change |',
    '|---|---|---|---|---|---|---|---|',
    ...d.runs.flatMap((run) =>
      run.trials.map(
        (t, i) =>
          `| ${run.label} | ${i + 1} | ${t.mode} | ${s(t.phaseMs)} | ${s(t.tableMs)} | ${s(t.lookupMs)} | ${(t.retryShare * 100).toFixed(0)} %${t.callers ? ` of ${t.callers}` : ''} | ${t.reason} → ${t.to} |`,
      ),
    ),
  );
  return { figures, table: lines };
}

export function noSwitchFigures(runs: readonly NoSwitchRun[]): { figures: Figure[]; table: string[] } {
  const figures = runs.flatMap((r): Figure[] => [
    {
      name: `Region changes during ${r.label}`,
      value: String(r.switches),
      goal: '0',
      met: r.switches === 0 && r.failedExecutions === 0,
      note: `${r.sent} ${r.what} in ${r.seconds.toFixed(0)} s; ${r.reports} reports taken, ${r.checks} checks started (the rule allows ≤ ${r.checksAllowed}); ${r.what === 'callers' ? `${r.retried} callers needed the retry; ` : ''}${r.failedExecutions} failed executions`,
    },
    ...(r.what === 'forged reports'
      ? [
          {
            name: `Checks started by ${r.label}`,
            value: String(r.checks),
            goal: `≤ ${r.checksAllowed} (one per minIntervalSeconds per region)`,
            met: r.checks <= r.checksAllowed,
          },
        ]
      : []),
  ]);
  const table = [
    '## Reports never switch by themselves',
    '',
    '| run | sent | reports taken | checks started (allowed) | region changes | callers retried |',
    '|---|---|---|---|---|---|',
    ...runs.map(
      (r) =>
        `| ${r.label} | ${r.sent} ${r.what} | ${r.reports} | ${r.checks} (≤ ${r.checksAllowed}) | ${r.switches} | ${r.what === 'callers' ? r.retried : '—'} |`,
    ),
    '',
  ];
  return { figures, table };
}
