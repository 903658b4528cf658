/** A region's probe-latency chart (uPlot): wall-clock time across, latency in ms up, failed probes as red dots. */
import type uPlot from 'uplot';

const AXIS = {
  stroke: '#8b9ab4',
  grid: { stroke: 'rgba(139,154,180,0.12)', width: 1 },
  ticks: { stroke: 'rgba(139,154,180,0.25)', width: 1, size: 4 },
  font: '11px system-ui, sans-serif',
};
const pad2 = (n: number) => String(n).padStart(2, '0');
/** x axis: wall-clock time of the cycle (HH:MM:SS). */
const clock = (s: number) => {
  const d = new Date(s * 1000);
  return `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
};

export const SPARK_HEIGHT = 132;

export function sparkOptions(width: number): uPlot.Options {
  return {
    width,
    height: SPARK_HEIGHT,
    cursor: { show: false },
    legend: { show: false },
    select: { show: false, left: 0, top: 0, width: 0, height: 0 },
    scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(50, max * 1.15)] } },
    axes: [
      { ...AXIS, size: 26, space: 70, values: (_u, splits) => splits.map(clock) },
      {
        ...AXIS,
        size: 52,
        space: 28,
        label: 'ms',
        labelSize: 14,
        labelFont: AXIS.font,
        values: (_u, splits) => splits.map((v) => `${v}`),
      },
    ],
    series: [
      {},
      { label: 'latency (ms)', stroke: '#38bdf8', width: 1.5, fill: 'rgba(56,189,248,0.12)', points: { show: false } },
      {
        label: 'failed probe',
        stroke: 'transparent',
        width: 0,
        points: { show: true, size: 6, fill: '#ef4444', stroke: '#ef4444' },
      },
    ],
  };
}
